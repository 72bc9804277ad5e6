"""What an upload may hold and how long its work may go quiet: limits, leases, the problems
found between rows and their messages."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_noop

from reminders.models import Upload

Status = Upload.Status
SAME_FILE_WINDOW = timedelta(days=30)
# Rows staged per statement (and per progress update): big enough that per-statement costs
# vanish, small enough that memory stays flat whatever the file size.
BATCH_ROWS = 10_000
MAX_VALUE = 200
MOMENT_TEXTS = 4096
MAX_COLUMN = 100

# Problems found between rows or against the database, marked on the staged row.
REPEATED_KEY = "duplicate_in_file"
REPEATED_REFERENCE = "duplicate_reference_in_file"
ACTIVE_REMINDER = "active_reminder"
REFERENCE_USED = "reference_used"
ENDED = "ended_since_check"
DUPLICATE_PROBLEMS = (REPEATED_KEY, REPEATED_REFERENCE)

# English source texts; gettext_noop marks them for the catalogue, ``translated`` shows them.
MESSAGES = {
    REPEATED_KEY: gettext_noop(
        "The bill key %(key)s is also in row %(first)s; only that first row is kept. "
        "Remove the repeated row, or give it its own bill key."
    ),
    REPEATED_REFERENCE: gettext_noop(
        "The reference %(reference)s is also in row %(first)s; only that first row is kept. "
        "Each bill needs its own reference."
    ),
    ACTIVE_REMINDER: gettext_noop(
        "The bill key %(key)s already has an active reminder; this row is skipped. "
        "Cancel that reminder first, or wait until it ends."
    ),
    REFERENCE_USED: gettext_noop(
        "The reference %(reference)s is already used by another bill of your company; "
        "each bill needs its own reference."
    ),
    ENDED: gettext_noop("The end date %(end)s has passed since the file was checked; this row is skipped."),
}
DECISION_FAILED = gettext_noop("That could not be done because of an internal error; nothing was changed. Try again.")
INTERNAL_ERROR = gettext_noop(
    "The file could not be checked because of an internal error. Upload it again; "
    "if that fails too, contact the bank."
)


def upload_lease() -> timedelta:
    """How long a check or decision may go quiet before the stalled-work sweep queues it again."""
    return timedelta(seconds=settings.UPLOAD_LEASE_SECONDS)


def upload_limits() -> tuple[int, int]:
    """(max data rows, max bytes) per file, from settings."""
    return (
        int(getattr(settings, "UPLOAD_MAX_ROWS", 1_000_000)),
        int(getattr(settings, "UPLOAD_MAX_BYTES", 100 * 1024 * 1024)),
    )


# Reasons and their parameters stored as English source text, translated when shown.


def _source_text(reason) -> str:
    """A reason's English source text (what ``gettext`` looks up), whatever language is active."""
    with translation.override(None):
        return str(reason)


def _json_params(params: dict) -> dict:
    clean = {}
    for key, value in params.items():
        if value is None or isinstance(value, (bool, int, float, str)):
            clean[key] = value
        else:
            with translation.override(None):
                clean[key] = str(value)
    return clean


def _stored(explained) -> dict:
    return {"code": explained.code, "message": _source_text(explained.reason),
            "params": _json_params(explained.params)}
