"""Bill Reminder registration of a company's biller codes, and stopping or resuming them.

Writes only; reads are in ``billers.selectors``.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billers.approvals import ensure_can_approve
from billers.models import BillerCode, Company, Registration, ServiceChangeRequest, User
from billers.selectors import registration_refusal, registry_refusal, registry_refusal_message
from core import audit, events
from core.audit import audit_record
from core.errors import Conflict, NotAllowed


@transaction.atomic
def registration_create(*, company: Company, biller_code: BillerCode, actor: User, request=None) -> Registration:
    """Registers ``biller_code`` and grants the initial quota of the agreement in force."""
    from quota.selectors import agreement_in_force
    from quota.services import INITIAL_QUOTA_REASON, quota_account_open, quota_grant

    # Locks the registry row: two admins registering the same code take turns.
    biller_code = (BillerCode.objects.select_for_update(of=("self",)).select_related("collection_account")
                   .get(pk=biller_code.pk))
    refusal = registration_refusal(company=company, biller_code=biller_code)
    if refusal:
        raise NotAllowed(refusal, field="biller_code")
    registration = Registration.objects.create(company=company, biller_code=biller_code, registered_by=actor)
    quota_account_open(registration=registration)
    agreement = agreement_in_force(company=company, biller_code=biller_code)
    audit_record(action="registration.created", actor=actor, company=company, request=request, obj=registration,
                 sentence=gettext_noop("%(actor)s registered biller code %(code)s for Bill Reminder"),
                 params={"actor": actor, "code": biller_code.code})
    if agreement.initial_quota:
        quota_grant(registration=registration, units=agreement.initial_quota,
                    reference=f"registration:{registration.pk}:initial", actor=actor,
                    reason=INITIAL_QUOTA_REASON, request=request)
    return registration


@transaction.atomic
def registration_set_threshold(*, registration: Registration, actor: User, threshold: int, request=None):
    """Sets the available quota below which the console warns."""
    before = registration.low_quota_threshold
    if before != threshold:
        registration.low_quota_threshold = threshold
        registration.save(update_fields=["low_quota_threshold"])
        audit_record(action="registration.threshold_changed", actor=actor, company=registration.company,
                     request=request, obj=registration,
                     sentence=gettext_noop("%(actor)s set the low-quota warning of %(code)s: %(before)s → %(after)s"),
                     params={"actor": actor, "code": registration.code, "before": before, "after": threshold})
    return registration


# --- Stop service / resume ---------------------------------------------------------------


def _needs_approval(registration: Registration) -> bool:
    return registration.company.approval_for_stop


@transaction.atomic
def service_change_request(*, registration: Registration, action: str, actor: User, reason: str = "",
                           request=None) -> ServiceChangeRequest:
    """A maker asks to stop or resume ``registration``; applied at once where no approver is needed."""
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if action == ServiceChangeRequest.Action.STOP and registration.status != Registration.Status.ACTIVE:
        raise Conflict(_("Biller code %(code)s is already stopped.") % {"code": registration.code})
    if action == ServiceChangeRequest.Action.RESUME and registration.status != Registration.Status.STOPPED:
        raise Conflict(_("Biller code %(code)s is not stopped.") % {"code": registration.code})
    if action == ServiceChangeRequest.Action.RESUME and registry_refusal(registration.biller_code):
        raise NotAllowed(registry_refusal(registration.biller_code))
    if registration.change_requests.filter(status=ServiceChangeRequest.Status.PENDING).exists():
        raise Conflict(_("A request for biller code %(code)s is already waiting for approval.")
                       % {"code": registration.code})
    change = ServiceChangeRequest.objects.create(
        company=registration.company, registration=registration, action=action, reason=reason.strip(),
        requested_by=actor,
    )
    audit_record(action=f"registration.{action}_requested", actor=actor, company=registration.company,
                 request=request, obj=change,
                 sentence=(gettext_noop("%(actor)s asked to stop the service of %(code)s%(reason)s")
                           if action == ServiceChangeRequest.Action.STOP
                           else gettext_noop("%(actor)s asked to resume the service of %(code)s%(reason)s")),
                 params={"actor": actor, "code": registration.code, "reason": audit.because(change.reason)})
    if not _needs_approval(registration):
        _apply(change, actor=actor, request=request)
    else:
        events.approval_waiting.send(sender=ServiceChangeRequest, request=change, company=registration.company,
                                     requested_by=actor)
    return change


def _pending(change: ServiceChangeRequest) -> ServiceChangeRequest:
    change = (ServiceChangeRequest.objects.select_for_update(of=("self",))
              .select_related("registration__biller_code").get(pk=change.pk))
    if change.status != ServiceChangeRequest.Status.PENDING:
        raise Conflict(_("This request was already %(status)s.") % {"status": change.get_status_display().lower()})
    return change


@transaction.atomic
def service_change_approve(*, change: ServiceChangeRequest, approver: User, request=None) -> ServiceChangeRequest:
    """An approver other than the maker approves; the stop or resume takes effect now."""
    change = _pending(change)
    ensure_can_approve(requested_by=change.requested_by, approver=approver)
    change.decided_by = approver
    _apply(change, actor=approver, request=request)
    events.request_decided.send(sender=ServiceChangeRequest, request=change, company=change.company,
                                requested_by=change.requested_by, decided_by=approver, approved=True)
    return change


@transaction.atomic
def service_change_reject(*, change: ServiceChangeRequest, approver: User, request=None) -> ServiceChangeRequest:
    """An approver other than the maker turns the request down; nothing changes."""
    change = _pending(change)
    ensure_can_approve(requested_by=change.requested_by, approver=approver)
    change.status, change.decided_by, change.decided_at = ServiceChangeRequest.Status.REJECTED, approver, timezone.now()
    change.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(action="registration.change_rejected", actor=approver, company=change.company, request=request,
                 obj=change, sentence=(
                     gettext_noop("%(actor)s rejected the request of %(maker)s to stop the service of %(code)s")
                     if change.action == ServiceChangeRequest.Action.STOP else
                     gettext_noop("%(actor)s rejected the request of %(maker)s to resume the service of %(code)s")),
                 params={"actor": approver, "maker": change.requested_by, "code": change.registration.code})
    events.request_decided.send(sender=ServiceChangeRequest, request=change, company=change.company,
                                requested_by=change.requested_by, decided_by=approver, approved=False)
    return change


@transaction.atomic
def service_change_cancel(*, change: ServiceChangeRequest, actor: User, request=None) -> ServiceChangeRequest:
    """The maker withdraws their own waiting request."""
    change = _pending(change)
    if change.requested_by_id != actor.pk:
        raise NotAllowed(_("Only the user who made this request can cancel it."))
    change.status, change.decided_by, change.decided_at = ServiceChangeRequest.Status.CANCELLED, actor, timezone.now()
    change.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(action="registration.change_cancelled", actor=actor, company=change.company, request=request,
                 obj=change, sentence=(
                     gettext_noop("%(actor)s cancelled their request to stop the service of %(code)s")
                     if change.action == ServiceChangeRequest.Action.STOP else
                     gettext_noop("%(actor)s cancelled their request to resume the service of %(code)s")),
                 params={"actor": actor, "code": change.registration.code})
    return change


def _apply(change: ServiceChangeRequest, *, actor: User, request=None) -> None:
    registration = Registration.objects.select_for_update(of=("self",)).select_related("biller_code").get(
        pk=change.registration_id)
    now = timezone.now()
    if change.action == ServiceChangeRequest.Action.STOP:
        registration.status, registration.stopped_at = Registration.Status.STOPPED, now
    else:
        registration.status, registration.stopped_at = Registration.Status.ACTIVE, None
    registration.save(update_fields=["status", "stopped_at"])
    change.status, change.decided_at = ServiceChangeRequest.Status.APPLIED, now
    change.save(update_fields=["status", "decided_by", "decided_at"])
    stopped = change.action == ServiceChangeRequest.Action.STOP
    approval = (audit.phrase(gettext_noop(", approved by %(approver)s"), approver=change.decided_by)
                if change.decided_by_id else "")
    audit_record(action="registration.stopped" if stopped else "registration.resumed", actor=actor,
                 company=registration.company, request=request, obj=registration,
                 sentence=(gettext_noop("Service of %(code)s stopped at the request of %(maker)s%(approval)s")
                           if stopped else
                           gettext_noop("Service of %(code)s resumed at the request of %(maker)s%(approval)s")),
                 params={"code": registration.code, "maker": change.requested_by, "approval": approval})
    if change.action == ServiceChangeRequest.Action.STOP:
        # Its active bills end with it: shown ones are withdrawn, reserved quota released.
        from reminders.services import bills_cancel_for_stop

        bills_cancel_for_stop(registration=registration, actor=actor)



@transaction.atomic
def registry_change_applied(*, biller_code: BillerCode, actor: User | None, request=None) -> int | None:
    """After bank staff change ``biller_code`` in the MBC registry: if the registry no longer lets
    it take bill reminders (inactive, open payment), its Bill Reminder service stops as a stop
    would stop it: its active bills are cancelled (shown ones withdrawn from Livin'), their
    reserved quota released. Returns how many bills were cancelled, or None if the service was
    not stopped (the registry still lets it take bills, or it was not running)."""
    refusal = registry_refusal(biller_code)
    registration = (Registration.objects.select_for_update(of=("self",)).select_related("biller_code", "company")
                    .filter(biller_code=biller_code, status=Registration.Status.ACTIVE).first())
    if refusal is None or registration is None:
        return None
    registration.status, registration.stopped_at = Registration.Status.STOPPED, timezone.now()
    registration.save(update_fields=["status", "stopped_at"])
    audit_record(action="registration.stopped_by_registry", actor=actor, company=registration.company,
                 request=request, obj=registration,
                 sentence=gettext_noop("Service of %(code)s stopped because the registry changed (%(actor)s): "
                                       "%(refusal)s"),
                 params={"code": registration.code, "actor": actor or audit.label(gettext_noop("the bank")),
                         "refusal": audit.phrase(registry_refusal_message(biller_code), code=biller_code.code)})
    from reminders.services import bills_cancel_for_stop

    return bills_cancel_for_stop(registration=registration, actor=actor)
