"""Read and check an upload in the background: rows staged clean, each problem recorded
with row, column, value and reason."""

from __future__ import annotations

import json
import logging
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from core import audit
from core.audit import audit_record
from fileformat import CellError, FileRefused, RowChecker, open_upload
from fileformat.readers import UploadRows
from quota.selectors import quota_available
from reminders import lifecycle, sql
from reminders.models import Upload, UploadError, UploadRow
from reminders.uploads.checks import _flag_repeats, _flag_taken, _problem_counts, _record_flagged
from reminders.uploads.rules import (
    ACTIVE_REMINDER,
    BATCH_ROWS,
    DUPLICATE_PROBLEMS,
    INTERNAL_ERROR,
    MAX_COLUMN,
    MAX_VALUE,
    MOMENT_TEXTS,
    REFERENCE_USED,
    REPEATED_KEY,
    REPEATED_REFERENCE,
    Status,
    _json_params,
    _source_text,
    _stored,
    upload_lease,
    upload_limits,
)

log = logging.getLogger(__name__)


def upload_validate(*, upload: Upload) -> Upload:
    """Reads every row of ``upload``, stages the valid ones and records each problem (background).

    Progress (``rows_read``) is committed every ``BATCH_ROWS`` rows so the console can show
    it. A refused file ends ``refused`` with the reason, its staged rows removed. The run
    holds a lease renewed with each batch: a second run (a redelivered task) does nothing
    while the first is alive, and starts over once it has gone quiet past
    ``UPLOAD_LEASE_SECONDS``; the first then stops at its next batch without writing. On a
    finished upload it does nothing.
    """
    lease, now = secrets.token_hex(16), timezone.now()
    claimed = Upload.objects.filter(
        Q(status=Status.QUEUED) | Q(status=Status.VALIDATING, lease_until__lt=now), pk=upload.pk,
    ).update(status=Status.VALIDATING, rows_read=0, rows_total=None, lease_token=lease,
             lease_until=now + upload_lease())
    upload = Upload.objects.select_related("registration__biller_code", "company").get(pk=upload.pk)
    if not claimed or upload.lease_token != lease:
        return upload
    _clear_staging(upload)
    registration = upload.registration
    max_rows, max_bytes = upload_limits()
    try:
        with _local_file(upload) as path:
            estimate = _estimated_rows(path, upload.file_format)
            with open_upload(path, filename=upload.original_name, max_rows=max_rows, max_bytes=max_bytes) as rows:
                columns = {name: rows.header_map.header(name) for name in rows.header_map.positions}
                warnings = [_stored(warning) for warning in rows.header_map.warnings]
                Upload.objects.filter(pk=upload.pk, lease_token=lease).update(
                    columns=columns, header_warnings=warnings, rows_total=estimate)
                upload.columns, upload.header_warnings = columns, warnings
                read, invalid = _stage_rows(upload, rows, biller_code=registration.code)
    except FileRefused as refusal:
        return _refuse(upload, refusal.code, _source_text(refusal.reason), _json_params(refusal.params))
    except _Abandoned:
        _clear_staging(upload)
        return Upload.objects.get(pk=upload.pk)
    except _LeaseLost:
        # Another run took the check over: the staged rows are its own now.
        log.warning("upload %s: the check went quiet past its lease and was taken over; this run stops", upload.pk)
        return Upload.objects.get(pk=upload.pk)
    except Exception:
        log.exception("upload %s could not be checked", upload.pk)
        _refuse(upload, "internal_error", INTERNAL_ERROR, {})
        raise
    return _finish_validation(upload, read=read, invalid=invalid)


class _Abandoned(Exception):
    """The upload was discarded while it was being read."""


class _LeaseLost(Exception):
    """This run went quiet past its lease and another run took the check over."""


def _lease_renew(upload_id: int, lease: str, *, rows_read: int) -> None:
    """Records the progress and extends the check's lease; raises if this run must stop writing.

    Called first in each batch's transaction, so a batch of a run that lost its lease rolls back.
    """
    renewed = Upload.objects.filter(pk=upload_id, status=Status.VALIDATING, lease_token=lease).update(
        rows_read=rows_read, lease_until=timezone.now() + upload_lease())
    if renewed:
        return
    if Upload.objects.filter(pk=upload_id, lease_token=lease).exists():
        raise _Abandoned()
    raise _LeaseLost()


@contextmanager
def _local_file(upload: Upload) -> Iterator[Path]:
    """A path to the stored file: the file itself, or a temporary copy for remote storages."""
    try:
        path = upload.file.path
    except NotImplementedError:
        path = None
    if path is not None:
        yield Path(path)
        return
    suffix = "." + upload.file_format
    with tempfile.NamedTemporaryFile(suffix=suffix) as copy, upload.file.open("rb") as stored:
        for chunk in stored.chunks():
            copy.write(chunk)
        copy.flush()
        yield Path(copy.name)


def _estimated_rows(path: Path, file_format: str) -> int | None:
    """Lines of a CSV file (a quick count, for the progress bar); None for a workbook."""
    if file_format != "csv":
        return None
    lines = 0
    last = b""
    with path.open("rb") as stream:
        while chunk := stream.read(1024**2):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last and last != b"\n":
        lines += 1
    return max(lines - 1, 0)


def _stage_rows(upload: Upload, rows: UploadRows, *, biller_code: str) -> tuple[int, int]:
    """Validates and stages every row; returns (rows read, invalid rows)."""
    check = RowChecker(rows.header_map, now=timezone.now(), biller_code=biller_code).check
    upload_id = upload.pk
    valid: list[tuple] = []
    errors: list[tuple] = []
    read = invalid = 0
    writer = _StagingWriter(upload_id, lease=upload.lease_token)
    moment = writer.moment
    # Reasons are kept as their English source text: rendered with no language active.
    with translation.override(None):
        for row_number, cells in rows:
            values, problems = check(cells, row_number)
            read += 1
            if values is not None:
                bill_key, payer_phone, payer_name, amount, description, start_at, end_at, reference = values
                valid.append((upload_id, row_number, bill_key, payer_phone, payer_name, amount, description,
                              moment(start_at), moment(end_at), reference or None, "", None))
            else:
                invalid += 1
                for problem in problems:
                    errors.append(_error_record(upload_id, problem))
            if read % BATCH_ROWS == 0:
                writer.flush(valid, errors, read)
                valid, errors = [], []
        writer.flush(valid, errors, read)
    return read, invalid


def _error_record(upload_id: int, error: CellError) -> tuple:
    value = error.value or ""
    if len(value) > MAX_VALUE:
        value = value[: MAX_VALUE - 1] + "…"
    return (upload_id, error.row or 0, (error.column or "")[:MAX_COLUMN], value, error.code,
            _source_text(error.reason), json.dumps(_json_params(error.params)))


class _StagingWriter:
    """Writes staged rows and errors batch by batch, each batch with its progress in one short transaction.

    PostgreSQL gets COPY (several times faster than INSERT for this); other databases one
    executemany per batch, values adapted by the backend's own adapters (the ORM's
    per-field preparation would cost more than reading and checking the rows).
    """

    ROW_FIELDS = ("upload_id", "row_number", "bill_key", "payer_phone", "payer_name", "amount", "description",
                  "start_at", "end_at", "partner_reference_no", "problem", "first_row")
    ERROR_FIELDS = ("upload_id", "row_number", "column", "value", "code", "message", "params")

    def __init__(self, upload_id: int, *, lease: str):
        self.upload_id = upload_id
        self.lease = lease
        self.copy = connection.vendor == "postgresql"
        # The start and end of a row as the writer passes them. COPY gets text: psycopg's
        # adaptation of an aware datetime costs more than checking the whole row, and a
        # file has only a few distinct dates, each written out once.
        self.moment = _MomentTexts().__getitem__ if self.copy else _as_is

    def flush(self, valid: list[tuple], errors: list[tuple], read: int) -> None:
        with transaction.atomic(durable=True):
            _lease_renew(self.upload_id, self.lease, rows_read=read)
            if valid:
                self._write(UploadRow, self.ROW_FIELDS, valid)
            if errors:
                self._write(UploadError, self.ERROR_FIELDS, errors)

    def _write(self, model, fields: tuple[str, ...], records: list[tuple]) -> None:
        table = sql.table(model)
        columns = ", ".join(sql.column(model, _field_name(f)) for f in fields)
        with connection.cursor() as cursor:
            if self.copy:
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for record in records:
                        copy.write_row(record)
                return
            adapters = [(index, _adapter(model._meta.get_field(_field_name(f))))
                        for index, f in enumerate(fields) if _adapter(model._meta.get_field(_field_name(f)))]
            if adapters:
                records = [list(record) for record in records]
                for record in records:
                    for index, adapt in adapters:
                        record[index] = adapt(record[index])
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", records)


class _MomentTexts(dict):
    """Aware datetimes to their ISO 8601 text, which PostgreSQL reads as the same instant.

    At most MOMENT_TEXTS are kept: a file whose every row has its own time stays small.
    """

    def __missing__(self, moment):
        text = moment.isoformat()
        if len(self) < MOMENT_TEXTS:
            self[moment] = text
        return text


def _as_is(value):
    return value


def _adapter(field):
    """How the backend wants a value of ``field`` that its driver does not take as is; None if it does."""
    ops = connection.ops
    if field.get_internal_type() == "DateTimeField":
        return ops.adapt_datetimefield_value
    if field.get_internal_type() == "DecimalField":
        return lambda value: ops.adapt_decimalfield_value(value, field.max_digits, field.decimal_places)
    return None


def _field_name(attname: str) -> str:
    return attname[:-3] if attname.endswith("_id") else attname


def _finish_validation(upload: Upload, *, read: int, invalid: int) -> Upload:
    """The checks between rows and against the database, then the totals: set-based."""
    registration = upload.registration
    lease = upload.lease_token
    with transaction.atomic(durable=True):
        upload = (Upload.objects.select_for_update(of=("self",)).select_related("registration__biller_code")
                  .get(pk=upload.pk))
        if upload.lease_token != lease:
            return upload  # another run took the check over; the staged rows are its own
        if upload.status != Status.VALIDATING:
            _clear_staging(upload)
            return upload
        if connection.vendor == "postgresql":
            # Finding repeats sorts the whole upload (a million keys take about 100 MB): in
            # memory, not on disk.
            sql.execute("SET LOCAL work_mem = '256MB'", [])
        _flag_repeats(upload, "bill_key", REPEATED_KEY)
        _flag_repeats(upload, "partner_reference_no", REPEATED_REFERENCE)
        _flag_taken(upload, registration)
        _record_flagged(upload, (REPEATED_KEY, REPEATED_REFERENCE, ACTIVE_REMINDER, REFERENCE_USED))
        counts = _problem_counts(upload)
        upload.rows_read = upload.rows_total = read
        upload.valid_rows = counts.get("", 0)
        upload.invalid_rows = invalid + counts.get(REFERENCE_USED, 0)
        upload.duplicate_rows = sum(counts.get(code, 0) for code in DUPLICATE_PROBLEMS)
        upload.active_conflicts = counts.get(ACTIVE_REMINDER, 0)
        upload.quota_available = max(quota_available(registration), 0)
        upload.status, upload.validated_at = Status.VALIDATED, timezone.now()
        upload.save(update_fields=["rows_read", "rows_total", "valid_rows", "invalid_rows", "duplicate_rows",
                                   "active_conflicts", "quota_available", "status", "validated_at"])
        audit_record(
            action="upload.validated", actor=None, company=upload.company, obj=upload,
            sentence=gettext_noop("Upload #%(upload)s (%(name)s) checked: %(rows)s rows, %(valid)s valid, "
                                  "%(invalid)s invalid, %(repeated)s repeated, %(active)s with an active reminder"),
            params={"upload": upload.pk, "name": upload.original_name, "rows": read, "valid": upload.valid_rows,
                    "invalid": upload.invalid_rows, "repeated": upload.duplicate_rows,
                    "active": upload.active_conflicts},
        )
        lifecycle.upload_checked(upload)  # the biller's upload.processed callback
    return upload


def _refuse(upload: Upload, code: str, message: str, params: dict) -> Upload:
    """Ends the check ``refused`` and clears what it staged, unless another run took it over."""
    with transaction.atomic(durable=True):
        moved = Upload.objects.filter(pk=upload.pk, status=Status.VALIDATING, lease_token=upload.lease_token).update(
            status=Status.REFUSED, refusal_code=code[:64], refusal_message=message, refusal_params=params,
            validated_at=timezone.now(),
        )
        upload = Upload.objects.select_related("company", "registration__biller_code").get(pk=upload.pk)
        if moved:
            _clear_staging(upload)
            lifecycle.upload_checked(upload)
            audit_record(action="upload.refused", actor=None, company=upload.company, obj=upload,
                         sentence=gettext_noop("Upload #%(upload)s (%(name)s) refused: %(reason)s"),
                         params={"upload": upload.pk, "name": upload.original_name,
                                 "reason": audit.phrase(message, **(params or {}))})
    return upload


def _clear_staging(upload: Upload) -> None:
    UploadRow.objects.filter(upload=upload).delete()
    UploadError.objects.filter(upload=upload).delete()
