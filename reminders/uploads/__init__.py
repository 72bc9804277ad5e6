"""Bill files: receive one, read and check it in the background, then submit its valid rows as bills.

The rows are read by ``fileformat`` (docs/file-format.md) and checked by its
``RowChecker``, which answers as the ``validate_row`` of the API and the single-entry form
does. Valid rows wait, clean, in a staging table (``UploadRow``); every problem is one
``UploadError`` (row, column, value, reason). Problems between rows (a bill key twice in
the file) or with the database (a bill key that already has an active reminder) are found
at the end with a few set-based statements, never row by row. Submitting turns the
staged rows into bills with one INSERT ... SELECT, one quota reservation of N units
(reference ``upload:<id>``) and one audit line; the bills then live their own lives
(``bill_transition``, ``bill:<id>``).

Reasons are stored as their English source text with their parameters and translated when
shown, so the report reads in the language of whoever opens it.
"""

from reminders.uploads.decide import (
    DECISIONS,
    upload_approve,
    upload_decide,
    upload_decision_carry_out,
    upload_discard,
    upload_reject,
    upload_rows_purge,
    upload_submit,
)
from reminders.uploads.receive import upload_receive
from reminders.uploads.report import upload_error_file_rows, upload_errors
from reminders.uploads.retention import FINISHED, upload_files_expire, upload_requeue_stalled
from reminders.uploads.rules import (
    ACTIVE_REMINDER,
    ENDED,
    MESSAGES,
    REFERENCE_USED,
    REPEATED_KEY,
    REPEATED_REFERENCE,
    upload_lease,
    upload_limits,
)
from reminders.uploads.validate import upload_validate

__all__ = [
    "ACTIVE_REMINDER",
    "DECISIONS",
    "ENDED",
    "FINISHED",
    "MESSAGES",
    "REFERENCE_USED",
    "REPEATED_KEY",
    "REPEATED_REFERENCE",
    "upload_approve",
    "upload_decide",
    "upload_decision_carry_out",
    "upload_discard",
    "upload_error_file_rows",
    "upload_errors",
    "upload_files_expire",
    "upload_lease",
    "upload_limits",
    "upload_receive",
    "upload_reject",
    "upload_requeue_stalled",
    "upload_rows_purge",
    "upload_submit",
    "upload_validate",
]
