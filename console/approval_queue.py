"""The approver's queue: every upload, top-up, stop/resume request and day of Open API bills they
may decide, and what deciding does.

Read through each app's selectors, in a fixed number of queries whatever the queue's
length. A request is never offered to its maker (the selectors leave those out), the
same rule ``billers.approvals.ensure_can_approve`` enforces when the decision is made.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from decimal import Decimal

from django.db.models import CharField, Count, IntegerField, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat, TruncDay

from billers import selectors as billers_selectors
from billers.models import Company, ServiceChangeRequest, User
from core.time import WIB
from quota import selectors as quota_selectors
from reminders import amounts
from reminders import selectors as reminders_selectors
from reminders.models import Bill, BillSource, BillStatus


@dataclass
class QueueItem:
    kind: str  # upload, topup, change: the approval_decide route's kind
    request: object
    registration: object
    available: int  # pushes available now for the code
    figures: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ApiBillsItem(reminders_selectors.ApiBillsWaiting):
    """A day of one code's Open API bills waiting, with the first of them."""

    sample: list = field(default_factory=list)


def approval_queue(company: Company, approver: User) -> dict:
    """What ``approver`` may decide now, oldest first within each kind, with the effect of each decision."""
    # Each upload with the count and Rp of its bills waiting, summed in the same query.
    uploads = list(amounts.uploads_with_waiting_worth(reminders_selectors.uploads_waiting_for(company, approver)))
    topups = list(quota_selectors.topups_waiting_for(company, approver))
    changes = list(billers_selectors.service_changes_waiting_for(company, approver))
    available = quota_selectors.available_by_registration(company) if uploads or topups or changes else {}
    prices = quota_selectors.unit_prices_in_force(company) if uploads else {}
    stops = [c.registration_id for c in changes if c.action == ServiceChangeRequest.Action.STOP]
    active = reminders_selectors.active_bill_counts(company, stops) if stops else {}

    def price_of(registration) -> Decimal | None:
        return prices.get(registration.biller_code_id, prices.get(None))

    samples = amounts.waiting_sample_by_upload(company, [upload.pk for upload in uploads]) if uploads else {}
    upload_items = []
    for upload in uploads:
        price = price_of(upload.registration)
        bills = upload.waiting_bills
        upload_items.append(QueueItem(
            kind="upload", request=upload, registration=upload.registration,
            available=available.get(upload.registration_id, 0),
            figures={"bills": bills, "total": upload.waiting_total, "sample": samples.get(upload.pk, []),
                     "unit_price": price, "worth": price * bills if price is not None else None},
        ))
    topup_items = [
        QueueItem(kind="topup", request=order, registration=order.registration,
                  available=available.get(order.registration_id, 0),
                  figures={"available_after": available.get(order.registration_id, 0) + order.units})
        for order in topups
    ]
    change_items = []
    for change in changes:
        counts = active.get(change.registration_id, {"active": 0, "shown": 0})
        change_items.append(QueueItem(
            kind="change", request=change, registration=change.registration,
            available=available.get(change.registration_id, 0),
            figures={"cancelled": counts["active"], "withdrawn": counts["shown"],
                     "released": counts["active"] - counts["shown"]},
        ))
    api_groups = reminders_selectors.api_bills_waiting(company)
    api_samples = amounts.waiting_api_sample(company) if api_groups else {}
    api_bills = [ApiBillsItem(**{f.name: getattr(group, f.name) for f in fields(group)},
                              sample=api_samples.get((group.registration_id, group.day), []))
                 for group in api_groups]
    return {
        "uploads": upload_items,
        "topups": topup_items,
        "changes": change_items,
        "api_bills": api_bills,
        "count": len(upload_items) + len(topup_items) + len(change_items) + len(api_bills),
        "mine": (reminders_selectors.uploads_submitted_by(company, approver)
                 + quota_selectors.topups_requested_by(company, approver)
                 + billers_selectors.service_changes_requested_by(company, approver)),
    }


def waiting_count(company: Company, approver: User) -> int:
    """How many items ``approval_queue`` offers ``approver`` (its ``count``), in one query: the
    same selectors, counted by the database; the Open API bills count once per code and day."""

    def counted(queryset):
        return Coalesce(Subquery(queryset.order_by().values("company").annotate(n=Count("pk")).values("n"),
                                 output_field=IntegerField()), 0)

    api_days = (Bill.objects.filter(company=company, status=BillStatus.PENDING_APPROVAL, source=BillSource.API)
                .order_by().values("company")
                .annotate(n=Count(Concat(Cast("registration_id", CharField()), Value(" "),
                                         Cast(TruncDay("created_at", tzinfo=WIB), CharField())), distinct=True))
                .values("n"))
    totals = Company.objects.filter(pk=company.pk).values_list(
        counted(reminders_selectors.uploads_waiting_for(company, approver))
        + counted(quota_selectors.topups_waiting_for(company, approver))
        + counted(billers_selectors.service_changes_waiting_for(company, approver))
        + Coalesce(Subquery(api_days, output_field=IntegerField()), 0),
        flat=True,
    )
    return totals.first() or 0


def waiting_for(request) -> int:
    """``waiting_count`` for the signed-in approver (0 for anyone else), read once per request
    however many places show it (the menu, the dashboard)."""
    if not hasattr(request, "approvals_waiting"):
        user = request.user
        request.approvals_waiting = (
            waiting_count(user.company, user) if user.company_id is not None and user.is_approver else 0)
    return request.approvals_waiting
