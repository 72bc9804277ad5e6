"""The only way quota moves, and the top-up orders that buy more of it.

Every movement is one ``LedgerEntry`` written in the same transaction as the change to
the account, under a row lock on the account (``SELECT ... FOR UPDATE`` on PostgreSQL;
on SQLite every transaction begins IMMEDIATE, so writers take turns). Each movement is
idempotent by ``(kind, reference)``: booking the same event again returns the entry
already booked and moves nothing. The sign of ``units`` per kind is in ``quota.models``.

Grants, top-ups and adjustments are also written to the audit log; reservations,
consumptions and releases are machine bookings per bill, and the ledger is their record.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billers.approvals import ensure_can_approve
from billers.models import CollectionAccount, Registration, User
from kopra.audit import audit_record
from kopra.errors import Conflict, InsufficientQuota, InvalidInput, NotAllowed
from quota.models import LedgerEntry, Package, QuotaAccount, TopUpOrder
from quota.payments import payments_gateway
from quota.selectors import topup_quote

Kind = LedgerEntry.Kind


@dataclass(frozen=True)
class _Move:
    balance: int
    reserved: int


def _move_of(kind: str, units: int) -> _Move:
    """How ``units`` of ``kind`` (signed as stored) change balance and reserved."""
    if kind in (Kind.GRANT, Kind.TOPUP, Kind.ADJUST):
        return _Move(balance=units, reserved=0)
    if kind in (Kind.RESERVE, Kind.RELEASE):
        return _Move(balance=0, reserved=units)
    if kind == Kind.CONSUME:
        return _Move(balance=units, reserved=units)
    raise ValueError(kind)


def quota_account_open(*, registration: Registration) -> QuotaAccount:
    """The quota account of ``registration``, opened empty on first need."""
    account, _created = QuotaAccount.objects.get_or_create(
        registration=registration, defaults={"company_id": registration.company_id}
    )
    return account


def _locked_account(registration: Registration) -> QuotaAccount:
    locked = QuotaAccount.objects.select_for_update()
    account = locked.filter(registration=registration).first()
    if account is None:
        quota_account_open(registration=registration)
        account = locked.get(registration=registration)
    return account


def _positive(units: int) -> int:
    if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
        raise InvalidInput(_("The number of pushes must be a whole number above zero."), field="units")
    return units


def _book(
    *, registration: Registration, kind: str, units: int, reference: str, actor=None, reason: str = "",
    refuse=None,
) -> tuple[LedgerEntry, bool]:
    """Books one movement, or finds it booked; ``refuse(account, move)`` raises if the account cannot take it."""
    if not reference:
        raise InvalidInput(_("A quota movement needs a reference."), field="reference")
    with transaction.atomic():
        account = _locked_account(registration)
        existing = LedgerEntry.objects.filter(account=account, kind=kind, reference=reference).first()
        if existing is not None:
            if existing.units != units:
                raise Conflict(
                    _("%(kind)s %(reference)s was already booked with %(booked)d units, not %(units)d.")
                    % {"kind": kind, "reference": reference, "booked": existing.units, "units": units}
                )
            return existing, False
        move = _move_of(kind, units)
        if refuse is not None:
            refuse(account, move)
        account.balance += move.balance
        account.reserved += move.reserved
        # The CHECK constraints refuse a negative or over-reserved account even if a
        # refusal above were wrong.
        QuotaAccount.objects.filter(pk=account.pk).update(
            balance=account.balance, reserved=account.reserved, updated_at=timezone.now()
        )
        entry = LedgerEntry.objects.create(
            account=account, company_id=account.company_id, kind=kind, units=units,
            balance_after=account.balance, reserved_after=account.reserved,
            reference=reference, reason=reason, actor=actor,
        )
        return entry, True


def quota_grant(*, registration: Registration, units: int, reference: str, actor=None, reason: str = "",
                request=None) -> LedgerEntry:
    """Adds ``units`` pushes granted by the agreement (e.g. the initial quota)."""
    return _credit_audited(registration=registration, kind=Kind.GRANT, units=units, reference=reference,
                           actor=actor, reason=reason, request=request)


def quota_topup_credit(*, registration: Registration, units: int, reference: str, actor=None, reason: str = "",
                       request=None) -> LedgerEntry:
    """Adds ``units`` pushes bought by a paid top-up (reference ``topup:<order id>``)."""
    return _credit_audited(registration=registration, kind=Kind.TOPUP, units=units, reference=reference,
                           actor=actor, reason=reason, request=request)


def _credit_audited(*, registration, kind, units, reference, actor, reason, request) -> LedgerEntry:
    with transaction.atomic():
        entry, created = _book(registration=registration, kind=kind, units=_positive(units), reference=reference,
                               actor=actor, reason=reason)
        if created:
            audit_record(
                action=f"quota.{kind}", actor=actor, company=registration.company, request=request, obj=entry,
                sentence=f"{actor or 'system'} credited {units} pushes to {registration.code} ({kind}, {reference})",
                details={"units": units, "reference": reference, "balance_after": entry.balance_after},
            )
    return entry


def quota_reserve(*, registration: Registration, units: int = 1, reference: str, actor=None) -> LedgerEntry:
    """Sets ``units`` pushes aside for a bill or an upload; refuses when fewer are available."""

    def refuse(account, move):
        if account.balance - account.reserved < move.reserved:
            raise InsufficientQuota(
                _("Not enough quota for %(code)s: %(available)d available, %(needed)d needed.")
                % {"code": registration.code, "available": account.balance - account.reserved,
                   "needed": move.reserved}
            )

    entry, _created = _book(registration=registration, kind=Kind.RESERVE, units=_positive(units),
                            reference=reference, actor=actor, refuse=refuse)
    return entry


def _refuse_beyond_reserved(registration, message):
    def refuse(account, move):
        if account.reserved + move.reserved < 0:
            raise Conflict(
                message % {"reserved": account.reserved, "code": registration.code, "units": -move.reserved}
            )

    return refuse


def quota_consume(*, registration: Registration, units: int = 1, reference: str, actor=None) -> LedgerEntry:
    """Spends ``units`` reserved pushes (a push was delivered): balance and reserved go down."""
    entry, _created = _book(registration=registration, kind=Kind.CONSUME, units=-_positive(units),
                            reference=reference, actor=actor, refuse=_refuse_beyond_reserved(
        registration, _("Only %(reserved)d pushes of %(code)s are reserved; %(units)d cannot be consumed.")))
    return entry


def quota_release(*, registration: Registration, units: int = 1, reference: str, actor=None) -> LedgerEntry:
    """Gives ``units`` reserved pushes back to the available quota (nothing was delivered)."""
    entry, _created = _book(registration=registration, kind=Kind.RELEASE, units=-_positive(units),
                            reference=reference, actor=actor, refuse=_refuse_beyond_reserved(
        registration, _("Only %(reserved)d pushes of %(code)s are reserved; %(units)d cannot be released.")))
    return entry


def quota_adjust(*, registration: Registration, units: int, reason: str, actor, reference: str,
                 request=None) -> LedgerEntry:
    """A bank correction of ``units`` (either sign) with a mandatory reason; never below what is reserved."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why the quota is adjusted."), field="reason")
    if not isinstance(units, int) or isinstance(units, bool) or units == 0:
        raise InvalidInput(_("An adjustment is a whole number of pushes, not zero."), field="units")

    def refuse(account, move):
        if account.balance + move.balance < account.reserved:
            raise Conflict(
                _("An adjustment of %(units)d would leave %(code)s with %(balance)d pushes "
                  "while %(reserved)d are reserved.")
                % {"units": units, "code": registration.code, "balance": account.balance + move.balance,
                   "reserved": account.reserved},
                field="units",
            )

    with transaction.atomic():
        entry, created = _book(registration=registration, kind=Kind.ADJUST, units=units, reference=reference,
                               actor=actor, reason=reason, refuse=refuse)
        if created:
            audit_record(
                action="quota.adjust", actor=actor, company=registration.company, request=request, obj=entry,
                sentence=f"{actor or 'system'} adjusted the quota of {registration.code} by {units:+d}: {reason}",
                details={"units": units, "reference": reference, "balance_after": entry.balance_after},
            )
    return entry


# --- Top-up orders ---------------------------------------------------------------------
#
# pending_approval ─approve─► awaiting_payment ─paid─► paid
#        │                        ├─ debit refused ─► refused
#        ├─ refuse ─► refused     └─ expires_at passed ─► expired
#        └─ cancel ─► cancelled
# Without an approver the order starts at awaiting_payment. A debit is asked of the bank
# after the order's change has committed, never inside a transaction.

VA_HOURS = getattr(settings, "KOPRA_TOPUP_VA_HOURS", 24)
Status = TopUpOrder.Status


def _rupiah(amount: Decimal) -> str:
    return f"Rp {amount:,.2f}"


def topup_request(
    *, registration: Registration, actor: User, method: str, units: int | None = None,
    package: Package | None = None, debit_account: str = "", request=None,
) -> TopUpOrder:
    """A maker orders pushes for one code at the price in force now; paid at once where no approver is needed."""
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
    with transaction.atomic():
        order = TopUpOrder.objects.create(
            company=registration.company, registration=registration, agreement=quote.agreement,
            package=quote.package, units=quote.units, unit_price=quote.unit_price, subtotal=quote.subtotal,
            tax_rate=quote.tax_rate, tax=quote.tax, total=quote.total, method=method,
            debit_account=debit_account, requested_by=actor,
        )
        audit_record(action="topup.requested", actor=actor, company=order.company, request=request, obj=order,
                     sentence=f"{actor} ordered {order.units} pushes for {registration.code}, "
                              f"{_rupiah(order.total)} by {order.get_method_display().lower()} (top-up #{order.pk})")
        if not registration.company.approval_for_topup:
            _await_payment(order)
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
    order.expires_at = timezone.now() + timedelta(hours=VA_HOURS)
    if order.method == TopUpOrder.Method.VA:
        va = payments_gateway().open_virtual_account(
            reference=order.reference, amount=order.total, expires_at=order.expires_at,
            name=f"Kopra Bill Reminder {order.registration.code}",
        )
        order.va_number, order.expires_at = va.number, va.expires_at
    order.save(update_fields=["status", "expires_at", "va_number", "approved_by", "approved_at", "updated_at"])


def topup_approve(*, order: TopUpOrder, approver: User, request=None) -> TopUpOrder:
    """An approver other than the maker approves; a debit order is then collected at once."""
    with transaction.atomic():
        order = _locked(order, Status.PENDING_APPROVAL)
        ensure_can_approve(requested_by=order.requested_by, approver=approver)
        order.approved_by, order.approved_at = approver, timezone.now()
        _await_payment(order)
        audit_record(action="topup.approved", actor=approver, company=order.company, request=request, obj=order,
                     sentence=f"{approver} approved top-up #{order.pk} of {order.requested_by} "
                              f"({order.units} pushes for {order.registration.code})")
    return _collect_if_debit(order, request=request)


@transaction.atomic
def topup_refuse(*, order: TopUpOrder, approver: User, reason: str = "", request=None) -> TopUpOrder:
    """An approver other than the maker turns the order down."""
    order = _locked(order, Status.PENDING_APPROVAL)
    ensure_can_approve(requested_by=order.requested_by, approver=approver)
    order.status, order.refusal_reason = Status.REFUSED, (reason.strip() or _("Refused by the approver."))[:200]
    order.save(update_fields=["status", "refusal_reason", "updated_at"])
    audit_record(action="topup.refused", actor=approver, company=order.company, request=request, obj=order,
                 sentence=f"{approver} refused top-up #{order.pk}: {order.refusal_reason}")
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
                 sentence=f"{actor} cancelled top-up #{order.pk}")
    return order


def _collect_if_debit(order: TopUpOrder, *, request=None) -> TopUpOrder:
    if order.method == TopUpOrder.Method.DEBIT and order.status == Status.AWAITING_PAYMENT:
        return topup_collect_debit(order=order, request=request)
    return order


def topup_collect_debit(*, order: TopUpOrder, request=None) -> TopUpOrder:
    """Asks the bank to debit the order's account (again, after a failure: the bank debits once)."""
    if order.method != TopUpOrder.Method.DEBIT or order.status != Status.AWAITING_PAYMENT:
        raise Conflict(_("Top-up #%(id)s is not waiting for a debit.") % {"id": order.pk})
    result = payments_gateway().debit(
        account_number=order.debit_account, amount=order.total, reference=order.reference,
        description=f"Kopra Bill Reminder top-up #{order.pk} {order.registration.code}",
    )
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
                 sentence=f"The bank refused the payment of top-up #{order.pk}: {reason}")
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
                           % {"id": order.pk, "due": _rupiah(order.total), "paid": _rupiah(Decimal(amount))},
                           field="amount")
    if TopUpOrder.objects.filter(payment_reference=payment_reference).exists():
        raise Conflict(_("Payment %(reference)s was already used for another top-up.")
                       % {"reference": payment_reference})
    order.status, order.paid_at = Status.PAID, timezone.now()
    order.paid_amount, order.payment_reference = Decimal(amount), payment_reference
    order.save(update_fields=["status", "paid_at", "paid_amount", "payment_reference", "updated_at"])
    who = f"{actor} confirmed" if actor is not None else "The bank confirmed"
    audit_record(action="topup.paid", actor=actor, company=order.company, request=request, obj=order,
                 sentence=f"{who} payment {payment_reference} of {_rupiah(order.total)} for top-up #{order.pk}")
    quota_topup_credit(registration=order.registration, units=order.units, reference=order.reference,
                       actor=actor, reason=f"Top-up #{order.pk} paid ({payment_reference})", request=request)
    return order


def topups_expire(*, now=None) -> int:
    """Ends the orders whose payment did not come in time; they credit nothing. Returns how many."""
    now = now or timezone.now()
    due = list(TopUpOrder.objects.filter(status=Status.AWAITING_PAYMENT, expires_at__lte=now)
               .values_list("pk", flat=True)[:500])
    expired = 0
    for pk in due:
        with transaction.atomic():
            # Conditional: a payment confirmed meanwhile wins.
            if TopUpOrder.objects.filter(pk=pk, status=Status.AWAITING_PAYMENT).update(
                    status=Status.EXPIRED, updated_at=now):
                order = TopUpOrder.objects.select_related("company").get(pk=pk)
                audit_record(action="topup.expired", actor=None, company=order.company, obj=order,
                             sentence=f"Top-up #{pk} expired unpaid "
                                      f"at {timezone.localtime(order.expires_at):%Y-%m-%d %H:%M}")
                expired += 1
    return expired
