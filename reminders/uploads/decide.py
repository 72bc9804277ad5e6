"""Submit, approve, reject and discard an upload: the bills created or moved in bulk, the
quota reserved or released at once."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from billers.approvals import ensure_can_approve
from billers.models import Registration, User
from core import audit, events
from core.audit import audit_record
from core.errors import Conflict, DomainError, InsufficientQuota, InvalidInput
from quota.selectors import quota_available
from quota.services import quota_release, quota_reserve
from reminders.models import BillStatus, Upload, UploadRow, translated
from reminders.services import bills_create_from_upload, bills_move_pending, registration_accepts_bills
from reminders.tasks import decide_upload, purge_upload_rows
from reminders.uploads.checks import _flag_taken, _record_flagged
from reminders.uploads.receive import _ensure_maker
from reminders.uploads.rules import ACTIVE_REMINDER, DECISION_FAILED, ENDED, REFERENCE_USED, Status, upload_lease

log = logging.getLogger(__name__)


def _locked(upload: Upload, *statuses: str, action: str) -> Upload:
    """The upload, locked, if it is in one of ``statuses`` and no other decision is under way."""
    upload = (Upload.objects.select_for_update(of=("self",))
              .select_related("registration__biller_code", "company", "submitted_by", "uploaded_by")
              .get(pk=upload.pk))
    if upload.working_on and upload.working_on != action:
        raise Conflict(_("Upload #%(id)s is already being worked on; try again in a moment.") % {"id": upload.pk})
    if upload.status not in statuses:
        raise Conflict(_("Upload #%(id)s is %(status)s.") % {"id": upload.pk,
                                                              "status": upload.get_status_display().lower()})
    return upload


def _quota_short(registration: Registration, needed: int, available: int) -> InsufficientQuota:
    available = max(available, 0)
    missing = needed - available
    return InsufficientQuota(
        ngettext("Not enough quota for %(code)s (needed: %(needed)s, available: %(available)s): top up at least "
                 "%(missing)s push before you submit.",
                 "Not enough quota for %(code)s (needed: %(needed)s, available: %(available)s): top up at least "
                 "%(missing)s pushes before you submit.", missing)
        % {"code": registration.code, "needed": number_format(needed, force_grouping=True),
           "available": number_format(available, force_grouping=True),
           "missing": number_format(missing, force_grouping=True)},
    )


def upload_submit(*, upload: Upload, actor: User, request=None) -> Upload:
    """The maker sends the valid rows: bills created in bulk, N quota units reserved at once.

    Where the company approves uploads the bills wait in PENDING_APPROVAL for an approver.
    Rows whose bill key gained an active reminder (or whose reference got used, or whose
    end passed) since the check are skipped and reported. Refused, with nothing created,
    while the quota is short.
    """
    with transaction.atomic(durable=True):
        upload = _locked(upload, Status.VALIDATED, action="submit")
        _ensure_maker(actor, upload.company_id)
        registration = upload.registration
        registration_accepts_bills(registration)
        now = timezone.now()
        skipped = _flag_taken(upload, registration, now=now)
        if skipped:
            _record_flagged(upload, (ACTIVE_REMINDER, REFERENCE_USED, ENDED))
        ready = UploadRow.objects.filter(upload=upload, problem="").count()
        if not ready:
            raise Conflict(_("No row of this upload can be sent: fix the rows in the error file and upload it again."))
        available = quota_available(registration)
        if available < ready:
            raise _quota_short(registration, ready, available)
        needs_approval = upload.company.approval_for_upload
        status = BillStatus.PENDING_APPROVAL if needs_approval else BillStatus.RECEIVED
        try:
            with transaction.atomic():
                created = bills_create_from_upload(upload, registration, status=status, actor=actor, now=now)
        except IntegrityError:
            # A bill with one of these keys or references was created after the check above.
            raise Conflict(_("Some bills of this upload were created elsewhere meanwhile; submit it again.")) from None
        # Booked last: the reservation locks the code's quota account, and holding that lock
        # through a bulk insert would stall every API bill of the code meanwhile. If quota
        # was spent since the check above, this refuses and the whole submit rolls back.
        quota_reserve(registration=registration, units=created, reference=f"upload:{upload.pk}", actor=actor)
        upload.status = Status.PENDING_APPROVAL if needs_approval else Status.SUBMITTED
        upload.submitted_by, upload.submitted_at = actor, now
        upload.bills_created, upload.skipped_at_submit = created, skipped
        upload.working_on = upload.decision_error = ""
        upload.save(update_fields=["status", "submitted_by", "submitted_at", "bills_created", "skipped_at_submit",
                                   "working_on", "decision_error"])
        audit_record(
            action="upload.submitted", actor=actor, company=upload.company, request=request, obj=upload,
            sentence=gettext_noop("%(actor)s submitted upload #%(upload)s (%(name)s): %(bills)s bills for %(code)s, "
                                  "%(bills)s pushes reserved%(skipped)s%(waiting)s"),
            params={"actor": actor, "upload": upload.pk, "name": upload.original_name, "bills": created,
                    "code": registration.code,
                    "skipped": audit.phrase(gettext_noop(", %(rows)s rows skipped"), rows=skipped) if skipped else "",
                    "waiting": audit.phrase(gettext_noop(", waiting for approval")) if needs_approval else ""},
            details={"bills": created, "skipped": skipped},
        )
        if needs_approval:
            events.approval_waiting.send(sender=Upload, request=upload, company=upload.company, requested_by=actor)
        purge_upload_rows.delay_on_commit(upload.pk)
    return upload


def _ensure_approver(upload: Upload, approver: User) -> None:
    # Four eyes: neither the maker who sent the rows nor the one who uploaded the file.
    ensure_can_approve(requested_by=upload.submitted_by, approver=approver)
    if upload.uploaded_by_id != upload.submitted_by_id:
        ensure_can_approve(requested_by=upload.uploaded_by, approver=approver)


def upload_approve(*, upload: Upload, approver: User, request=None) -> Upload:
    """An approver other than the maker releases the upload's bills: PENDING_APPROVAL -> RECEIVED."""
    with transaction.atomic(durable=True):
        upload = _locked(upload, Status.PENDING_APPROVAL, action="approve")
        _ensure_approver(upload, approver)
        registration_accepts_bills(upload.registration)
        now = timezone.now()
        moved = bills_move_pending(upload, to_status=BillStatus.RECEIVED, actor=approver, now=now,
                                    reason=f"Upload #{upload.pk} approved")
        upload.status, upload.approved_by, upload.approved_at = Status.SUBMITTED, approver, now
        upload.working_on = upload.decision_error = ""
        upload.save(update_fields=["status", "approved_by", "approved_at", "working_on", "decision_error"])
        audit_record(action="upload.approved", actor=approver, company=upload.company, request=request, obj=upload,
                     sentence=gettext_noop("%(actor)s approved upload #%(upload)s of %(maker)s: %(bills)s bills for "
                                           "%(code)s"),
                     params={"actor": approver, "upload": upload.pk, "maker": upload.submitted_by, "bills": moved,
                             "code": upload.registration.code})
        events.request_decided.send(sender=Upload, request=upload, company=upload.company,
                                    requested_by=upload.submitted_by, decided_by=approver, approved=True)
    return upload


def upload_reject(*, upload: Upload, approver: User, reason: str = "", request=None) -> Upload:
    """An approver other than the maker turns the upload down: its bills are cancelled, their quota released."""
    with transaction.atomic(durable=True):
        upload = _locked(upload, Status.PENDING_APPROVAL, action="reject")
        _ensure_approver(upload, approver)
        reason = (reason or "").strip()[:200]
        now = timezone.now()
        cancelled = _cancel_pending(upload, actor=approver, now=now,
                                    reason=f"Upload #{upload.pk} rejected" + (f": {reason}" if reason else ""))
        upload.status, upload.rejected_by, upload.rejected_at = Status.REJECTED, approver, now
        upload.rejection_reason = reason
        upload.working_on = upload.decision_error = ""
        upload.save(update_fields=["status", "rejected_by", "rejected_at", "rejection_reason", "working_on",
                                   "decision_error"])
        audit_record(action="upload.rejected", actor=approver, company=upload.company, request=request, obj=upload,
                     sentence=gettext_noop("%(actor)s rejected upload #%(upload)s of %(maker)s: %(bills)s bills "
                                           "cancelled%(reason)s"),
                     params={"actor": approver, "upload": upload.pk, "maker": upload.submitted_by,
                             "bills": cancelled, "reason": audit.because(reason)})
        events.request_decided.send(sender=Upload, request=upload, company=upload.company,
                                    requested_by=upload.submitted_by, decided_by=approver, approved=False,
                                    reason=reason)
    return upload


def _cancel_pending(upload: Upload, *, actor: User, now, reason: str) -> int:
    cancelled = bills_move_pending(upload, to_status=BillStatus.CANCELLED, actor=actor, now=now, reason=reason)
    if cancelled:
        # The counterpart of the upload's one reservation, for the bills nobody cancelled one by one.
        quota_release(registration=upload.registration, units=cancelled, reference=f"upload:{upload.pk}", actor=actor)
    return cancelled


def upload_discard(*, upload: Upload, actor: User, request=None) -> Upload:
    """The maker drops a checked upload; one waiting for approval is withdrawn (bills cancelled, quota released)."""
    with transaction.atomic(durable=True):
        upload = _locked(upload, Status.VALIDATED, Status.PENDING_APPROVAL, action="discard")
        _ensure_maker(actor, upload.company_id)
        cancelled = 0
        if upload.status == Status.PENDING_APPROVAL:
            cancelled = _cancel_pending(upload, actor=actor, now=timezone.now(),
                                        reason=f"Upload #{upload.pk} withdrawn by the maker")
        _discarded(upload, actor=actor, request=request,
                   sentence=gettext_noop("%(actor)s discarded upload #%(upload)s (%(name)s)%(cancelled)s"),
                   params={"actor": actor, "upload": upload.pk, "name": upload.original_name,
                           "cancelled": audit.phrase(gettext_noop(": %(bills)s waiting bills cancelled"),
                                                     bills=cancelled) if cancelled else ""})
    return upload


def _discarded(upload: Upload, *, actor: User | None, sentence: str, params: dict, request=None) -> None:
    """Ends the locked ``upload`` discarded, audited, its staged rows purged after the commit."""
    upload.status = Status.DISCARDED
    upload.working_on = upload.decision_error = ""
    upload.save(update_fields=["status", "working_on", "decision_error"])
    audit_record(action="upload.discarded", actor=actor, company=upload.company, request=request, obj=upload,
                 sentence=sentence, params=params)
    purge_upload_rows.delay_on_commit(upload.pk)


# Who may ask for each decision, and on which statuses; the worker then calls the service.
DECISIONS = {
    "submit": (Status.VALIDATED,),
    "approve": (Status.PENDING_APPROVAL,),
    "reject": (Status.PENDING_APPROVAL,),
    "discard": (Status.VALIDATED, Status.PENDING_APPROVAL),
}

_ASKED = {
    "submit": gettext_noop("%(actor)s asked to submit upload #%(upload)s (%(name)s)"),
    "approve": gettext_noop("%(actor)s asked to approve upload #%(upload)s (%(name)s)"),
    "reject": gettext_noop("%(actor)s asked to reject upload #%(upload)s (%(name)s)"),
    "discard": gettext_noop("%(actor)s asked to discard upload #%(upload)s (%(name)s)"),
}


def upload_decide(*, upload: Upload, action: str, actor: User, reason: str = "", request=None) -> Upload:
    """Checks at once that ``actor`` may ``action`` the upload now, then has the worker carry it out.

    Everything that can refuse cheaply is checked here, so the console answers at once:
    role, status, four eyes, and for a submit the quota (with the numbers). The work itself
    (moving up to a million rows) runs in ``reminders.decide_upload``; the report shows
    it under way and, if it was refused there after all, why.
    """
    if action not in DECISIONS:
        raise InvalidInput(_("Unknown action."))
    with transaction.atomic(durable=True):
        upload = _locked(upload, *DECISIONS[action], action="")
        if action in ("submit", "discard"):
            _ensure_maker(actor, upload.company_id)
        else:
            _ensure_approver(upload, actor)
        if action == "submit":
            registration_accepts_bills(upload.registration)
            ready = UploadRow.objects.filter(upload=upload, problem="").count()
            if not ready:
                raise Conflict(_("No row of this upload can be sent: fix the rows in the error file and upload it "
                                 "again."))
            available = quota_available(upload.registration)
            if available < ready:
                raise _quota_short(upload.registration, ready, available)
        elif action == "approve":
            registration_accepts_bills(upload.registration)
        upload.working_on, upload.decision_error = action, ""
        upload.working_by, upload.working_reason = actor, (reason or "").strip()[:200]
        upload.lease_until = timezone.now() + upload_lease()
        upload.save(update_fields=["working_on", "decision_error", "working_by", "working_reason", "lease_until"])
        audit_record(action=f"upload.{action}_requested", actor=actor, company=upload.company, request=request,
                     obj=upload, sentence=_ASKED[action],
                     params={"actor": actor, "upload": upload.pk, "name": upload.original_name})
        decide_upload.delay_on_commit(upload.pk, action, actor.pk, reason)
    return upload


def upload_decision_carry_out(*, upload_id: int, action: str, actor_id: int, reason: str = "") -> Upload | None:
    """The worker's side of ``upload_decide``: runs the service; a refusal is kept on the upload for the report."""
    upload = Upload.objects.filter(pk=upload_id, working_on=action).first()
    if upload is None:
        return None  # carried out already (a redelivered task), or never asked
    actor = User.objects.get(pk=actor_id)
    try:
        if action == "submit":
            return upload_submit(upload=upload, actor=actor)
        if action == "approve":
            return upload_approve(upload=upload, approver=actor)
        if action == "reject":
            return upload_reject(upload=upload, approver=actor, reason=reason)
        return upload_discard(upload=upload, actor=actor)
    except DomainError as refusal:
        Upload.objects.filter(pk=upload_id, working_on=action).update(working_on="", decision_error=refusal.message)
        return Upload.objects.get(pk=upload_id)
    except Exception:
        log.exception("upload %s: %s failed", upload_id, action)
        # Nothing was done (the service is one transaction): say so rather than look busy forever.
        Upload.objects.filter(pk=upload_id, working_on=action).update(
            working_on="", decision_error=translated(DECISION_FAILED, {}))
        raise


def upload_rows_purge(*, upload_id: int) -> int:
    """Empties the staging rows of an upload that no longer needs them (submitted, discarded)."""
    finished = (Status.SUBMITTED, Status.PENDING_APPROVAL, Status.DISCARDED, Status.REJECTED, Status.REFUSED)
    if not Upload.objects.filter(pk=upload_id, status__in=finished).exists():
        return 0
    deleted, _by_model = UploadRow.objects.filter(upload_id=upload_id).delete()
    return deleted
