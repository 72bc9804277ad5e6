"""Stalled work queued again past its lease, and the files of finished uploads removed after the retention."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from core.audit import audit_record
from core.errors import Conflict
from reminders.models import Upload, UploadError, UploadRow, translated
from reminders.tasks import decide_upload, validate_upload
from reminders.uploads.decide import _discarded, _locked
from reminders.uploads.rules import DECISION_FAILED, Status, upload_lease

log = logging.getLogger(__name__)


FINISHED = (Status.REFUSED, Status.SUBMITTED, Status.DISCARDED, Status.REJECTED)


def upload_requeue_stalled(*, limit: int = 100) -> int:
    """Queues again each check or decision held past its lease: its task was lost or its worker died.

    A check goes back to ``queued`` (a run that was only slow stops at its next batch); a
    decision is queued again as asked, and its service refuses to do it twice. Returns how
    many uploads were queued again.
    """
    now = timezone.now()
    held = Q(status__in=(Status.QUEUED, Status.VALIDATING)) | ~Q(working_on="")
    with transaction.atomic(durable=True):
        # A decision under way keeps its upload locked (PostgreSQL): skipped, not waited for.
        stalled = list(Upload.objects.filter(held).filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
                       .select_for_update(skip_locked=True).order_by("pk")
                       .only("pk", "status", "working_on", "working_by", "working_reason")[:limit])
        for upload in stalled:
            if upload.working_on and upload.working_by_id is None:
                # Asked before the asker was kept: it cannot be queued again, so say so.
                Upload.objects.filter(pk=upload.pk).update(working_on="",
                                                           decision_error=translated(DECISION_FAILED, {}))
                continue
            log.warning("upload %s: %s went quiet past its lease; queued again", upload.pk,
                        upload.working_on or "the check")
            if upload.working_on:
                Upload.objects.filter(pk=upload.pk).update(lease_until=now + upload_lease())
                decide_upload.delay_on_commit(upload.pk, upload.working_on, upload.working_by_id,
                                              upload.working_reason)
            else:
                Upload.objects.filter(pk=upload.pk).update(status=Status.QUEUED, lease_token="",
                                                           lease_until=now + upload_lease())
                validate_upload.delay_on_commit(upload.pk)
    return len(stalled)


def upload_files_expire(*, limit: int = 100) -> int:
    """Removes the stored file, problems and staged rows of finished uploads older than UPLOAD_RETENTION_DAYS.

    A checked upload never submitted within that time is discarded first. The upload stays with its totals
    (the report says the file is no longer kept), as do its bills; each removal is one audit line. Returns how many
    uploads were cleaned.
    """
    days = settings.UPLOAD_RETENTION_DAYS
    cutoff = timezone.now() - timedelta(days=days)
    _discard_unsent(cutoff=cutoff, days=days, limit=limit)
    due = Upload.objects.filter(status__in=FINISHED, created_at__lt=cutoff, files_removed_at__isnull=True)
    cleaned = 0
    for upload_id in due.order_by("created_at", "pk").values_list("pk", flat=True)[:limit]:
        cleaned += _upload_files_remove(upload_id, days=days)
    return cleaned


def _discard_unsent(*, cutoff, days: int, limit: int) -> None:
    """A checked upload nobody submitted within the retention is discarded, so its file goes too."""
    unsent = Upload.objects.filter(status=Status.VALIDATED, working_on="", created_at__lt=cutoff)
    for upload in unsent.order_by("created_at", "pk").only("pk")[:limit]:
        with transaction.atomic(durable=True):
            try:
                upload = _locked(upload, Status.VALIDATED, action="")
            except Conflict:
                continue  # submitted, discarded or being decided meanwhile
            _discarded(upload, actor=None,
                       sentence=gettext_noop("Upload #%(upload)s (%(name)s) discarded: checked but not submitted "
                                             "within %(days)s days"),
                       params={"upload": upload.pk, "name": upload.original_name, "days": days})


def _upload_files_remove(upload_id: int, *, days: int) -> bool:
    with transaction.atomic(durable=True):
        upload = (Upload.objects.select_for_update(skip_locked=True).select_related("company")
                  .filter(pk=upload_id, files_removed_at__isnull=True).first())
        if upload is None:
            return False  # cleaned meanwhile by another run
        name = upload.file.name
        errors, _by_model = UploadError.objects.filter(upload=upload).delete()
        staged, _by_model = UploadRow.objects.filter(upload=upload).delete()
        Upload.objects.filter(pk=upload.pk).update(file="", files_removed_at=timezone.now())
        audit_record(
            action="upload.files_removed", actor=None, company=upload.company, obj=upload,
            sentence=gettext_noop("Upload #%(upload)s (%(name)s): stored file, %(problems)s problems and %(rows)s "
                                  "staged rows removed, %(days)s days after the upload"),
            params={"upload": upload.pk, "name": upload.original_name, "problems": errors, "rows": staged,
                    "days": days},
            details={"file": name, "problems": errors, "staged_rows": staged, "retention_days": days},
        )
        # Last, so a failure above leaves the file; a failed commit after it only means the
        # next run finds the upload again and finishes (deleting a missing file is no error).
        if name:
            upload.file.storage.delete(name)
    return True
