"""Reads of the reminders app, always for one company."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import connection
from django.db.models import BooleanField, Count, F, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek

from billers.models import Company, Registration
from core.changes import FeedCursor, FeedPage, feed_page
from core.time import WIB
from reminders.models import ACTIVE_STATUSES, Bill, BillSource, BillStatus, Upload


def bill_lookup(company: Company, *, reference_no: str | None = None, partner_reference_no: str | None = None):
    """The company's bill by the portal's or the biller's reference, or None."""
    bills = Bill.objects.filter(company=company).select_related("registration__biller_code")
    if reference_no:
        return bills.filter(reference_no=reference_no).first()
    if partner_reference_no:
        return bills.filter(partner_reference_no=partner_reference_no).first()
    return None


def bills_changed(company: Company, *, since=None, cursor: FeedCursor | None = None,
                  registration: Registration | None = None, status: str = "", size: int = 100) -> FeedPage:
    """The company's bills changed since ``since`` (or after ``cursor``, with the filters of the
    listing it continues), oldest change first, up to the moment every change before it is
    committed (``core.changes``)."""
    if cursor is not None:
        filters = cursor.filters
    else:
        filters = {"registration": registration.pk if registration is not None else None, "status": status}
    bills = Bill.objects.filter(company=company).select_related("registration__biller_code")
    if filters.get("registration"):
        bills = bills.filter(registration_id=filters["registration"])
    if filters.get("status"):
        bills = bills.filter(status=filters["status"])
    return feed_page(bills, stamp_field="updated_at", since=since, cursor=cursor, filters=filters, size=size)


# --- The bill list: filters, keyset pages, export ------------------------------------------

# What the list may be sorted by, each with an index (company, field, id): see the
# migration that adds them. The id breaks ties, and an upload gives a million bills the
# same created_at, so without it a page boundary inside such a group would repeat or skip.
SORTS = {"created": "created_at", "start": "start_at", "end": "end_at", "amount": "amount"}
PERIOD_FIELDS = {"created": "created_at", "start": "start_at", "paid": "paid_at"}
PAGE_SIZE = 50


@dataclass(frozen=True)
class BillFilters:
    """What the user asked the bill list for; every field optional. ``phone`` is already normalised."""

    registration: Registration | None = None
    status: str = ""
    source: str = ""
    payment_channel: str = ""
    period: str = "created"
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    phone: str = ""
    bill_key: str = ""
    partner_reference_no: str = ""
    search: str = ""
    sort: str = "created"
    descending: bool = True


def day_start(day: dt.date) -> dt.datetime:
    """00:00 WIB of ``day``, aware."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=WIB)


def search_match(term: str) -> Q:
    """What one search box matches: the start of a reference, bill key, phone or payer's name (any
    case), or a whole payment reference or biller's reference.

    Each is served by an index LIKE 'x%' can walk within a company (pattern operator classes,
    and an index on UPPER(payer_name): see the models and migration 0008). A substring search
    over a million payer names could not be fast without a trigram index.
    """
    match = (Q(reference_no__startswith=term.upper()) | Q(bill_key__startswith=term)
             | Q(payer_name__istartswith=term) | Q(partner_reference_no=term)
             | Q(paid_at__isnull=False, payment_reference=term))
    if term.upper() != term:
        match |= Q(bill_key__startswith=term.upper())
    phone = phone_prefix(term)
    if phone:
        match |= Q(payer_phone__startswith=phone)
    return match


def phone_prefix(text: str) -> str:
    """The start of a stored phone number (+62...) that ``text`` spells, or "" if it spells none.

    "0812 34", "62812-34" and "+62 812 34" all give "+6281234"; fewer than four digits give ""
    (too short to mean a phone rather than part of a bill key).
    """
    compact = re.sub(r"[\s.()-]", "", text or "")
    if not re.fullmatch(r"\+?\d{4,15}", compact):
        return ""
    digits = compact.lstrip("+")
    if digits.startswith("62"):
        return "+" + digits
    if digits.startswith("0"):
        return "+62" + digits[1:]
    if digits.startswith("8"):
        return "+62" + digits
    return ""


def bills_filtered(company: Company, filters: BillFilters) -> QuerySet[Bill]:
    """The company's bills matching ``filters``, unordered."""
    bills = Bill.objects.filter(company=company)
    if filters.registration is not None:
        bills = bills.filter(registration=filters.registration)
    if filters.status:
        bills = bills.filter(status=filters.status)
    if filters.source:
        bills = bills.filter(source=filters.source)
    if filters.payment_channel:
        # Only paid bills have a channel: saying so lets the database walk the paid bills'
        # index (bill_list_status) instead of every bill of the company.
        bills = bills.filter(status=BillStatus.PAID, payment_channel=filters.payment_channel)
    field = PERIOD_FIELDS.get(filters.period, "created_at")
    if filters.date_from:
        bills = bills.filter(**{f"{field}__gte": day_start(filters.date_from)})
    if filters.date_to:
        bills = bills.filter(**{f"{field}__lt": day_start(filters.date_to + dt.timedelta(days=1))})
    if filters.phone:
        bills = bills.filter(payer_phone=filters.phone)
    if filters.bill_key:
        bills = bills.filter(bill_key=filters.bill_key)
    if filters.partner_reference_no:
        bills = bills.filter(partner_reference_no=filters.partner_reference_no)
    if filters.search:
        bills = bills.filter(search_match(filters.search))
    return bills


@dataclass(frozen=True)
class BillTotals:
    """How many bills the list holds and their Rp, every page of it."""

    count: int
    amount: Decimal


TOTALS_TIMEOUT_MS = 2000


class _Undo(Exception):
    """Leaves an atomic block by rolling it back, though nothing failed."""


def bills_totals(company: Company, filters: BillFilters) -> BillTotals | None:
    """Count and Rp sum of the filtered list; None if PostgreSQL needs more than ``TOTALS_TIMEOUT_MS``.

    One aggregate over the same filters as the pages. A company with millions of bills and a
    loose filter may cost more than a page is worth waiting for: the page then says to narrow
    the filters rather than keep the reader waiting.
    """
    from django.db import OperationalError, transaction

    bills = bills_filtered(company, filters)
    if connection.vendor != "postgresql":
        row = bills.aggregate(n=Count("id"), rp=Sum("amount"))
        return BillTotals(count=row["n"], amount=row["rp"] or Decimal(0))
    try:
        with transaction.atomic():  # a savepoint, rolled back so the timeout ends with it
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL statement_timeout = %s", [TOTALS_TIMEOUT_MS])
            row = bills.aggregate(n=Count("id"), rp=Sum("amount"))
            raise _Undo
    except _Undo:
        pass
    except OperationalError:  # cancelled by the timeout
        return None
    return BillTotals(count=row["n"], amount=row["rp"] or Decimal(0))


@dataclass(frozen=True)
class Cursor:
    """A position in the sorted list: the sort value and id of one bill."""

    sort: str
    value: object
    id: int

    def token(self) -> str:
        value = self.value.isoformat() if isinstance(self.value, dt.datetime) else str(self.value)
        raw = json.dumps([self.sort, value, self.id], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def of(cls, bill: Bill, sort: str) -> Cursor:
        return cls(sort=sort, value=getattr(bill, SORTS[sort]), id=bill.pk)

    @classmethod
    def parse(cls, token: str, sort: str) -> Cursor | None:
        """The cursor in ``token`` if it is a well-formed one for ``sort``; None otherwise (first page)."""
        if not token or len(token) > 200:
            return None
        try:
            name, value, pk = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            if name != sort or not isinstance(pk, int) or not isinstance(value, str):
                return None
            if sort == "amount":
                parsed = Decimal(value)
                if not parsed.is_finite():
                    return None
            else:
                parsed = dt.datetime.fromisoformat(value)
                if parsed.tzinfo is None:
                    return None
        except (ValueError, TypeError, InvalidOperation, binascii.Error, UnicodeDecodeError):
            return None
        return cls(sort=sort, value=parsed, id=pk)


@dataclass
class BillPage:
    bills: list[Bill]
    next_cursor: Cursor | None
    previous_cursor: Cursor | None

    def __iter__(self):
        return iter(self.bills)

    def __len__(self):
        return len(self.bills)


def _beyond(field: str, cursor: Cursor, *, forward_is_down: bool) -> RawSQL:
    """Rows strictly after ``cursor`` in the walking direction: ``(field, id) < (value, id)``.

    A row-value comparison, so the database starts the index scan exactly at the cursor,
    even inside a run of equal values (an upload's thousands of bills share a created_at).
    """
    bill_field = Bill._meta.get_field(field)
    quote = connection.ops.quote_name
    table = quote(Bill._meta.db_table)
    op = "<" if forward_is_down else ">"
    value = bill_field.get_db_prep_value(cursor.value, connection)
    return RawSQL(f"({table}.{quote(bill_field.column)}, {table}.{quote('id')}) {op} (%s, %s)",
                  (value, cursor.id), output_field=BooleanField())


def bills_page(company: Company, filters: BillFilters, *, after: str = "", before: str = "",
               size: int = PAGE_SIZE) -> BillPage:
    """One page of the filtered list, by keyset on (sort field, id): the same cost on page 1 and page 20,000.

    ``after`` continues past the bill of that cursor token, ``before`` goes back from it.
    """
    sort = filters.sort if filters.sort in SORTS else "created"
    field = SORTS[sort]
    down = filters.descending
    after_cursor = Cursor.parse(after, sort)
    before_cursor = None if after_cursor else Cursor.parse(before, sort)
    bills = bills_filtered(company, filters).select_related("registration__biller_code")
    if before_cursor is not None:
        # Walk backwards from the cursor, then show the rows in the list's own order.
        walk = "" if down else "-"
        rows = list(bills.filter(_beyond(field, before_cursor, forward_is_down=not down))
                    .order_by(f"{walk}{field}", f"{walk}id")[:size + 1])
        has_more_before = len(rows) > size
        rows = rows[:size][::-1]
        return BillPage(
            bills=rows,
            next_cursor=Cursor.of(rows[-1], sort) if rows else None,
            previous_cursor=Cursor.of(rows[0], sort) if rows and has_more_before else None,
        )
    if after_cursor is not None:
        bills = bills.filter(_beyond(field, after_cursor, forward_is_down=down))
    walk = "-" if down else ""
    rows = list(bills.order_by(f"{walk}{field}", f"{walk}id")[:size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    return BillPage(
        bills=rows,
        next_cursor=Cursor.of(rows[-1], sort) if rows and has_more else None,
        previous_cursor=Cursor.of(rows[0], sort) if rows and after_cursor is not None else None,
    )


EXPORT_HEADER = [
    "reference_no", "biller_code", "bill_key", "partner_reference_no", "payer_phone", "payer_name", "amount",
    "description", "start", "end", "status", "source", "created", "displayed", "paid", "paid_amount",
    "payment_channel", "payment_reference",
]
EXPORT_FIELDS = [
    "reference_no", "registration__biller_code__code", "bill_key", "partner_reference_no", "payer_phone",
    "payer_name", "amount", "description", "start_at", "end_at", "status", "source", "created_at", "displayed_at",
    "paid_at", "paid_amount", "payment_channel", "payment_reference",
]


def bills_for_export(company: Company, filters: BillFilters):
    """The filtered list as tuples in ``EXPORT_FIELDS`` order, in the list's order, read in chunks."""
    sort = SORTS.get(filters.sort, "created_at")
    walk = "-" if filters.descending else ""
    return (bills_filtered(company, filters).order_by(f"{walk}{sort}", f"{walk}id")
            .values_list(*EXPORT_FIELDS))


def bills_by_reference(company: Company, references: list[str]) -> dict[str, Bill]:
    """The company's bills among ``references``, by reference; others' are simply absent."""
    bills = Bill.objects.filter(company=company, reference_no__in=references).select_related("registration")
    return {bill.reference_no: bill for bill in bills}


# --- Figures for the dashboard and the reports ---------------------------------------------


def _of(bills: QuerySet, registration: Registration | None) -> QuerySet:
    return bills.filter(registration=registration) if registration is not None else bills


def bill_status_counts(company: Company, *, registration: Registration | None = None) -> dict[str, int]:
    """How many of the company's bills are in each status (every status present, zeros included)."""
    counts = dict.fromkeys(BillStatus.values, 0)
    rows = (_of(Bill.objects.filter(company=company), registration)
            .order_by().values_list("status").annotate(n=Count("id")))
    counts.update(dict(rows))
    return counts


def active_bill_counts(company: Company, registrations: list[int]) -> dict[int, dict[str, int]]:
    """Per registration id: its active bills, and how many of them are shown in Livin' now."""
    rows = (Bill.objects.filter(company=company, registration__in=registrations, status__in=ACTIVE_STATUSES)
            .order_by().values("registration")
            .annotate(active=Count("id"), shown=Count("id", filter=Q(displayed_at__isnull=False))))
    return {row["registration"]: {"active": row["active"], "shown": row["shown"]} for row in rows}


def paid_rate(company: Company, *, since: dt.datetime, registration: Registration | None = None) -> dict:
    """Of the bills first shown in Livin' since ``since``, how many are paid, and the share."""
    row = (_of(Bill.objects.filter(company=company, displayed_at__gte=since), registration)
           .aggregate(shown=Count("id"), paid=Count("id", filter=Q(status=BillStatus.PAID))))
    rate = row["paid"] / row["shown"] if row["shown"] else None
    return {**row, "rate": rate}


TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
CONVERSION_DAYS = (1, 3, 7)


def _period_start(value) -> dt.date:
    # The database may hand the truncated time back in UTC: the period is its WIB date.
    return value.astimezone(WIB).date() if isinstance(value, dt.datetime) else value


def shown_and_converted_by_period(company: Company, *, start: dt.datetime, end: dt.datetime, period: str,
                                  registration: Registration | None = None) -> list[dict]:
    """Per (WIB period, registration) of the first push: bills shown, and paid within 1, 3 and 7 days of it."""
    trunc = TRUNC[period]("displayed_at", tzinfo=WIB)
    within = {f"paid_{days}d": Count("id", filter=Q(paid_at__isnull=False,
                                                     paid_at__lte=F("displayed_at") + dt.timedelta(days=days)))
              for days in CONVERSION_DAYS}
    rows = (_of(Bill.objects.filter(company=company, displayed_at__gte=start, displayed_at__lt=end), registration)
            .annotate(period=trunc).order_by().values("period", "registration")
            .annotate(shown=Count("id"), **within))
    return [{**row, "period": _period_start(row["period"])} for row in rows]


def payments_by_period(company: Company, *, start: dt.datetime, end: dt.datetime, period: str,
                       registration: Registration | None = None) -> list[dict]:
    """Per (WIB period, registration) of payment: bills paid and the amount collected."""
    trunc = TRUNC[period]("paid_at", tzinfo=WIB)
    rows = (_of(Bill.objects.filter(company=company, paid_at__gte=start, paid_at__lt=end), registration)
            .annotate(period=trunc).order_by().values("period", "registration")
            .annotate(paid=Count("id"), collected=Sum("paid_amount", default=Decimal(0))))
    return [{**row, "period": _period_start(row["period"])} for row in rows]


# --- Uploads -----------------------------------------------------------------------------


def uploads_waiting_for(company: Company, approver) -> QuerySet[Upload]:
    """Uploads waiting for approval that ``approver`` may decide: neither uploaded nor submitted by them."""
    return (Upload.objects.filter(company=company, status=Upload.Status.PENDING_APPROVAL)
            .exclude(uploaded_by=approver).exclude(submitted_by=approver)
            .select_related("registration__biller_code", "uploaded_by", "submitted_by")
            .order_by("submitted_at", "id"))


def uploads_submitted_by(company: Company, user) -> int:
    """How many uploads ``user`` uploaded or submitted wait for an approver."""
    return (Upload.objects.filter(company=company, status=Upload.Status.PENDING_APPROVAL)
            .filter(Q(uploaded_by=user) | Q(submitted_by=user)).count())


@dataclass(frozen=True)
class ApiBillsWaiting:
    """Bills sent through the Open API on one day for one code, waiting for an approver."""

    registration_id: int
    code: str
    day: dt.date  # in Jakarta
    count: int
    total: Decimal


def api_bills_waiting(company: Company) -> list[ApiBillsWaiting]:
    """The company's API bills waiting for approval, by biller code and day (Jakarta), oldest first:
    one query."""
    rows = (Bill.objects.filter(company=company, status=BillStatus.PENDING_APPROVAL, source=BillSource.API)
            .annotate(day=TruncDay("created_at", tzinfo=WIB))
            .values("registration", "registration__biller_code__code", "day")
            .annotate(count=Count("pk"), total=Sum("amount")).order_by("day", "registration"))
    return [ApiBillsWaiting(registration_id=row["registration"], code=row["registration__biller_code__code"],
                            day=_local_day(row["day"]), count=row["count"], total=row["total"]) for row in rows]


def api_bills_waiting_on(company: Company, registration_id: int, day: dt.date) -> QuerySet[Bill]:
    """The API bills of one code and one day (Jakarta) still waiting for approval."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=WIB)
    return Bill.objects.filter(company=company, registration_id=registration_id, status=BillStatus.PENDING_APPROVAL,
                               source=BillSource.API, created_at__gte=start,
                               created_at__lt=start + dt.timedelta(days=1))


def _local_day(value) -> dt.date:
    return value.astimezone(WIB).date() if isinstance(value, dt.datetime) else value
