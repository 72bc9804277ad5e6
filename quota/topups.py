"""Top-up orders: priced by the agreement in force, approved where required, paid once."""

import logging
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billers.approvals import ensure_can_approve
from billers.models import CollectionAccount, Registration, User
from core import audit, events
from core.audit import audit_record
from core.errors import Conflict, InvalidInput, NotAllowed
from core.money import rupiah
from quota.models import Package, TopUpOrder
from quota.payments import BankUnavailable, payments_gateway, payments_ready
from quota.selectors import topup_quote
from quota.services import quota_topup_credit

# pending_approval ─approve─► awaiting_payment ─paid─► paid
#        │                        ├─ debit refused ─► refused
#        ├─ refuse ─► refused     └─ expires_at passed ─► expired
#        └─ cancel ─► cancelled
# Without an approver the order starts at awaiting_payment. A debit is asked of the bank
# after the order's change has committed, never inside a transaction. A debit order does
# not expire: if the bank's answer is lost, ``topups_settle_debits`` asks again (the bank
# debits a reference once) until it answers paid or refused.

# How long a debit order waits for the bank's answer before it is asked again.
DEBIT_ANSWER_WAIT = timedelta(minutes=1)
Status = TopUpOrder.Status
log = logging.getLogger(__name__)


def topup_request(
    *, registration: Registration, actor: User, method: str, units: int | None = None,
    package: Package | None = None, debit_account: str = "", request=None,
) -> TopUpOrder:
    """A maker orders pushes for one code at the price in force now; paid at once where no approver is needed."""
    payments_ready()
    if method not in TopUpOrder.Method.values:
        raise InvalidInput(_("Choose how to pay."), field="method")
    if method == TopUpOrder.Method.DEBIT:
        accounts = CollectionAccount.objects.filter(company=registration.company,
                                                    status=CollectionAccount.Status.ACTIVE)
        if not accounts.filter(account_number=debit_account).exists():
            raise InvalidInput(_("Choose one of the company's active accounts to debit."), field="debit_account")
    else:
        debit_account = ""
    quote = topup_quote(registration=registration, units=units, package=package)
    with transaction.atomic(durable=True):
        order = TopUpOrder.objects.create(
            company=registration.company, registration=registration, agreement=quote.agreement,
            package=quote.package, units=quote.units, unit_price=quote.unit_price, subtotal=quote.subtotal,
            tax_rate=quote.tax_rate, tax=quote.tax, total=quote.total, method=method,
            debit_account=debit_account, requested_by=actor,
        )
        audit_record(action="topup.requested", actor=actor, company=order.company, request=request, obj=order,
                     sentence=gettext_noop("%(actor)s ordered %(units)s pushes for %(code)s, %(total)s by "
                                           "%(method)s (top-up #%(order)s)"),
                     params={"actor": actor, "units": order.units, "code": registration.code,
                             "total": audit.money(order.total), "method": TopUpOrder.Method(order.method),
                             "order": order.pk})
        if not registration.company.approval_for_topup:
            _await_payment(order)
        else:
            events.approval_waiting.send(sender=TopUpOrder, request=order, company=order.company,
                                         requested_by=actor)
    return _collect_if_debit(order, request=request)


def _locked(order: TopUpOrder, *statuses: str) -> TopUpOrder:
    order = (TopUpOrder.objects.select_for_update(of=("self",)).select_related("registration__biller_code")
             .get(pk=order.pk))
    if order.status not in statuses:
        raise Conflict(_("Top-up #%(id)s is %(status)s.") % {"id": order.pk,
                                                              "status": order.get_status_display().lower()})
    return order


def _await_payment(order: TopUpOrder) -> None:
    """Moves the order to awaiting_payment; a VA order gets its virtual account now."""
    order.status = Status.AWAITING_PAYMENT
    order.expires_at = timezone.now() + timedelta(hours=settings.TOPUP_VA_HOURS)
    if order.method == TopUpOrder.Method.VA:
        va = payments_gateway().open_virtual_account(
            reference=order.reference, amount=order.total, expires_at=order.expires_at,
            name=f"Kopra Bill Reminder {order.registration.code}",
        )
        order.va_number, order.expires_at = va.number, va.expires_at
    order.save(update_fields=["status", "expires_at", "va_number", "approved_by", "approved_at", "updated_at"])


def topup_approve(*, order: TopUpOrder, approver: User, request=None) -> TopUpOrder:
    """An approver other than the maker approves; a debit order is then collected at once."""
    with transaction.atomic(durable=True):
        order = _locked(order, Status.PENDING_APPROVAL)
        ensure_can_approve(requested_by=order.requested_by, approver=approver)
        order.approved_by, order.approved_at = approver, timezone.now()
        _await_payment(order)
        audit_record(action="topup.approved", actor=approver, company=order.company, request=request, obj=order,
                     sentence=gettext_noop("%(actor)s approved top-up #%(order)s of %(maker)s (%(units)s pushes for "
                                           "%(code)s)"),
                     params={"actor": approver, "order": order.pk, "maker": order.requested_by, "units": order.units,
                             "code": order.registration.code})
        events.request_decided.send(sender=TopUpOrder, request=order, company=order.company,
                                    requested_by=order.requested_by, decided_by=approver, approved=True)
    return _collect_if_debit(order, request=request)


@transaction.atomic
def topup_refuse(*, order: TopUpOrder, approver: User, reason: str = "", request=None) -> TopUpOrder:
    """An approver other than the maker turns the order down."""
    order = _locked(order, Status.PENDING_APPROVAL)
    ensure_can_approve(requested_by=order.requested_by, approver=approver)
    order.status, order.refusal_reason = Status.REFUSED, (reason.strip() or _("Refused by the approver."))[:200]
    order.save(update_fields=["status", "refusal_reason", "updated_at"])
    audit_record(action="topup.refused", actor=approver, company=order.company, request=request, obj=order,
                 sentence=gettext_noop("%(actor)s refused top-up #%(order)s: %(reason)s"),
                 params={"actor": approver, "order": order.pk,
                         "reason": reason.strip()[:200] or audit.label(gettext_noop("Refused by the approver."))})
    events.request_decided.send(sender=TopUpOrder, request=order, company=order.company,
                                requested_by=order.requested_by, decided_by=approver, approved=False,
                                reason=reason.strip())
    return order


@transaction.atomic
def topup_cancel(*, order: TopUpOrder, actor: User, request=None) -> TopUpOrder:
    """The maker withdraws an order still waiting for approval."""
    order = _locked(order, Status.PENDING_APPROVAL)
    if order.requested_by_id != actor.pk:
        raise NotAllowed(_("Only the user who ordered this top-up can cancel it."))
    order.status = Status.CANCELLED
    order.save(update_fields=["status", "updated_at"])
    audit_record(action="topup.cancelled", actor=actor, company=order.company, request=request, obj=order,
                 sentence=gettext_noop("%(actor)s cancelled top-up #%(order)s"),
                 params={"actor": actor, "order": order.pk})
    return order


def _collect_if_debit(order: TopUpOrder, *, request=None) -> TopUpOrder:
    if order.method == TopUpOrder.Method.DEBIT and order.status == Status.AWAITING_PAYMENT:
        return topup_collect_debit(order=order, request=request)
    return order


def topup_collect_debit(*, order: TopUpOrder, request=None) -> TopUpOrder:
    """Asks the bank to debit the order's account (again, after a failure: the bank debits once).

    If the bank does not answer, the order stays awaiting payment (its debit may or may not
    have been made) and ``topups_settle_debits`` asks again.
    """
    if order.method != TopUpOrder.Method.DEBIT or order.status != Status.AWAITING_PAYMENT:
        raise Conflict(_("Top-up #%(id)s is not waiting for a debit.") % {"id": order.pk})
    try:
        result = payments_gateway().debit(
            account_number=order.debit_account, amount=order.total, reference=order.reference,
            description=f"Kopra Bill Reminder top-up #{order.pk} {order.registration.code}",
        )
    except BankUnavailable as lost:
        log.warning("top-up %s: the bank did not answer the debit (%s); it will be asked again", order.pk, lost)
        return TopUpOrder.objects.select_related("registration__biller_code", "company").get(pk=order.pk)
    if result.ok:
        return topup_payment_confirmed(order=order, amount=order.total, payment_reference=result.transaction_id,
                                       request=request)
    return topup_payment_refused(order=order, reason=result.reason, request=request)


@transaction.atomic
def topup_payment_refused(*, order: TopUpOrder, reason: str, request=None) -> TopUpOrder:
    """The bank refused the payment: the order ends refused and credits nothing."""
    order = _locked(order, Status.AWAITING_PAYMENT)
    order.status, order.refusal_reason = Status.REFUSED, reason[:200]
    order.save(update_fields=["status", "refusal_reason", "updated_at"])
    audit_record(action="topup.payment_refused", actor=None, company=order.company, request=request, obj=order,
                 sentence=gettext_noop("The bank refused the payment of top-up #%(order)s: %(reason)s"),
                 params={"order": order.pk, "reason": reason})
    return order


@transaction.atomic
def topup_payment_confirmed(
    *, amount: Decimal, payment_reference: str, va_number: str | None = None, order: TopUpOrder | None = None,
    actor: User | None = None, request=None,
) -> TopUpOrder:
    """A payment arrived: the order is paid and its pushes credited, exactly once however often this comes."""
    orders = TopUpOrder.objects.select_for_update(of=("self",)).select_related(
        "registration__biller_code", "company")
    if order is not None:
        order = orders.get(pk=order.pk)
    else:
        order = orders.filter(va_number=va_number).first()
        if order is None:
            raise InvalidInput(_("No top-up waits for virtual account %(va)s.") % {"va": va_number})
    if order.status == Status.PAID:
        if order.payment_reference == payment_reference:
            return order  # the same confirmation again
        raise Conflict(_("Top-up #%(id)s is already paid (payment %(reference)s).")
                       % {"id": order.pk, "reference": order.payment_reference})
    if order.status != Status.AWAITING_PAYMENT:
        raise Conflict(_("Top-up #%(id)s is %(status)s; the payment is not credited.")
                       % {"id": order.pk, "status": order.get_status_display().lower()})
    if Decimal(amount) != order.total:
        raise InvalidInput(_("Top-up #%(id)s needs exactly %(due)s; %(paid)s is not accepted.")
                           % {"id": order.pk, "due": rupiah(order.total), "paid": rupiah(Decimal(amount))},
                           field="amount")
    if TopUpOrder.objects.filter(payment_reference=payment_reference).exists():
        raise Conflict(_("Payment %(reference)s was already used for another top-up.")
                       % {"reference": payment_reference})
    order.status, order.paid_at = Status.PAID, timezone.now()
    order.paid_amount, order.payment_reference = Decimal(amount), payment_reference
    order.save(update_fields=["status", "paid_at", "paid_amount", "payment_reference", "updated_at"])
    audit_record(action="topup.paid", actor=actor, company=order.company, request=request, obj=order,
                 sentence=gettext_noop("%(actor)s confirmed payment %(payment)s of %(total)s for top-up #%(order)s")
                 if actor is not None else
                 gettext_noop("The bank confirmed payment %(payment)s of %(total)s for top-up #%(order)s"),
                 params={"payment": payment_reference, "total": audit.money(order.total), "order": order.pk}
                        | ({"actor": actor} if actor is not None else {}))
    quota_topup_credit(registration=order.registration, units=order.units, reference=order.reference,
                       actor=actor, reason=f"Top-up #{order.pk} paid ({payment_reference})", request=request)
    return order


def topups_settle_debits(*, now=None) -> int:
    """Asks the bank again about debit orders it has not answered for a minute; returns how many it settled.

    The bank debits a reference once, so asking again either makes the debit or returns the
    one already made (and the order is credited once); a refusal ends the order refused.
    """
    now = now or timezone.now()
    due = (TopUpOrder.objects.filter(method=TopUpOrder.Method.DEBIT, status=Status.AWAITING_PAYMENT,
                                     updated_at__lte=now - DEBIT_ANSWER_WAIT)
           .select_related("registration__biller_code", "company").order_by("updated_at")[:200])
    settled = 0
    for order in due:
        try:
            order = topup_collect_debit(order=order)
        except Conflict:
            continue  # settled meanwhile (a person pressed "Debit now")
        settled += order.status != Status.AWAITING_PAYMENT
    return settled


def topups_expire(*, now=None) -> int:
    """Ends the VA orders whose payment did not come in time; they credit nothing. Returns how many.

    Debit orders never expire here: only the bank's answer ends them (``topups_settle_debits``).
    """
    now = now or timezone.now()
    due = list(TopUpOrder.objects.filter(method=TopUpOrder.Method.VA, status=Status.AWAITING_PAYMENT,
                                         expires_at__lte=now)
               .values_list("pk", flat=True)[:500])
    expired = 0
    for pk in due:
        with transaction.atomic(durable=True):
            # Conditional: a payment confirmed meanwhile wins.
            if TopUpOrder.objects.filter(pk=pk, status=Status.AWAITING_PAYMENT).update(
                    status=Status.EXPIRED, updated_at=now):
                order = TopUpOrder.objects.select_related("company").get(pk=pk)
                audit_record(action="topup.expired", actor=None, company=order.company, obj=order,
                             sentence=gettext_noop("Top-up #%(order)s expired unpaid at %(at)s"),
                             params={"order": pk, "at": order.expires_at})
                expired += 1
    return expired
