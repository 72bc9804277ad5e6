"""Reads of the quota app: balances, the ledger statement, tariffs in force, reconciliation."""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from billers.models import BillerCode, Company, Registration
from core.errors import InvalidInput
from core.time import WIB
from quota.models import Agreement, LedgerEntry, Package, QuotaAccount, TopUpOrder
from reminders.models import Bill

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
    """Midnight in Jakarta at the start of ``day``, whatever TIME_ZONE a deployment sets."""
    return datetime.combine(day, time.min, tzinfo=WIB)


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
        entries = entries.filter(created_at__lt=_day_start(date_to + timedelta(days=1)))
    return entries.select_related("actor").order_by("-created_at", "-id")


# --- The statement: per day or month, and the movements' causes ---------------------------

# The statement's column for each kind of movement, with its units as positive numbers
# (adjustments keep their sign), as ``ledger_usage_by_period`` gives them.
STATEMENT_COLUMNS = {
    LedgerEntry.Kind.GRANT: "granted",
    LedgerEntry.Kind.TOPUP: "topped_up",
    LedgerEntry.Kind.ADJUST: "adjusted",
    LedgerEntry.Kind.CONSUME: "consumed",
    LedgerEntry.Kind.RESERVE: "reserved",
    LedgerEntry.Kind.RELEASE: "released",
}
STATEMENT_MAX_DAYS = 366


@dataclass
class StatementLine:
    """One day (or month) of a code's quota statement.

    The *balance* is the pushes the code holds: granted, topped up and adjusted, less those
    consumed by a delivered push. Pushes reserved for bills not yet delivered are still in the
    balance; *available* is the balance less what is reserved. A reservation or a release moves
    only what is reserved (and so available); a consumption lowers both balance and reserved.
    """

    first: date  # the first Jakarta day the line covers (within the statement's period)
    last: date
    opening_balance: int
    opening_reserved: int
    granted: int = 0
    topped_up: int = 0
    adjusted: int = 0  # signed
    consumed: int = 0
    reserved: int = 0
    released: int = 0

    @property
    def closing_balance(self) -> int:
        return self.opening_balance + self.granted + self.topped_up + self.adjusted - self.consumed

    @property
    def closing_reserved(self) -> int:
        return self.opening_reserved + self.reserved - self.released - self.consumed

    @property
    def opening_available(self) -> int:
        return self.opening_balance - self.opening_reserved

    @property
    def closing_available(self) -> int:
        return self.closing_balance - self.closing_reserved


@dataclass
class Statement:
    """A code's statement from ``first`` to ``last`` (Jakarta days, inclusive): a line per day, or
    per month, that has movements, each opening where the one before closed; ``total`` spans it all."""

    first: date
    last: date
    by: str
    total: StatementLine
    lines: list[StatementLine] = field(default_factory=list)


def month_last(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def quota_statement(company: Company, *, registration: Registration, first: date, last: date,
                    by: str = "day") -> Statement:
    """The quota statement of ``registration`` per day (``by="day"``) or month (``by="month"``).

    Two aggregate queries whatever the number of movements: the sums before ``first`` (the
    opening), and the sums per Jakarta day or month and kind within the period.
    """
    start, end = _day_start(first), _day_start(last + timedelta(days=1))
    opening = LedgerEntry.objects.filter(
        company=company, account__registration=registration, created_at__lt=start,
    ).aggregate(
        balance=Sum("units", filter=Q(kind__in=BALANCE_KINDS), default=0),
        reserved=Sum("units", filter=Q(kind__in=RESERVED_KINDS), default=0),
    )
    sums: dict[date, dict[str, int]] = {}
    for row in ledger_usage_by_period(company, start=start, end=end, period=by, registration=registration):
        sums.setdefault(row["period"], {})[STATEMENT_COLUMNS[row["kind"]]] = row["units"]
    total = StatementLine(first=first, last=last, opening_balance=opening["balance"],
                          opening_reserved=opening["reserved"])
    statement = Statement(first=first, last=last, by=by, total=total)
    balance, reserved = opening["balance"], opening["reserved"]
    for period in sorted(sums):
        period_last = period if by == "day" else month_last(period)
        line = StatementLine(first=max(period, first), last=min(period_last, last), opening_balance=balance,
                             opening_reserved=reserved, **sums[period])
        statement.lines.append(line)
        balance, reserved = line.closing_balance, line.closing_reserved
        for column, units in sums[period].items():
            setattr(total, column, getattr(total, column) + units)
    return statement


@dataclass(frozen=True)
class Cause:
    """What a ledger movement was booked for: ``kind`` is bill, upload, topup, registration or
    adjust, and ``key`` the bill's reference no. or the upload's or order's number; a reference of
    another shape has no kind and keeps the reference as stored."""

    kind: str
    key: str
    found_later: bool = False


# As the services write them: bill:<id> (bill:<id>:found when a payer is found in Livin' later),
# upload:<id>, topup:<order id>, registration:<id>:initial, adjust:<random>.
REFERENCE_SHAPE = re.compile(
    r"(?P<kind>bill|upload|topup|registration|adjust):(?P<id>[0-9a-f]+)(?P<tail>:found|:initial)?")


def ledger_causes(company: Company, references: Iterable[str]) -> dict[str, Cause]:
    """The cause of each ledger reference; the bills' reference numbers are read in one query."""
    parsed = {reference: REFERENCE_SHAPE.fullmatch(reference) for reference in set(references)}
    bill_ids = {int(found["id"]) for found in parsed.values()
                if found and found["kind"] == "bill" and found["id"].isdigit()}
    reference_nos = dict(
        Bill.objects.filter(company=company, pk__in=bill_ids).values_list("pk", "reference_no")
    ) if bill_ids else {}
    causes = {}
    for reference, found in parsed.items():
        kind = found["kind"] if found else ""
        if kind == "bill" and found["id"].isdigit() and int(found["id"]) in reference_nos:
            causes[reference] = Cause("bill", reference_nos[int(found["id"])], found_later=found["tail"] == ":found")
        elif kind in ("upload", "topup", "registration") and found["id"].isdigit():
            causes[reference] = Cause(kind, found["id"])
        elif kind == "adjust":
            causes[reference] = Cause(kind, "")
        else:
            causes[reference] = Cause("", reference)
    return causes


def with_causes(company: Company, entries: Iterable[LedgerEntry]) -> list[LedgerEntry]:
    """``entries`` as a list, each with its ``cause``: one query for the bills among them."""
    entries = list(entries)
    causes = ledger_causes(company, (entry.reference for entry in entries))
    for entry in entries:
        entry.cause = causes[entry.reference]
    return entries


def movements_with_causes(company: Company, entries: QuerySet[LedgerEntry], *, chunk: int = 2000
                          ) -> Iterator[LedgerEntry]:
    """Every entry of ``entries``, each with its ``cause``, read ``chunk`` at a time (for exports)."""
    batch = []
    for entry in entries.iterator(chunk_size=chunk):
        batch.append(entry)
        if len(batch) == chunk:
            yield from with_causes(company, batch)
            batch = []
    yield from with_causes(company, batch)


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
                ngettext("The minimum top-up is %(minimum)s push.", "The minimum top-up is %(minimum)s pushes.",
                         agreement.minimum_topup)
                % {"minimum": number_format(agreement.minimum_topup, force_grouping=True)}, field="units"
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


# --- Dashboard, reports and the approval queue ----------------------------------------------

BURN_WINDOWS = (7, 30)


def quota_forecast(company: Company, *, now: datetime | None = None, registration: Registration | None = None
                   ) -> list[dict]:
    """Per registered code: available pushes, pushes used over the last 7 and 30 days, and days left at each pace.

    Two queries whatever the number of codes: the accounts, and the consumption summed per account.
    """
    now = now or timezone.now()
    registrations = registrations_with_quota(company)
    if registration is not None:
        registrations = registrations.filter(pk=registration.pk)
    longest = max(BURN_WINDOWS)
    used = {
        row["account"]: row
        for row in LedgerEntry.objects.filter(
            company=company, kind=LedgerEntry.Kind.CONSUME, created_at__gte=now - timezone.timedelta(days=longest),
        ).order_by().values("account").annotate(**{
            f"used_{days}": Sum("units", filter=Q(created_at__gte=now - timezone.timedelta(days=days)), default=0)
            for days in BURN_WINDOWS
        })
    }
    rows = []
    for reg in registrations:
        account = getattr(reg, "quota_account", None)
        available = max(account.available, 0) if account is not None else 0
        sums = used.get(account.pk, {}) if account is not None else {}
        row = {"registration": reg, "available": available, "low": available < reg.low_quota_threshold}
        for days in BURN_WINDOWS:
            consumed = -sums.get(f"used_{days}", 0)  # consume entries are negative
            per_day = consumed / days
            row[f"used_{days}"] = consumed
            row[f"per_day_{days}"] = per_day
            row[f"days_left_{days}"] = int(available / per_day) if per_day else None
        rows.append(row)
    return rows


def ledger_usage_by_period(company: Company, *, start: datetime, end: datetime, period: str,
                           registration: Registration | None = None) -> list[dict]:
    """Per (WIB period, registration, kind): the units the ledger moved, as positive numbers (adjustments signed)."""
    trunc = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}[period]("created_at", tzinfo=WIB)
    entries = LedgerEntry.objects.filter(company=company, created_at__gte=start, created_at__lt=end)
    if registration is not None:
        entries = entries.filter(account__registration=registration)
    rows = (entries.annotate(period=trunc).order_by().values("period", "account__registration", "kind")
            .annotate(units=Sum("units")))
    signed = (LedgerEntry.Kind.ADJUST,)
    return [{"period": row["period"].astimezone(WIB).date(), "registration": row["account__registration"],
             "kind": row["kind"], "units": row["units"] if row["kind"] in signed else abs(row["units"])}
            for row in rows]


def unit_prices_in_force(company: Company, *, at: datetime | None = None) -> dict[int | None, Decimal]:
    """The price per push in force now, by biller code id (None: the company-wide price); one query."""
    at = at or timezone.now()
    prices: dict[int | None, Decimal] = {}
    agreements = (Agreement.objects.filter(company=company, effective_from__lte=at)
                  .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=at))
                  .order_by("effective_from").values_list("biller_code", "unit_price"))
    for biller_code, price in agreements:
        prices[biller_code] = price  # the latest in force wins, as in agreement_in_force
    return prices


def topups_waiting_for(company: Company, approver) -> QuerySet[TopUpOrder]:
    """Top-up orders waiting for approval that ``approver`` may decide (not their own)."""
    return (TopUpOrder.objects.filter(company=company, status=TopUpOrder.Status.PENDING_APPROVAL)
            .exclude(requested_by=approver)
            .select_related("registration__biller_code", "requested_by", "package")
            .order_by("created_at", "id"))


def available_by_registration(company: Company) -> dict[int, int]:
    """Pushes available now, by registration id, for every code of the company; one query."""
    return {
        registration: balance - reserved
        for registration, balance, reserved in QuotaAccount.objects.filter(company=company)
        .values_list("registration", "balance", "reserved")
    }


def topups_requested_by(company: Company, user) -> int:
    """How many of ``user``'s top-up orders wait for an approver."""
    return TopUpOrder.objects.filter(company=company, requested_by=user,
                                     status=TopUpOrder.Status.PENDING_APPROVAL).count()
