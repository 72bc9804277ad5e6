"""Reading what changed since a moment, without missing what was committed late.

A row's ``updated_at`` (or ``created_at``) is the moment its transaction wrote it, not the
moment that transaction committed: an upload of a million bills commits a minute after its
bills were stamped. A reader that listed "everything up to now" in that minute would later
start after them and never see them. So a change feed only lists up to its *settle point*:
the start of the oldest transaction still writing (on PostgreSQL, read from
``pg_stat_activity``), less a margin for the clocks of the web and database hosts, and never
later than now less that margin. Everything stamped before the settle point is committed or
rolled back, so a reader that stops there and goes on from there later misses nothing.

The embedded SQLite database has one writer at a time and no view of other connections'
transactions: there the settle point is now less the margin.

Pages walk by keyset on (stamp, id), carried in an opaque cursor that also holds the
settle point of the listing's first page, so the pages of one listing agree.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass

from django.core.signing import BadSignature, Signer
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

SETTLE_MARGIN = dt.timedelta(seconds=5)
_SIGNER = Signer(salt="kopra.changes.cursor")


def settle_point() -> dt.datetime:
    """The moment up to which every write is committed (or gone), to the second."""
    now = timezone.now()
    oldest = now
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # The activity view is read once per transaction and kept: read it afresh.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT min(xact_start) FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
            )
            (started,) = cursor.fetchone()
        if started is not None:
            oldest = min(oldest, started)
    return (oldest - SETTLE_MARGIN).replace(microsecond=0)


@dataclass(frozen=True)
class FeedCursor:
    """Where the next page of a listing starts, and what the listing is."""

    stamp: dt.datetime
    id: int
    until: dt.datetime
    filters: dict

    def token(self) -> str:
        """Signed (``SECRET_KEY``), so a cursor comes back as the listing gave it, filters included."""
        raw = json.dumps([self.stamp.isoformat(), self.id, self.until.isoformat(), self.filters],
                         separators=(",", ":"), sort_keys=True).encode()
        return _SIGNER.sign(base64.urlsafe_b64encode(raw).decode().rstrip("="))

    @classmethod
    def parse(cls, token: str) -> FeedCursor:
        """The cursor in ``token``; ``ValueError`` if it is not one this feed gave."""
        try:
            token = _SIGNER.unsign(token)
            stamp, pk, until, filters = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            cursor = cls(stamp=dt.datetime.fromisoformat(stamp), id=pk, until=dt.datetime.fromisoformat(until),
                         filters=filters)
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, BadSignature):
            raise ValueError("not a cursor of this listing") from None
        if (not isinstance(pk, int) or not isinstance(filters, dict) or cursor.stamp.tzinfo is None
                or cursor.until.tzinfo is None):
            raise ValueError("not a cursor of this listing")
        return cursor


@dataclass
class FeedPage:
    rows: list
    next_cursor: str | None
    until: dt.datetime


def feed_page(rows: QuerySet, *, stamp_field: str, since: dt.datetime | None, cursor: FeedCursor | None,
              filters: dict, size: int) -> FeedPage:
    """One page of ``rows`` stamped from ``since`` (or after ``cursor``) up to the settle point,
    oldest first; ``filters`` are what the caller filtered ``rows`` by, kept in the cursor."""
    until = cursor.until if cursor is not None else settle_point()
    rows = rows.filter(**{f"{stamp_field}__lt": until})
    if cursor is not None:
        # The range condition first, so the database starts its index walk at the cursor.
        rows = rows.filter(Q(**{f"{stamp_field}__gte": cursor.stamp}),
                           Q(**{stamp_field: cursor.stamp, "id__gt": cursor.id})
                           | Q(**{f"{stamp_field}__gt": cursor.stamp}))
    elif since is not None:
        rows = rows.filter(**{f"{stamp_field}__gte": since})
    found = list(rows.order_by(stamp_field, "id")[:size + 1])
    more = len(found) > size
    found = found[:size]
    next_cursor = None
    if more:
        last = found[-1]
        next_cursor = FeedCursor(stamp=getattr(last, stamp_field), id=last.pk, until=until, filters=filters).token()
    return FeedPage(rows=found, next_cursor=next_cursor, until=until)
