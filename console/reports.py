"""Reports for one company: deliveries and payments, conversion after the push, and quota usage,
per WIB day, week or month and per biller code.

Four aggregate queries (bills shown and converted, bills paid, failed push tries, ledger
movements) and one for the codes, whatever the range; the rows are merged here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from billers.models import Company, Registration
from notifications import selectors as deliveries
from quota import selectors as quota
from reminders import selectors as bills
from reminders.selectors import CONVERSION_DAYS, day_start

PERIODS = ("day", "week", "month")
# The longest range per period, so a report stays a page a person can read.
MAX_DAYS = {"day": 366, "week": 3 * 366, "month": 5 * 366}
QUOTA_KINDS = ("reserve", "consume", "release", "topup", "grant", "adjust")


@dataclass
class ReportRow:
    period: dt.date
    registration: Registration
    shown: int = 0
    failed: int = 0
    paid: int = 0
    collected: Decimal = Decimal(0)
    converted: dict[int, int] = field(default_factory=lambda: dict.fromkeys(CONVERSION_DAYS, 0))
    quota: dict[str, int] = field(default_factory=lambda: dict.fromkeys(QUOTA_KINDS, 0))

    @property
    def conversion(self) -> list[tuple[int, int, float | None]]:
        """(days, bills paid within that many days of their push, share of the bills pushed)."""
        return [(days, n, n / self.shown if self.shown else None) for days, n in self.converted.items()]

    @property
    def has_quota(self) -> bool:
        return any(self.quota.values())

    @property
    def has_delivery(self) -> bool:
        return bool(self.shown or self.failed or self.paid)

    def add(self, other: ReportRow) -> None:
        self.shown += other.shown
        self.failed += other.failed
        self.paid += other.paid
        self.collected += other.collected
        for days in self.converted:
            self.converted[days] += other.converted[days]
        for kind in self.quota:
            self.quota[kind] += other.quota[kind]


def default_range(period: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The last 30 days, 12 weeks (from a Monday) or 12 months (from the 1st), up to today."""
    if period == "week":
        start = today - dt.timedelta(days=today.weekday() + 7 * 11)
    elif period == "month":
        month = today.month - 11
        start = dt.date(today.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
    else:
        start = today - dt.timedelta(days=29)
    return start, today


def report(company: Company, *, period: str, date_from: dt.date, date_to: dt.date,
           registration: Registration | None = None) -> dict:
    """The report's rows (period, code), oldest first, and their totals; dates are WIB days, inclusive."""
    start, end = day_start(date_from), day_start(date_to + dt.timedelta(days=1))
    scope = {"start": start, "end": end, "period": period, "registration": registration}
    codes = {r.pk: r for r in Registration.objects.filter(company=company).select_related("biller_code")}
    rows: dict[tuple[dt.date, int], ReportRow] = {}

    def row_of(item) -> ReportRow:
        key = (item["period"], item["registration"])
        if key not in rows:
            rows[key] = ReportRow(period=item["period"], registration=codes[item["registration"]])
        return rows[key]

    for item in bills.shown_and_converted_by_period(company, **scope):
        row = row_of(item)
        row.shown = item["shown"]
        row.converted = {days: item[f"paid_{days}d"] for days in CONVERSION_DAYS}
    for item in bills.payments_by_period(company, **scope):
        row = row_of(item)
        row.paid, row.collected = item["paid"], item["collected"]
    for item in deliveries.push_failures_by_period(company, **scope):
        row_of(item).failed = item["failed"]
    for item in quota.ledger_usage_by_period(company, **scope):
        row_of(item).quota[item["kind"]] = item["units"]

    ordered = sorted(rows.values(), key=lambda row: (row.period, row.registration.code))
    total = ReportRow(period=date_from, registration=registration)
    for row in ordered:
        total.add(row)
    return {
        "rows": ordered, "total": total, "period": period, "date_from": date_from, "date_to": date_to,
        "any_delivery": any(row.has_delivery for row in ordered), "any_shown": any(row.shown for row in ordered),
        "any_quota": any(row.has_quota for row in ordered),
    }


EXPORT_HEADER = [
    "period_start", "biller_code", "pushed", "failed_push_tries", "paid", "collected",
    *[f"paid_within_{days}d" for days in CONVERSION_DAYS],
    "quota_reserved", "quota_consumed", "quota_released", "quota_topped_up", "quota_granted", "quota_adjusted",
]


def export_rows(result: dict):
    """The report as rows under ``EXPORT_HEADER``."""
    for row in result["rows"]:
        yield [
            row.period, row.registration.code, row.shown, row.failed, row.paid, row.collected,
            *[row.converted[days] for days in CONVERSION_DAYS],
            *[row.quota[kind] for kind in QUOTA_KINDS],
        ]
