"""Notices to a maker that their request was decided: written with the decision, read on the
dashboard, dismissed by the maker. E-mail about the same decision is ``staffmail``'s."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from billers.models import ServiceChangeRequest, User
from console.models import DecisionNotice
from quota.models import TopUpOrder
from reminders.models import Upload

SHOWN = 20  # the newest undismissed notices on the dashboard; the count says how many there are in all


def _about(request) -> dict:
    if isinstance(request, Upload):
        return {"what": DecisionNotice.What.UPLOAD, "code": request.registration.code,
                "name": request.original_name[:255]}
    if isinstance(request, TopUpOrder):
        return {"what": DecisionNotice.What.TOPUP, "code": request.registration.code}
    if isinstance(request, ServiceChangeRequest):
        return {"what": f"service_{request.action}", "code": request.registration.code}
    raise TypeError(f"No notice for a request of type {type(request).__name__}")


def notice_decision(sender, *, request, company, requested_by, decided_by, approved, reason="", **kwargs) -> None:
    """Receiver of ``core.events.request_decided``: one notice for the maker, in the decision's
    transaction (a decision told twice is noticed once)."""
    if requested_by is None:
        return
    DecisionNotice.objects.bulk_create([DecisionNotice(
        company=company, user=requested_by, number=request.pk, approved=approved, decided_by=decided_by,
        reason=(reason or "").strip()[:200], decided_at=timezone.now(), **_about(request),
    )], ignore_conflicts=True)


def notices_unseen(user: User) -> tuple[list[DecisionNotice], int]:
    """The newest ``SHOWN`` notices ``user`` has not dismissed, and how many there are in all; two queries."""
    unseen = DecisionNotice.objects.filter(company_id=user.company_id, user=user, seen_at__isnull=True)
    shown = list(unseen.select_related("decided_by").order_by("-decided_at", "-id")[:SHOWN])
    return shown, (len(shown) if len(shown) < SHOWN else unseen.count())


@transaction.atomic
def notices_dismiss(*, user: User, pk: int | None = None) -> int:
    """Marks one of ``user``'s notices (or, without ``pk``, all of them) as seen; returns how many."""
    unseen = DecisionNotice.objects.filter(company_id=user.company_id, user=user, seen_at__isnull=True)
    if pk is not None:
        unseen = unseen.filter(pk=pk)
    return unseen.update(seen_at=timezone.now())


def connect() -> None:
    from core import events

    events.request_decided.connect(notice_decision, dispatch_uid="console.notice_decision")
