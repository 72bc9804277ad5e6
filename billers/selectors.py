"""Reads of the billers app, always for one company."""

from django.core.paginator import Paginator
from django.db.models import Q

from billers.models import Company, User
from kopra.models import AuditEvent

PAGE_SIZE = 50


def company_summary(company: Company) -> dict:
    """What the home page shows before the dashboard exists."""
    return {
        "users": User.objects.filter(company=company, is_active=True).count(),
    }


def audit_events(company: Company, *, query: str = ""):
    """The company's audit log, newest first, optionally searched."""
    events = AuditEvent.objects.filter(company=company)
    if query:
        events = events.filter(Q(sentence__icontains=query) | Q(action__icontains=query))
    return events.order_by("-at", "-id")


def paginate(queryset, page_number, per_page: int = PAGE_SIZE):
    return Paginator(queryset, per_page).get_page(page_number)
