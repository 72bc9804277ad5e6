"""The listings of the Open API (bills changed, callback events): where a page starts, and its answer."""

from rest_framework import serializers

from core import signing
from core.changes import FeedCursor, FeedPage
from snap import errors
from snap.shapes import Text

DEFAULT_PAGE = 100
LIST_MAX = 1000


class FeedIn(serializers.Serializer):
    """A listing of what changed: from a moment on the first call, then from the cursor it gave."""

    cursor = Text(max_length=1000, required=False,
                  help_text="The nextCursor of the previous page; sent alone, as it carries the listing's filters.")
    pageSize = serializers.IntegerField(  # noqa: N815
        min_value=1, max_value=LIST_MAX, required=False, help_text=f"1 to {LIST_MAX:,}; 100 if not sent.")


class FeedOut(serializers.Serializer):
    responseCode = serializers.CharField()  # noqa: N815
    responseMessage = serializers.CharField()  # noqa: N815
    nextCursor = serializers.CharField(  # noqa: N815
        allow_null=True, help_text="Send it to read the next page; null on the listing's last page.")
    listedUntil = serializers.CharField(  # noqa: N815
        help_text="Every change before this moment is in the listing; start the next listing here.")


def feed_position(data: dict, *, since_field: str, filter_fields: tuple[str, ...] = ()):
    """``(since, cursor, size)`` of a listing call: a first call names a moment (and filters),
    a following call sends the cursor alone; a SNAP refusal naming the field otherwise."""
    size = data.get("pageSize", DEFAULT_PAGE)
    if data.get("cursor"):
        sent = [name for name in (since_field, *filter_fields) if data.get(name) not in (None, "")]
        if sent:
            raise errors.invalid_field(f"{sent[0]} (send the cursor alone: it carries the listing's filters)")
        try:
            return None, FeedCursor.parse(data["cursor"]), size
        except ValueError:
            raise errors.invalid_field("cursor (not a nextCursor this listing gave)") from None
    if not data.get(since_field):
        raise errors.missing_field(since_field)
    try:
        return signing.parse_timestamp(data[since_field]), None, size
    except ValueError:
        raise errors.invalid_field(f"{since_field} (ISO-8601 with an offset, e.g. 2026-12-01T08:00:00+07:00)") from None


def feed_answer(page: FeedPage, name: str, items: list) -> dict:
    return {name: items, "nextCursor": page.next_cursor, "listedUntil": signing.format_timestamp(page.until)}
