"""The bank staff's overview in the admin: every company at once.

Companies by status, pushes today and this month, the fees of the top-ups paid, deliveries
that fail (callbacks retried or given up, bills whose push is retried, late or failed),
quota accounts below their warning level and virtual-account top-ups not paid yet. Each
figure links to the admin list that shows its rows. A fixed number of aggregate queries,
however many companies and bills there are.

The one page that reads across companies: it is behind the admin's own guard (staff with
a verified one-time code), never in the company console.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q, Sum
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from billers.models import Company, Registration
from core.time import WIB
from notifications.models import CallbackEvent
from quota.models import Agreement, LedgerEntry, QuotaAccount, TopUpOrder
from reminders.models import Bill, BillStatus

# A push due longer ago than this, or a bill still waiting for its directory check after it,
# means the scheduler or the workers are behind: it should have moved within a minute or two.
LATE_AFTER = dt.timedelta(minutes=15)
LOW_QUOTA_SHOWN = 10

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Figure:
    label: str
    value: int | Decimal
    link: str = ""
    money: bool = False
    alert: bool = False  # a non-zero value needs someone to look


def _changelist(model, **params) -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def _moment(value: dt.datetime) -> str:
    """A moment as the admin's list filters take it (ISO 8601, UTC)."""
    return value.astimezone(dt.UTC).isoformat()


@dataclass(frozen=True)
class Periods:
    now: dt.datetime
    day_start: dt.datetime
    day_end: dt.datetime
    month_start: dt.datetime
    month_end: dt.datetime

    @classmethod
    def around(cls, now: dt.datetime) -> Periods:
        """Today and this month as Jakarta reads them."""
        local = now.astimezone(WIB)
        day = local.replace(hour=0, minute=0, second=0, microsecond=0)
        month = day.replace(day=1)
        next_month = (month + dt.timedelta(days=32)).replace(day=1)
        return cls(now=now, day_start=day, day_end=day + dt.timedelta(days=1), month_start=month,
                   month_end=next_month)


def companies(periods: Periods) -> list[Figure]:
    counts = dict(Company.objects.values_list("status").annotate(n=Count("id")))
    return [Figure(label=label, value=counts.get(status, 0),
                   link=_changelist(Company, status__exact=status))
            for status, label in Company.Status.choices]


def pushes(periods: Periods) -> list[Figure]:
    """Pushes delivered (the quota they consumed), today and this month."""
    consumed = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.CONSUME, created_at__gte=periods.month_start,
                                          created_at__lt=periods.month_end).aggregate(
        today=Sum("units", filter=Q(created_at__gte=periods.day_start, created_at__lt=periods.day_end)),
        month=Sum("units"),
    )
    return [
        Figure(label=label, value=-(consumed[key] or 0),
               link=_changelist(LedgerEntry, kind__exact=LedgerEntry.Kind.CONSUME, created_at__gte=_moment(start),
                                created_at__lt=_moment(end)))
        for key, label, start, end in (
            ("today", _("Today"), periods.day_start, periods.day_end),
            ("month", _("This month"), periods.month_start, periods.month_end),
        )
    ]


def fees(periods: Periods) -> list[dict]:
    """What the top-ups paid today and this month billed: pushes, fee before tax, tax, total."""
    paid = TopUpOrder.objects.filter(status=TopUpOrder.Status.PAID, paid_at__gte=periods.month_start,
                                     paid_at__lt=periods.month_end)
    today = Q(paid_at__gte=periods.day_start, paid_at__lt=periods.day_end)
    sums = paid.aggregate(
        today_orders=Count("id", filter=today), today_units=Sum("units", filter=today),
        today_subtotal=Sum("subtotal", filter=today), today_tax=Sum("tax", filter=today),
        today_total=Sum("total", filter=today),
        month_orders=Count("id"), month_units=Sum("units"), month_subtotal=Sum("subtotal"), month_tax=Sum("tax"),
        month_total=Sum("total"),
    )
    rows = []
    for key, label, start, end in (("today", _("Today"), periods.day_start, periods.day_end),
                                   ("month", _("This month"), periods.month_start, periods.month_end)):
        rows.append({
            "label": label,
            "orders": sums[f"{key}_orders"],
            "units": sums[f"{key}_units"] or 0,
            "subtotal": sums[f"{key}_subtotal"] or ZERO,
            "tax": sums[f"{key}_tax"] or ZERO,
            "total": sums[f"{key}_total"] or ZERO,
            "link": _changelist(TopUpOrder, status__exact=TopUpOrder.Status.PAID, paid_at__gte=_moment(start),
                                paid_at__lt=_moment(end)),
        })
    return rows


def tariffs(periods: Periods) -> list[dict]:
    """The tariffs in force now, each with how many companies have it."""
    in_force = Agreement.objects.filter(Q(effective_to__isnull=True) | Q(effective_to__gt=periods.now),
                                        effective_from__lte=periods.now)
    return [
        {**row, "link": _changelist(Agreement, unit_price=row["unit_price"], tax_rate=row["tax_rate"])}
        for row in in_force.values("unit_price", "tax_rate").annotate(companies=Count("company", distinct=True))
        .order_by("unit_price", "tax_rate")
    ]


def failing_deliveries(periods: Periods) -> list[Figure]:
    late = periods.now - LATE_AFTER
    callbacks = CallbackEvent.objects.aggregate(
        retried=Count("id", filter=Q(status=CallbackEvent.Status.PENDING, attempts__gt=0)),
        given_up=Count("id", filter=Q(status=CallbackEvent.Status.GAVE_UP, give_up_at__gte=periods.month_start)),
    )
    bills = Bill.objects.filter(status__in=[BillStatus.RECEIVED, BillStatus.SCHEDULED, BillStatus.FAILED]).aggregate(
        retried=Count("id", filter=Q(status=BillStatus.SCHEDULED, push_attempts__gt=0)),
        late_push=Count("id", filter=Q(status=BillStatus.SCHEDULED, next_push_at__lt=late)),
        late_check=Count("id", filter=Q(status=BillStatus.RECEIVED, created_at__lt=late)),
        # A bill fails when its next try would fall past its end, so its end tells the month.
        failed=Count("id", filter=Q(status=BillStatus.FAILED, end_at__gte=periods.month_start)),
    )
    return [
        Figure(_("Callbacks being retried (the biller's server refused them)"), callbacks["retried"],
               _changelist(CallbackEvent, status__exact=CallbackEvent.Status.PENDING, attempts__gt=0), alert=True),
        Figure(_("Callbacks given up after 24 hours, this month"), callbacks["given_up"],
               _changelist(CallbackEvent, status__exact=CallbackEvent.Status.GAVE_UP,
                           give_up_at__gte=_moment(periods.month_start)), alert=True),
        Figure(_("Bills whose push Livin' refused, being retried"), bills["retried"],
               _changelist(Bill, status__exact=BillStatus.SCHEDULED, push_attempts__gt=0), alert=True),
        Figure(_("Bills due for a push more than 15 minutes ago"), bills["late_push"],
               _changelist(Bill, status__exact=BillStatus.SCHEDULED, next_push_at__lt=_moment(late)), alert=True),
        Figure(_("Bills waiting for the directory check for more than 15 minutes"), bills["late_check"],
               _changelist(Bill, status__exact=BillStatus.RECEIVED, created_at__lt=_moment(late)), alert=True),
        Figure(_("Bills not delivered (failed), this month"), bills["failed"],
               _changelist(Bill, status__exact=BillStatus.FAILED, end_at__gte=_moment(periods.month_start)),
               alert=True),
    ]


def low_quotas() -> dict:
    """Active codes whose available quota is below their company's warning level, lowest first."""
    below = (QuotaAccount.objects.filter(registration__status=Registration.Status.ACTIVE,
                                         balance__lt=F("reserved") + F("registration__low_quota_threshold"))
             .annotate(free=F("balance") - F("reserved")))
    return {
        "count": below.count(),
        "accounts": list(below.select_related("company", "registration__biller_code")
                         .order_by("free", "pk")[:LOW_QUOTA_SHOWN]),
        "link": _changelist(QuotaAccount, low="yes"),
    }


def pending_va_topups() -> dict:
    waiting = TopUpOrder.objects.filter(status=TopUpOrder.Status.AWAITING_PAYMENT, method=TopUpOrder.Method.VA)
    sums = waiting.aggregate(orders=Count("id"), total=Sum("total"))
    return {"orders": sums["orders"], "total": sums["total"] or ZERO,
            "link": _changelist(TopUpOrder, status__exact=TopUpOrder.Status.AWAITING_PAYMENT,
                                method__exact=TopUpOrder.Method.VA)}


def staff_overview(*, now: dt.datetime | None = None) -> dict:
    periods = Periods.around(now or timezone.now())
    return {
        "periods": periods,
        "companies": companies(periods),
        "pushes": pushes(periods),
        "fees": fees(periods),
        "tariffs": tariffs(periods),
        "failing": failing_deliveries(periods),
        "low_quotas": low_quotas(),
        "pending_va": pending_va_topups(),
    }


# Every company's figures, fees and top-ups: for staff who may read those records in the admin.
OVERVIEW_PERMISSIONS = ("billers.view_company", "quota.view_topuporder", "quota.view_quotaaccount")


def overview(request):
    if not request.user.has_perms(OVERVIEW_PERMISSIONS):
        raise PermissionDenied(_("Reading every company's figures needs the permission to view companies, "
                                 "top-ups and quota accounts."))
    context = {**admin.site.each_context(request), "title": _("Overview of all companies"), **staff_overview()}
    return render(request, "admin/staff/overview.html", context)


# Mounted under /admin/ before the admin's own URLs, behind its guard.
urlpatterns = [
    path("overview/", admin.site.admin_view(overview), name="staff_overview"),
]
