"""The home page's figures for one company (and optionally one biller code), read through each app's selectors.

A fixed number of aggregate queries whatever the number of bills, pushes or codes:
bills by status, pushes today and this month, the delay percentiles, the paid rate,
pushes per day, and the quota accounts with their consumption.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import timezone
from django.utils.formats import date_format

from billers.models import Company, Registration
from console import charts
from core.time import WIB
from notifications import selectors as deliveries
from quota import selectors as quota
from reminders import selectors as bills
from reminders.models import BillStatus

SPARKLINE_DAYS = 30
STATUS_TONES = {
    BillStatus.PENDING_APPROVAL: "warn", BillStatus.RECEIVED: "", BillStatus.SCHEDULED: "",
    BillStatus.DISPLAYED: "info", BillStatus.PAID: "ok", BillStatus.EXPIRED: "off", BillStatus.CANCELLED: "off",
    BillStatus.FAILED: "err", BillStatus.NOT_LIVIN_USER: "err",
}


def wib_midnight(moment: dt.datetime) -> dt.datetime:
    """00:00 WIB of the WIB day ``moment`` falls on."""
    return moment.astimezone(WIB).replace(hour=0, minute=0, second=0, microsecond=0)


def seconds(ms: float | None) -> float | None:
    return None if ms is None else round(ms / 1000, 1)


def dashboard(company: Company, *, registration: Registration | None = None, now: dt.datetime | None = None
              ) -> dict:
    """Everything the dashboard shows, for ``company`` or its code ``registration``."""
    now = now or timezone.now()
    today = wib_midnight(now)
    month = today.replace(day=1)
    statuses = bills.bill_status_counts(company, registration=registration)
    pushes = deliveries.push_counts(company, today=today, month=month, registration=registration)
    lag = deliveries.push_lag_percentiles(company, since=month, registration=registration)
    paid = bills.paid_rate(company, since=month, registration=registration)
    forecast = quota.quota_forecast(company, now=now, registration=registration)
    first_day = today - dt.timedelta(days=SPARKLINE_DAYS - 1)
    per_day = deliveries.pushes_per_day(company, since=first_day, registration=registration)
    days = [(first_day + dt.timedelta(days=n)).date() for n in range(SPARKLINE_DAYS)]
    return {
        "now": now,
        "statuses": [(status, statuses[status]) for status in BillStatus],
        "bills_total": sum(statuses.values()),
        "active": sum(statuses[s] for s in (BillStatus.PENDING_APPROVAL, BillStatus.RECEIVED, BillStatus.SCHEDULED,
                                            BillStatus.DISPLAYED)),
        "pushes": pushes,
        "lag_median_s": seconds(lag[0.5]),
        "lag_p95_s": seconds(lag[0.95]),
        "paid": paid,
        "forecast": forecast,
        "status_chart": charts.horizontal_bars([
            (status.label, statuses[status], intcomma(statuses[status]), STATUS_TONES[status])
            for status in BillStatus
        ]),
        "pushes_chart": charts.columns([
            (date_format(day, "j M"), per_day.get(day, 0), intcomma(per_day.get(day, 0))) for day in days
        ]),
        "pushes_days": [(day, per_day.get(day, 0)) for day in days],
        "quota_chart": charts.horizontal_bars([
            (row["registration"].code, row["available"], intcomma(row["available"]), "warn" if row["low"] else "ok")
            for row in forecast
        ]),
    }
