"""The home page's figures for one company (and optionally one biller code), read through each app's selectors.

A fixed number of aggregate queries whatever the number of bills, pushes or codes: Rp
billed, collected and outstanding per code over the chosen period and per day (or week)
of it, bills by status, pushes today and this month, the delay percentiles, the paid rate,
pushes per day, and the quota accounts with their consumption.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from billers.models import Company, Registration
from console import charts
from core.templatetags.kopra_format import rupiah
from core.time import WIB
from notifications import selectors as deliveries
from quota import selectors as quota
from reminders import amounts
from reminders import selectors as bills
from reminders.models import BillStatus

SPARKLINE_DAYS = 30
# The longest custom period, and the longest drawn per day (longer ones are drawn per week).
MAX_DAYS = 2 * 366
MOST_DAYS_PER_DAY = 62
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


def period_range(period: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last WIB day (inclusive) of a named period: this_month, last_month or last_7_days."""
    if period == "last_month":
        last = today.replace(day=1) - dt.timedelta(days=1)
        return last.replace(day=1), last
    if period == "last_7_days":
        return today - dt.timedelta(days=6), today
    return today.replace(day=1), today


def money(company: Company, *, first: dt.date, last: dt.date, period: str = "custom",
          registration: Registration | None = None) -> dict:
    """Rp billed, collected and outstanding from ``first`` to ``last`` (WIB days, inclusive), in all and
    per code, and the chart of billed and collected per day (per week over long periods)."""
    start = dt.datetime.combine(first, dt.time.min, tzinfo=WIB)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=WIB)
    by_code = amounts.money_by_code(company, start=start, end=end, registration=registration)
    step = "day" if (last - first).days < MOST_DAYS_PER_DAY else "week"
    series = amounts.money_series(company, first=first, last=last, step=step, registration=registration)
    shown = [rupiah(value) for value in series.billed]
    collected_shown = [rupiah(value) for value in series.collected]
    labels = [date_format(day, "j M") for day in series.starts]
    chart = charts.columns(labels, [
        charts.Series(label=_("Billed"), tone="", values=series.billed, shown=shown),
        charts.Series(label=_("Collected"), tone="ok", values=series.collected, shown=collected_shown),
    ], tick_text=rupiah, width=900, height=280, whole_ticks=True)
    return {
        "period": period, "custom": period == "custom", "first": first, "last": last, "step": step,
        "total": amounts.money_total(by_code), "by_code": by_code,
        "chart": chart,
        "rows": list(zip(series.starts, series.billed, series.collected, strict=True)),
    }


def dashboard(company: Company, *, registration: Registration | None = None, now: dt.datetime | None = None,
              first: dt.date | None = None, last: dt.date | None = None, period: str = "custom") -> dict:
    """Everything the dashboard shows, for ``company`` or its code ``registration``; its money from
    ``first`` to ``last`` (WIB days, inclusive: ``period``, this month by default)."""
    now = now or timezone.now()
    today = wib_midnight(now)
    month = today.replace(day=1)
    if first is None or last is None:
        period = "this_month"
        first, last = period_range(period, today.date())
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
        "money": money(company, first=first, last=last, period=period, registration=registration),
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
        "pushes_chart": charts.columns(
            [date_format(day, "j M") for day in days],
            [charts.Series(label=_("Pushes delivered"), tone="", values=[per_day.get(day, 0) for day in days],
                           shown=[intcomma(per_day.get(day, 0)) for day in days])],
            tick_text=intcomma, width=480, height=220),
        "pushes_days": [(day, per_day.get(day, 0)) for day in days],
        "quota_chart": charts.horizontal_bars([
            (row["registration"].code, row["available"], intcomma(row["available"]), "warn" if row["low"] else "ok")
            for row in forecast
        ]),
    }
