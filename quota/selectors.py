"""Reads of the quota app: balances, the ledger statement, tariffs in force, reconciliation."""

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billers.models import BillerCode, Company, Registration
from kopra.errors import InvalidInput
from quota.models import Agreement, LedgerEntry, Package, QuotaAccount, TopUpOrder

BALANCE_KINDS = (LedgerEntry.Kind.GRANT, LedgerEntry.Kind.TOPUP, LedgerEntry.Kind.ADJUST, LedgerEntry.Kind.CONSUME)
RESERVED_KINDS = (LedgerEntry.Kind.RESERVE, LedgerEntry.Kind.RELEASE, LedgerEntry.Kind.CONSUME)
CENT = Decimal("0.01")


def quota_account_of(registration: Registration) -> QuotaAccount | None:
    return QuotaAccount.objects.filter(registration=registration).first()


def quota_available(registration: Registration) -> int:
    """Pushes that can still be reserved: balance minus reserved (0 without an account)."""
    row = QuotaAccount.objects.filter(registration=registration).values("balance", "reserved").first()
    return row["balance"] - row["reserved"] if row else 0


def quota_summary(registration: Registration) -> dict:
    """Balance, reserved, available and whether the company's low-quota warning applies."""
    row = QuotaAccount.objects.filter(registration=registration).values("balance", "reserved").first() or {
        "balance": 0, "reserved": 0,
    }
    available = row["balance"] - row["reserved"]
    return {**row, "available": available, "low": available < registration.low_quota_threshold}


def registrations_with_quota(company: Company):
    """The company's registered codes with their quota account, by code."""
    return (
        Registration.objects.filter(company=company)
        .select_related("biller_code", "quota_account")
        .order_by("biller_code__code")
    )


def low_quota_registrations(company: Company) -> list[Registration]:
    """Registered, active codes whose available quota is below the company's threshold."""
    return [
        registration for registration in registrations_with_quota(company).filter(status=Registration.Status.ACTIVE)
        if _available_of(registration) < registration.low_quota_threshold
    ]


def _available_of(registration: Registration) -> int:
    account = getattr(registration, "quota_account", None)
    return account.available if account is not None else 0


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def ledger_entries(
    company: Company, *, registration: Registration, kind: str = "", date_from: date | None = None,
    date_to: date | None = None,
):
    """The ledger statement of one code, newest first; dates are Jakarta calendar days, inclusive."""
    entries = LedgerEntry.objects.filter(company=company, account__registration=registration)
    if kind:
        entries = entries.filter(kind=kind)
    if date_from:
        entries = entries.filter(created_at__gte=_day_start(date_from))
    if date_to:
        entries = entries.filter(created_at__lt=_day_start(date_to) + timezone.timedelta(days=1))
    return entries.select_related("actor").order_by("-created_at", "-id")


def topup_orders(company: Company, *, registration: Registration | None = None):
    orders = TopUpOrder.objects.filter(company=company)
    if registration is not None:
        orders = orders.filter(registration=registration)
    return orders.select_related("registration__biller_code", "requested_by", "approved_by", "package")


# --- Tariffs -----------------------------------------------------------------------------


def agreement_in_force(*, company: Company, biller_code: BillerCode | None = None, at: datetime | None = None):
    """The agreement that prices ``biller_code`` at ``at``: a code-specific one wins over a company-wide one."""
    at = at or timezone.now()
    candidates = Agreement.objects.filter(company=company, effective_from__lte=at).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gt=at)
    )
    if biller_code is not None:
        specific = candidates.filter(biller_code=biller_code).order_by("-effective_from").first()
        if specific is not None:
            return specific
    return candidates.filter(biller_code__isnull=True).order_by("-effective_from").first()


@dataclass(frozen=True)
class Quote:
    """What a top-up costs under the agreement in force: all amounts in IDR."""

    agreement: Agreement
    package: Package | None
    units: int
    unit_price: Decimal
    subtotal: Decimal
    tax_rate: Decimal
    tax: Decimal
    total: Decimal

    @property
    def tax_percent(self) -> Decimal:
        return (self.tax_rate * 100).normalize()


def topup_quote(*, registration: Registration, units: int | None = None, package: Package | None = None,
                at: datetime | None = None) -> Quote:
    """Prices ``units`` pushes, or ``package``, for ``registration`` under the agreement in force ``at``."""
    agreement = agreement_in_force(company=registration.company, biller_code=registration.biller_code, at=at)
    if agreement is None:
        raise InvalidInput(_("No tariff agreement is in force for %(code)s; ask the bank.")
                           % {"code": registration.code})
    if package is not None:
        if package.agreement_id != agreement.pk:
            raise InvalidInput(_("That package is not offered under the agreement in force."), field="package")
        units, subtotal = package.units, package.price
    else:
        if not units or units < agreement.minimum_topup:
            raise InvalidInput(
                _("The minimum top-up is %(minimum)d pushes.") % {"minimum": agreement.minimum_topup}, field="units"
            )
        subtotal = agreement.unit_price * units
    subtotal = subtotal.quantize(CENT, ROUND_HALF_UP)
    tax = (subtotal * agreement.tax_rate).quantize(CENT, ROUND_HALF_UP)
    return Quote(agreement=agreement, package=package, units=units, unit_price=agreement.unit_price,
                 subtotal=subtotal, tax_rate=agreement.tax_rate, tax=tax, total=subtotal + tax)


# --- Reconciliation ----------------------------------------------------------------------


@dataclass(frozen=True)
class Mismatch:
    account: QuotaAccount
    balance: int
    ledger_balance: int
    reserved: int
    ledger_reserved: int

    def __str__(self) -> str:
        return (f"{self.account.registration.code} (account {self.account.pk}): balance {self.balance} "
                f"but ledger {self.ledger_balance}; reserved {self.reserved} but ledger {self.ledger_reserved}")


def ledger_mismatches() -> list[Mismatch]:
    """Every quota account whose balance or reserved differs from the sum of its ledger."""
    sums = {
        row["account"]: row
        for row in LedgerEntry.objects.values("account").annotate(
            ledger_balance=Sum("units", filter=Q(kind__in=BALANCE_KINDS), default=0),
            ledger_reserved=Sum("units", filter=Q(kind__in=RESERVED_KINDS), default=0),
        )
    }
    found = []
    for account in QuotaAccount.objects.select_related("registration__biller_code").order_by("pk").iterator():
        row = sums.get(account.pk, {"ledger_balance": 0, "ledger_reserved": 0})
        if (account.balance, account.reserved) != (row["ledger_balance"], row["ledger_reserved"]):
            found.append(Mismatch(account=account, balance=account.balance, ledger_balance=row["ledger_balance"],
                                  reserved=account.reserved, ledger_reserved=row["ledger_reserved"]))
    return found
