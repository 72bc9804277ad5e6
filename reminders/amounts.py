"""Reads of the Rp the company's bills are worth, always for one company: what was billed,
collected and is still outstanding over a period; what an upload's valid rows or bills add
up to; what an approver releases. Kept beside ``selectors`` as the money side of the reads.

Each figure comes from one aggregate query (conditional sums), whatever the number of bills.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum, Value, Window
from django.db.models.functions import Coalesce, RowNumber, TruncDay, TruncWeek

from billers.models import Company, Registration
from core.time import WIB
from reminders.models import Bill, BillSource, BillStatus, Upload, UploadRow

ZERO = Decimal("0.00")
SAMPLE_SIZE = 5

# Billed: every bill received in the period but those not yet released (waiting for approval)
# and those taken back (cancelled: rejected, withdrawn by the biller, or its code stopped).
NOT_BILLED = (BillStatus.PENDING_APPROVAL, BillStatus.CANCELLED)
# Outstanding: released, not paid, and its window still open, so still shown or about to be
# shown to the payer. Expired, failed and payers without Livin' are owed but not reminded.
OUTSTANDING = (BillStatus.RECEIVED, BillStatus.SCHEDULED, BillStatus.DISPLAYED)


def _money(expression, condition: Q):
    return Sum(expression, filter=condition, default=Value(ZERO), output_field=DecimalField(max_digits=20,
                                                                                              decimal_places=2))


@dataclass
class Money:
    """Rp billed, collected and outstanding, with how many bills each."""

    billed: Decimal = ZERO
    collected: Decimal = ZERO
    outstanding: Decimal = ZERO
    billed_bills: int = 0
    paid_bills: int = 0
    outstanding_bills: int = 0

    def add(self, other: Money) -> None:
        for name in ("billed", "collected", "outstanding", "billed_bills", "paid_bills", "outstanding_bills"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _conditions(start: dt.datetime, end: dt.datetime) -> tuple[Q, Q, Q]:
    received = Q(created_at__gte=start, created_at__lt=end)
    billed = received & ~Q(status__in=NOT_BILLED)
    paid = Q(status=BillStatus.PAID, paid_at__gte=start, paid_at__lt=end)
    outstanding = received & Q(status__in=OUTSTANDING, withdrawn_at__isnull=True)
    return billed, paid, outstanding


def _in_period(company: Company, start: dt.datetime, end: dt.datetime,
               registration: Registration | None) -> QuerySet[Bill]:
    # Either index serves its half: bill_list_created for the bills received, bill_paid for those paid.
    bills = Bill.objects.filter(company=company).filter(
        Q(created_at__gte=start, created_at__lt=end) | Q(paid_at__gte=start, paid_at__lt=end))
    return bills.filter(registration=registration) if registration is not None else bills


def money_by_code(company: Company, *, start: dt.datetime, end: dt.datetime,
                  registration: Registration | None = None) -> list[tuple[str, Money]]:
    """Per biller code, in code order: Rp billed (received in [start, end)), collected (paid in it,
    whenever billed) and outstanding now (of the bills billed in it). One query."""
    billed, paid, outstanding = _conditions(start, end)
    # A paid bill keeps what the bank reported as paid; the bill's own amount if it did not say.
    paid_amount = Coalesce("paid_amount", "amount")
    rows = (_in_period(company, start, end, registration).order_by()
            .values("registration__biller_code__code")
            .annotate(billed=_money("amount", billed), collected=_money(paid_amount, paid),
                      outstanding=_money("amount", outstanding), billed_bills=Count("pk", filter=billed),
                      paid_bills=Count("pk", filter=paid), outstanding_bills=Count("pk", filter=outstanding)))
    by_code = [
        (row.pop("registration__biller_code__code"), Money(**row)) for row in rows
    ]
    return sorted(by_code, key=lambda item: item[0])


def money_total(by_code: list[tuple[str, Money]]) -> Money:
    total = Money()
    for _code, money in by_code:
        total.add(money)
    return total


@dataclass
class MoneySeries:
    """Rp billed and collected per WIB day (or week, starting Monday), every period present."""

    step: str  # day or week
    starts: list[dt.date]
    billed: list[Decimal]
    collected: list[Decimal]


def period_starts(first: dt.date, last: dt.date, step: str) -> list[dt.date]:
    if step == "week":
        first = first - dt.timedelta(days=first.weekday())
    days = 7 if step == "week" else 1
    return [first + dt.timedelta(days=n) for n in range(0, (last - first).days + 1, days)]


def money_series(company: Company, *, first: dt.date, last: dt.date, step: str,
                 registration: Registration | None = None) -> MoneySeries:
    """Rp billed (by the WIB day a bill was received) and collected (by the day it was paid), per
    ``step`` from ``first`` to ``last`` (WIB dates, inclusive). One query, grouped by both days."""
    start = dt.datetime.combine(first, dt.time.min, tzinfo=WIB)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=WIB)
    billed, paid, _outstanding = _conditions(start, end)
    trunc = TruncWeek if step == "week" else TruncDay
    rows = (_in_period(company, start, end, registration)
            .annotate(billed_on=trunc("created_at", tzinfo=WIB), paid_on=trunc("paid_at", tzinfo=WIB))
            .order_by().values("billed_on", "paid_on")
            .annotate(billed=_money("amount", billed), collected=_money(Coalesce("paid_amount", "amount"), paid)))
    billed_by, collected_by = defaultdict(Decimal), defaultdict(Decimal)
    for row in rows:
        if row["billed"]:
            billed_by[_wib_date(row["billed_on"])] += row["billed"]
        if row["collected"]:
            collected_by[_wib_date(row["paid_on"])] += row["collected"]
    starts = period_starts(first, last, step)
    return MoneySeries(step=step, starts=starts, billed=[billed_by.get(day, ZERO) for day in starts],
                       collected=[collected_by.get(day, ZERO) for day in starts])


def _wib_date(value) -> dt.date | None:
    # The database may hand the truncated time back in UTC: the period is its WIB date.
    if isinstance(value, dt.datetime):
        return value.astimezone(WIB).date()
    return value


# --- What an upload's bills, or an approval, are worth ---------------------------------------


@dataclass
class BillsWorth:
    """Some bills: how many, their Rp, and the first few (rows with bill_key, payer_name,
    payer_phone, amount, start_at, end_at) so a person sees what will reach payers."""

    count: int = 0
    total: Decimal = ZERO
    sample: list = field(default_factory=list)


SAMPLE_FIELDS = ("bill_key", "payer_name", "payer_phone", "amount", "start_at", "end_at")


def upload_worth(upload: Upload) -> BillsWorth | None:
    """A checked upload's valid rows before it is sent, or the bills it created after; None for an
    upload that will send nothing (being read, refused, discarded before sending, rejected)."""
    if upload.status == Upload.Status.VALIDATED:
        rows = UploadRow.objects.filter(upload=upload, problem="")
        order = "row_number"
    elif upload.status in (Upload.Status.PENDING_APPROVAL, Upload.Status.SUBMITTED) and upload.bills_created:
        rows = Bill.objects.filter(company_id=upload.company_id, upload=upload)
        order = "pk"
    else:
        return None
    figures = rows.aggregate(count=Count("pk"), total=Sum("amount", default=ZERO))
    sample = list(rows.order_by(order).values(*SAMPLE_FIELDS)[:SAMPLE_SIZE])
    return BillsWorth(count=figures["count"], total=figures["total"], sample=sample)


def uploads_with_waiting_worth(uploads: QuerySet[Upload]) -> QuerySet[Upload]:
    """``uploads``, each with ``waiting_bills`` and ``waiting_total``: its bills still waiting for
    approval, counted and summed in the same query."""
    waiting = Q(bills__status=BillStatus.PENDING_APPROVAL)
    return uploads.annotate(waiting_bills=Count("bills", filter=waiting),
                            waiting_total=Sum("bills__amount", filter=waiting, default=ZERO))


def _first_of_each(bills: QuerySet[Bill], *partition) -> QuerySet[Bill]:
    # One query for every group: each group's bills numbered in order, the first few kept.
    return (bills.annotate(place=Window(RowNumber(), partition_by=list(partition), order_by=F("pk").asc()))
            .filter(place__lte=SAMPLE_SIZE).order_by("pk"))


def waiting_sample_by_upload(company: Company, upload_ids: list[int]) -> dict[int, list[dict]]:
    """Per upload id: the first bills of it still waiting for approval. One query."""
    bills = Bill.objects.filter(company=company, upload__in=upload_ids, status=BillStatus.PENDING_APPROVAL)
    sample = defaultdict(list)
    for row in _first_of_each(bills, F("upload")).values("upload", *SAMPLE_FIELDS):
        sample[row.pop("upload")].append(row)
    return sample


def waiting_api_sample(company: Company) -> dict[tuple[int, dt.date], list[dict]]:
    """Per (registration id, WIB day received): the first Open API bills waiting for approval. One query."""
    bills = (Bill.objects.filter(company=company, status=BillStatus.PENDING_APPROVAL, source=BillSource.API)
             .annotate(day=TruncDay("created_at", tzinfo=WIB)))
    sample = defaultdict(list)
    for row in _first_of_each(bills, F("registration"), F("day")).values("registration", "day", *SAMPLE_FIELDS):
        sample[(row.pop("registration"), _wib_date(row.pop("day")))].append(row)
    return sample
