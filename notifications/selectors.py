"""Reads of the notifications app: pushes delivered and how late they were, always for one company."""

from __future__ import annotations

import datetime as dt
import math

from django.db import connection
from django.db.models import Aggregate, Count, FloatField, Q, QuerySet
from django.db.models.functions import TruncDate, TruncDay, TruncMonth, TruncWeek

from billers.models import Company, Registration
from core.changes import FeedCursor, FeedPage, feed_page
from core.time import WIB
from notifications.models import CallbackEvent, DeliveryAttempt

PUSH = DeliveryAttempt.Operation.PUSH
TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


def _pushes(company: Company, registration: Registration | None) -> QuerySet[DeliveryAttempt]:
    attempts = DeliveryAttempt.objects.filter(company=company, operation=PUSH)
    if registration is not None:
        attempts = attempts.filter(bill__registration=registration)
    return attempts


def push_counts(company: Company, *, today: dt.datetime, month: dt.datetime,
                registration: Registration | None = None) -> dict[str, int]:
    """Pushes delivered since ``today`` and since ``month`` (both WIB midnights), and failed tries today."""
    return _pushes(company, registration).filter(at__gte=min(today, month)).aggregate(
        today=Count("id", filter=Q(ok=True, at__gte=today)),
        month=Count("id", filter=Q(ok=True, at__gte=month)),
        failed_today=Count("id", filter=Q(ok=False, at__gte=today)),
    )


class _PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont``: the value at ``fraction``, interpolated between neighbours."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, *, fraction: float, **extra):
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def percentiles(values: QuerySet, field: str, fractions: tuple[float, ...]) -> dict[float, float | None]:
    """``field`` at each of ``fractions`` over ``values``, as ``percentile_cont`` computes it.

    PostgreSQL does it in one query; elsewhere each percentile is read at its rank
    (one query for the count, one per fraction), never by loading every value.
    """
    if connection.vendor == "postgresql":
        row = values.aggregate(**{f"p{i}": _PercentileCont(field, fraction=f) for i, f in enumerate(fractions)})
        return {f: row[f"p{i}"] for i, f in enumerate(fractions)}
    total = values.count()
    found: dict[float, float | None] = {}
    ordered = values.order_by(field).values_list(field, flat=True)
    for fraction in fractions:
        if not total:
            found[fraction] = None
            continue
        position = fraction * (total - 1)
        low = math.floor(position)
        pair = list(ordered[low:low + 2])
        above = pair[1] if len(pair) > 1 else pair[0]
        found[fraction] = pair[0] + (above - pair[0]) * (position - low)
    return found


def push_lag_percentiles(company: Company, *, since: dt.datetime, registration: Registration | None = None,
                         fractions: tuple[float, ...] = (0.5, 0.95)) -> dict[float, float | None]:
    """How late delivered pushes since ``since`` came against their bill's scheduled start, in ms."""
    delivered = _pushes(company, registration).filter(ok=True, at__gte=since, lag_ms__isnull=False)
    return percentiles(delivered, "lag_ms", fractions)


def pushes_per_day(company: Company, *, since: dt.datetime, registration: Registration | None = None
                   ) -> dict[dt.date, int]:
    """Delivered pushes per WIB day since ``since``; days without one are absent."""
    rows = (_pushes(company, registration).filter(ok=True, at__gte=since)
            .annotate(day=TruncDate("at", tzinfo=WIB)).order_by().values_list("day").annotate(n=Count("id")))
    return dict(rows)


def push_failures_by_period(company: Company, *, start: dt.datetime, end: dt.datetime, period: str,
                            registration: Registration | None = None) -> list[dict]:
    """Per (WIB period, registration): push tries that failed (each retried until the bill's end)."""
    rows = (_pushes(company, registration).filter(ok=False, at__gte=start, at__lt=end)
            .annotate(period=TRUNC[period]("at", tzinfo=WIB)).order_by()
            .values("period", "bill__registration").annotate(failed=Count("id")))
    return [{"period": row["period"].astimezone(WIB).date(), "registration": row["bill__registration"],
             "failed": row["failed"]} for row in rows]


def callbacks_since(company: Company, *, since=None, cursor: FeedCursor | None = None, event: str = "",
                    size: int = 100) -> FeedPage:
    """The company's callback events written since ``since`` (or after ``cursor``, with the filter
    of the listing it continues), oldest first, up to the moment every one before it is committed."""
    filters = cursor.filters if cursor is not None else {"event": event}
    events = CallbackEvent.objects.filter(company=company)
    if filters.get("event"):
        events = events.filter(event=filters["event"])
    return feed_page(events, stamp_field="created_at", since=since, cursor=cursor, filters=filters, size=size)
