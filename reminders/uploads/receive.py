"""Receive a bill file: the maker, the file's name and size, the stored copy, the upload row."""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billers.models import Registration, Role, User
from core import audit
from core.audit import audit_record
from core.errors import InvalidInput, NotAllowed
from fileformat import FileRefused, check_filename
from reminders.models import Upload, translated
from reminders.services import registration_accepts_bills
from reminders.tasks import validate_upload
from reminders.uploads.rules import SAME_FILE_WINDOW, _json_params, _source_text, upload_lease, upload_limits


def _ensure_maker(actor: User, company_id: int) -> None:
    if actor is None or actor.company_id != company_id or not actor.has_role(Role.MAKER):
        raise NotAllowed(_("Only a maker of the company can do this."))


def upload_receive(*, registration: Registration, uploaded_file, actor: User, request=None) -> Upload:
    """Checks the file's name and size, stores and hashes it, and queues it to be read.

    A bad name, an extension other than .csv/.xlsx or a file over the size limit is
    refused here (``InvalidInput``) and nothing is stored.
    """
    _ensure_maker(actor, registration.company_id)
    registration_accepts_bills(registration)
    name = getattr(uploaded_file, "name", "") or ""
    _max_rows, max_bytes = upload_limits()
    try:
        check_filename(name)
        size = uploaded_file.size
        if size > max_bytes:
            raise FileRefused(
                "too_large", gettext_noop("The file is %(size)s; the limit is %(limit)s."),
                size=_megabytes(size), limit=_megabytes(max_bytes),
            )
        if size == 0:
            raise FileRefused("empty", gettext_noop("The file is empty."))
    except FileRefused as refusal:
        raise InvalidInput(_translated_refusal(refusal), field="file", code=refusal.code) from None

    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    sha256 = digest.hexdigest()
    now = timezone.now()
    same_file = (
        Upload.objects.filter(company_id=registration.company_id, sha256=sha256, created_at__gte=now - SAME_FILE_WINDOW)
        .order_by("-created_at", "-id")
        .first()
    )
    upload = Upload(
        company_id=registration.company_id, registration=registration, original_name=name, size=size,
        sha256=sha256, uploaded_by=actor, duplicate_of=same_file, created_at=now, lease_until=now + upload_lease(),
    )
    upload.file.save(name, uploaded_file, save=False)
    try:
        with transaction.atomic(durable=True):
            upload.save()
            audit_record(
                action="upload.received", actor=actor, company=registration.company, request=request, obj=upload,
                sentence=gettext_noop("%(actor)s uploaded %(name)s (%(size)s) for %(code)s%(same)s"),
                params={"actor": actor, "name": name, "size": _megabytes(size), "code": registration.code,
                        "same": audit.phrase(gettext_noop(", the same file as upload #%(upload)s"), upload=same_file.pk)
                        if same_file else ""},
                details={"sha256": sha256, "size": size},
            )
            validate_upload.delay_on_commit(upload.pk)
    except BaseException:
        upload.file.delete(save=False)
        raise
    return upload


def _megabytes(size: int) -> str:
    return f"{size / 1024**2:,.1f} MB"


def _translated_refusal(refusal: FileRefused) -> str:
    return translated(_source_text(refusal.reason), _json_params(refusal.params))
