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

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import tempfile
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from billers.approvals import ensure_can_approve
from billers.models import Registration, Role, User
from core.audit import audit_record
from core.errors import Conflict, DomainError, InsufficientQuota, InvalidInput, NotAllowed
from fileformat import CellError, FileRefused, RowChecker, check_filename, open_upload
from fileformat.error_file import error_file_rows, row_error_text
from fileformat.readers import UploadRows
from quota.selectors import quota_available
from quota.services import quota_release, quota_reserve
from reminders.models import Bill, BillEvent, BillSource, BillStatus, Upload, UploadError, UploadRow, translated
from reminders.services import registration_accepts_bills

log = logging.getLogger(__name__)

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


# --- Receive ----------------------------------------------------------------------------


def _ensure_maker(actor: User, company_id: int) -> None:
    if actor is None or actor.company_id != company_id or not actor.has_role(Role.MAKER):
        raise NotAllowed(_("Only a maker of the company can do this."))


def upload_receive(*, registration: Registration, uploaded_file, actor: User, request=None) -> Upload:
    """Checks the file's name and size, stores and hashes it, and queues it to be read.

    A bad name, an extension other than .csv/.xlsx or a file over the size limit is
    refused here (``InvalidInput``) and nothing is stored.
    """
    _ensure_maker(actor, registration.company_id)
    registration_accepts_bills(registration)
    name = getattr(uploaded_file, "name", "") or ""
    _max_rows, max_bytes = upload_limits()
    try:
        check_filename(name)
        size = uploaded_file.size
        if size > max_bytes:
            raise FileRefused(
                "too_large", gettext_noop("The file is %(size)s; the limit is %(limit)s."),
                size=_megabytes(size), limit=_megabytes(max_bytes),
            )
        if size == 0:
            raise FileRefused("empty", gettext_noop("The file is empty."))
    except FileRefused as refusal:
        raise InvalidInput(_translated_refusal(refusal), field="file", code=refusal.code) from None

    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    sha256 = digest.hexdigest()
    now = timezone.now()
    same_file = (
        Upload.objects.filter(company_id=registration.company_id, sha256=sha256, created_at__gte=now - SAME_FILE_WINDOW)
        .order_by("-created_at", "-id")
        .first()
    )
    upload = Upload(
        company_id=registration.company_id, registration=registration, original_name=name, size=size,
        sha256=sha256, uploaded_by=actor, duplicate_of=same_file, created_at=now, lease_until=now + upload_lease(),
    )
    upload.file.save(name, uploaded_file, save=False)
    try:
        with transaction.atomic():
            upload.save()
            audit_record(
                action="upload.received", actor=actor, company=registration.company, request=request, obj=upload,
                sentence=f"{actor} uploaded {name} ({_megabytes(size)}) for {registration.code}"
                         + (f", the same file as upload #{same_file.pk}" if same_file else ""),
                details={"sha256": sha256, "size": size},
            )
            from reminders.tasks import validate_upload

            validate_upload.delay_on_commit(upload.pk)
    except BaseException:
        upload.file.delete(save=False)
        raise
    return upload


def _megabytes(size: int) -> str:
    return f"{size / 1024**2:,.1f} MB"


def _translated_refusal(refusal: FileRefused) -> str:
    return translated(_source_text(refusal.reason), _json_params(refusal.params))


# --- Validate ---------------------------------------------------------------------------


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
        with transaction.atomic():
            _lease_renew(self.upload_id, self.lease, rows_read=read)
            if valid:
                self._write(UploadRow, self.ROW_FIELDS, valid)
            if errors:
                self._write(UploadError, self.ERROR_FIELDS, errors)

    def _write(self, model, fields: tuple[str, ...], records: list[tuple]) -> None:
        table = _table(model)
        columns = ", ".join(_col(model, _field_name(f)) for f in fields)
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
    with transaction.atomic():
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
            _execute("SET LOCAL work_mem = '256MB'", [])
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
            sentence=f"Upload #{upload.pk} ({upload.original_name}) checked: {read} rows, {upload.valid_rows} valid, "
                     f"{upload.invalid_rows} invalid, {upload.duplicate_rows} repeated, "
                     f"{upload.active_conflicts} with an active reminder",
        )
    return upload


def _refuse(upload: Upload, code: str, message: str, params: dict) -> Upload:
    """Ends the check ``refused`` and clears what it staged, unless another run took it over."""
    with transaction.atomic():
        moved = Upload.objects.filter(pk=upload.pk, status=Status.VALIDATING, lease_token=upload.lease_token).update(
            status=Status.REFUSED, refusal_code=code[:64], refusal_message=message, refusal_params=params,
            validated_at=timezone.now(),
        )
        upload = Upload.objects.select_related("company").get(pk=upload.pk)
        if moved:
            _clear_staging(upload)
            audit_record(action="upload.refused", actor=None, company=upload.company, obj=upload,
                         sentence=f"Upload #{upload.pk} ({upload.original_name}) refused: "
                                  f"{translated(message, params)}")
    return upload


def _clear_staging(upload: Upload) -> None:
    UploadRow.objects.filter(upload=upload).delete()
    UploadError.objects.filter(upload=upload).delete()


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
    return {"code": explained.code, "message": _source_text(explained.reason), "params": _json_params(explained.params)}


# --- Set-based checks (SQL shared by validate and submit) --------------------------------


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _table(model) -> str:
    return _q(model._meta.db_table)


def _col(model, field: str) -> str:
    return _q(model._meta.get_field(field).column)


def _json_object(**pairs: str) -> str:
    """SQL building a JSON object from column expressions (``key=expression``)."""
    function = "jsonb_build_object" if connection.vendor == "postgresql" else "json_object"
    return f"{function}(" + ", ".join(f"'{key}', {expression}" for key, expression in pairs.items()) + ")"


def _db_value(model, field: str, value):
    return model._meta.get_field(field).get_db_prep_save(value, connection)


def _execute(sql: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _flag_repeats(upload: Upload, field: str, problem: str) -> int:
    """Marks each row whose ``field`` repeats an earlier still-clean row of the file; keeps the first."""
    rows, column = _table(UploadRow), _col(UploadRow, field)
    upload_col, row_col = _col(UploadRow, "upload"), _col(UploadRow, "row_number")
    problem_col = _col(UploadRow, "problem")
    first_col, id_col = _col(UploadRow, "first_row"), _col(UploadRow, "id")
    # One sort of the upload's rows finds the repeats; the update then touches only those,
    # by primary key. (Joining on the value instead lets the planner, with no statistics
    # yet on rows just copied in, scan the whole upload once per repeated value.) Byte
    # order groups equal values as well as the database's language collation does, and
    # PostgreSQL sorts by it several times faster.
    in_byte_order = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
    return _execute(
        f"""
        UPDATE {rows} SET {problem_col} = %s, {first_col} = repeated.first_row
        FROM (
            SELECT id, first_row FROM (
                SELECT {id_col} AS id, {row_col} AS row_number,
                       MIN({row_col}) OVER (PARTITION BY {column}{in_byte_order}) AS first_row
                FROM {rows} WHERE {upload_col} = %s AND {problem_col} = '' AND {column} IS NOT NULL
            ) AS ranked
            WHERE row_number > first_row
        ) AS repeated
        WHERE {rows}.{id_col} = repeated.id
        """,
        [problem, upload.pk],
    )


def _flag_taken(upload: Upload, registration: Registration, *, now=None) -> int:
    """Marks clean rows whose bill key has an active reminder, whose reference is used, or (at submit) that ended."""
    rows, bills = _table(UploadRow), _table(Bill)
    upload_col, problem_col = _col(UploadRow, "upload"), _col(UploadRow, "problem")
    active = [_db_value(Bill, "status", status) for status in (
        BillStatus.PENDING_APPROVAL, BillStatus.RECEIVED, BillStatus.SCHEDULED, BillStatus.DISPLAYED)]
    placeholders = ", ".join(["%s"] * len(active))
    flagged = _execute(
        f"""
        UPDATE {rows} SET {problem_col} = %s
        WHERE {upload_col} = %s AND {problem_col} = '' AND EXISTS (
            SELECT 1 FROM {bills} AS bill
            WHERE bill.{_col(Bill, "registration")} = %s
              AND bill.{_col(Bill, "bill_key")} = {rows}.{_col(UploadRow, "bill_key")}
              AND bill.{_col(Bill, "status")} IN ({placeholders})
        )
        """,
        [ACTIVE_REMINDER, upload.pk, registration.pk, *active],
    )
    flagged += _execute(
        f"""
        UPDATE {rows} SET {problem_col} = %s
        WHERE {upload_col} = %s AND {problem_col} = '' AND {_col(UploadRow, "partner_reference_no")} IS NOT NULL
          AND EXISTS (
            SELECT 1 FROM {bills} AS bill
            WHERE bill.{_col(Bill, "company")} = %s
              AND bill.{_col(Bill, "partner_reference_no")} = {rows}.{_col(UploadRow, "partner_reference_no")}
        )
        """,
        [REFERENCE_USED, upload.pk, upload.company_id],
    )
    if now is not None:
        flagged += _execute(
            f"UPDATE {rows} SET {problem_col} = %s WHERE {upload_col} = %s AND {problem_col} = '' "
            f"AND {_col(UploadRow, 'end_at')} <= %s",
            [ENDED, upload.pk, _db_value(UploadRow, "end_at", now)],
        )
    return flagged


def _record_flagged(upload: Upload, problems: tuple[str, ...]) -> None:
    """One error line per flagged row not reported yet, written by the database itself."""
    rows, errors = _table(UploadRow), _table(UploadError)
    columns = upload.columns or {}
    key_header = columns.get("bill_key", "bill_key")
    reference_header = columns.get("partner_reference_no", "partner_reference_no")
    end_header = columns.get("end_date", "end_date")
    row = lambda field: f"staged.{_col(UploadRow, field)}"  # noqa: E731
    end_shown = (
        f"to_char({row('end_at')} AT TIME ZONE 'Asia/Jakarta', 'DD/MM/YYYY HH24:MI') || ' WIB'"
        if connection.vendor == "postgresql"
        else f"strftime('%%d/%%m/%%Y %%H:%%M', {row('end_at')}, '+7 hours') || ' WIB'"
    )
    shapes = {
        REPEATED_KEY: (key_header, row("bill_key"), _json_object(key=row("bill_key"), first=row("first_row"))),
        REPEATED_REFERENCE: (reference_header, row("partner_reference_no"),
                             _json_object(reference=row("partner_reference_no"), first=row("first_row"))),
        ACTIVE_REMINDER: (key_header, row("bill_key"), _json_object(key=row("bill_key"))),
        REFERENCE_USED: (reference_header, row("partner_reference_no"),
                         _json_object(reference=row("partner_reference_no"))),
        ENDED: (end_header, end_shown, _json_object(end=end_shown)),
    }
    error_columns = ", ".join(_col(UploadError, f) for f in
                              ("upload", "row_number", "column", "value", "code", "message", "params"))
    # One statement for every problem: the upload's rows are read once, not once per problem.
    def case(branch) -> tuple[str, list]:
        """CASE on the row's problem; ``branch(problem)`` gives that problem's SQL and parameters."""
        whens, params = [], []
        for problem in problems:
            sql, values = branch(problem)
            whens.append(f"WHEN %s THEN {sql}")
            params += [problem, *values]
        return f"CASE {row('problem')} {' '.join(whens)} END", params

    column_sql, column_params = case(lambda problem: ("%s", [shapes[problem][0][:MAX_COLUMN]]))
    value_sql, value_params = case(lambda problem: (shapes[problem][1], []))
    message_sql, message_params = case(lambda problem: ("%s", [MESSAGES[problem]]))
    params_sql, params_params = case(lambda problem: (shapes[problem][2], []))
    _execute(
        f"""
        INSERT INTO {errors} ({error_columns})
        SELECT %s, {row('row_number')}, {column_sql}, {value_sql}, {row('problem')}, {message_sql}, {params_sql}
        FROM {rows} AS staged
        WHERE {row('upload')} = %s AND {row('problem')} IN ({", ".join(["%s"] * len(problems))}) AND NOT EXISTS (
            SELECT 1 FROM {errors} AS reported
            WHERE reported.{_col(UploadError, 'upload')} = %s
              AND reported.{_col(UploadError, 'row_number')} = {row('row_number')}
              AND reported.{_col(UploadError, 'code')} = {row('problem')}
        )
        """,
        [upload.pk, *column_params, *value_params, *message_params, *params_params, upload.pk, *problems, upload.pk],
    )


def _problem_counts(upload: Upload) -> dict[str, int]:
    return dict(UploadRow.objects.filter(upload=upload).values_list("problem").annotate(n=Count("id"))
                .values_list("problem", "n"))


# --- Submit, approve, reject, discard -----------------------------------------------------


def _locked(upload: Upload, *statuses: str, action: str) -> Upload:
    """The upload, locked, if it is in one of ``statuses`` and no other decision is under way."""
    upload = (Upload.objects.select_for_update(of=("self",))
              .select_related("registration__biller_code", "company", "submitted_by", "uploaded_by")
              .get(pk=upload.pk))
    if upload.working_on and upload.working_on != action:
        raise Conflict(_("Upload #%(id)s is already being worked on; try again in a moment.") % {"id": upload.pk})
    if upload.status not in statuses:
        raise Conflict(_("Upload #%(id)s is %(status)s.") % {"id": upload.pk,
                                                              "status": upload.get_status_display().lower()})
    return upload


def _quota_short(registration: Registration, needed: int, available: int) -> InsufficientQuota:
    available = max(available, 0)
    missing = needed - available
    return InsufficientQuota(
        ngettext("Not enough quota for %(code)s (needed: %(needed)s, available: %(available)s): top up at least "
                 "%(missing)s push before you submit.",
                 "Not enough quota for %(code)s (needed: %(needed)s, available: %(available)s): top up at least "
                 "%(missing)s pushes before you submit.", missing)
        % {"code": registration.code, "needed": number_format(needed, force_grouping=True),
           "available": number_format(available, force_grouping=True),
           "missing": number_format(missing, force_grouping=True)},
    )


def upload_submit(*, upload: Upload, actor: User, request=None) -> Upload:
    """The maker sends the valid rows: bills created in bulk, N quota units reserved at once.

    Where the company approves uploads the bills wait in PENDING_APPROVAL for an approver.
    Rows whose bill key gained an active reminder (or whose reference got used, or whose
    end passed) since the check are skipped and reported. Refused, with nothing created,
    while the quota is short.
    """
    with transaction.atomic():
        upload = _locked(upload, Status.VALIDATED, action="submit")
        _ensure_maker(actor, upload.company_id)
        registration = upload.registration
        registration_accepts_bills(registration)
        now = timezone.now()
        skipped = _flag_taken(upload, registration, now=now)
        if skipped:
            _record_flagged(upload, (ACTIVE_REMINDER, REFERENCE_USED, ENDED))
        ready = UploadRow.objects.filter(upload=upload, problem="").count()
        if not ready:
            raise Conflict(_("No row of this upload can be sent: fix the rows in the error file and upload it again."))
        available = quota_available(registration)
        if available < ready:
            raise _quota_short(registration, ready, available)
        needs_approval = upload.company.approval_for_upload
        status = BillStatus.PENDING_APPROVAL if needs_approval else BillStatus.RECEIVED
        try:
            with transaction.atomic():
                created = _insert_bills(upload, registration, status=status, actor=actor, now=now)
        except IntegrityError:
            # A bill with one of these keys or references was created after the check above.
            raise Conflict(_("Some bills of this upload were created elsewhere meanwhile; submit it again.")) from None
        # Booked last: the reservation locks the code's quota account, and holding that lock
        # through a bulk insert would stall every API bill of the code meanwhile. If quota
        # was spent since the check above, this refuses and the whole submit rolls back.
        quota_reserve(registration=registration, units=created, reference=f"upload:{upload.pk}", actor=actor)
        upload.status = Status.PENDING_APPROVAL if needs_approval else Status.SUBMITTED
        upload.submitted_by, upload.submitted_at = actor, now
        upload.bills_created, upload.skipped_at_submit = created, skipped
        upload.working_on = upload.decision_error = ""
        upload.save(update_fields=["status", "submitted_by", "submitted_at", "bills_created", "skipped_at_submit",
                                   "working_on", "decision_error"])
        audit_record(
            action="upload.submitted", actor=actor, company=upload.company, request=request, obj=upload,
            sentence=f"{actor} submitted upload #{upload.pk} ({upload.original_name}): {created} bills for "
                     f"{registration.code}, {created} pushes reserved"
                     + (f", {skipped} rows skipped" if skipped else "")
                     + (", waiting for approval" if needs_approval else ""),
            details={"bills": created, "skipped": skipped},
        )
        from reminders.tasks import purge_upload_rows

        purge_upload_rows.delay_on_commit(upload.pk)
    return upload


def _insert_select(model, expressions: dict[str, tuple[str, list]], source: str,
                   source_params: list) -> tuple[str, list]:
    """INSERT INTO model SELECT ..., with its parameters: ``expressions`` is SQL per field, others get their default."""
    columns, selects, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(_q(field.column))
        if field.name in expressions:
            sql, values = expressions[field.name]
            selects.append(sql)
            params.extend(values)
        elif field.has_default() or not field.null:
            selects.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
        else:
            selects.append("NULL")
    return (f"INSERT INTO {_table(model)} ({', '.join(columns)}) SELECT {', '.join(selects)} {source}",
            params + source_params)


def _insert_bills(upload: Upload, registration: Registration, *, status: str, actor: User, now) -> int:
    """The upload's clean rows as bills, each with its first timeline line; returns how many.

    On PostgreSQL one statement writes both: the events are made from the ids the bill
    insert returns, instead of reading a million new bills back through the upload's index.
    """
    row = lambda field: f"staged.{_col(UploadRow, field)}"  # noqa: E731
    # The staged row's id makes each reference unique without a lookup: "U" + 11 hex digits
    # never equals the 12 hex digits of new_reference_no().
    prefix = now.strftime("%y%m%d%H%M%S") + "U"
    if connection.vendor == "postgresql":
        reference = f"%s || lpad(upper(to_hex({row('id')})), 11, '0')"
    else:
        reference = f"%s || printf('%%011X', {row('id')})"
    at = _db_value(Bill, "created_at", now)
    copied = {field: (row(field), []) for field in (
        "bill_key", "payer_phone", "payer_name", "amount", "description", "start_at", "end_at",
        "partner_reference_no")}
    bills_sql, bills_params = _insert_select(
        Bill,
        {
            **copied,
            "reference_no": (reference, [prefix]),
            "company": ("%s", [upload.company_id]),
            "registration": ("%s", [registration.pk]),
            "status": ("%s", [status]),
            "source": ("%s", [BillSource.UPLOAD.value]),
            "upload": ("%s", [upload.pk]),
            "created_by": ("%s", [actor.pk]),
            "created_at": ("%s", [at]),
            "updated_at": ("%s", [at]),
            "livin_user": ("NULL", []),
        },
        f"FROM {_table(UploadRow)} AS staged WHERE {row('upload')} = %s AND {row('problem')} = ''",
        [upload.pk],
    )
    if connection.vendor == "postgresql":
        events_sql, events_params = _received_events(upload, status=status, actor=actor, now=now,
                                                     source="FROM created AS bill", source_params=[])
        return _execute(f"WITH created AS ({bills_sql} RETURNING {_col(Bill, 'id')}) {events_sql}",
                        bills_params + events_params)
    # SQLite: one writer at a time, so the upload's bills in this status are the ones just made.
    created = _execute(bills_sql, bills_params)
    _execute(*_received_events(
        upload, status=status, actor=actor, now=now,
        source=f"FROM {_table(Bill)} AS bill WHERE bill.{_col(Bill, 'upload')} = %s "
               f"AND bill.{_col(Bill, 'status')} = %s",
        source_params=[upload.pk, status],
    ))
    return created


def _received_events(upload: Upload, *, status: str, actor: User, now, source: str,
                     source_params: list) -> tuple[str, list]:
    """INSERT of the "received" event of each bill that ``source`` selects as ``bill``."""
    return _insert_select(
        BillEvent,
        {
            "bill": (f"bill.{_col(Bill, 'id')}", []),
            "at": ("%s", [_db_value(BillEvent, "at", now)]),
            "from_status": ("''", []),
            "to_status": ("%s", [status]),
            "actor": ("%s", [actor.pk]),
            "actor_label": ("%s", [str(actor)]),
            "reason": ("%s", [f"Received through {BillSource.UPLOAD.label} (upload #{upload.pk})"]),
        },
        source,
        source_params,
    )


def _move_pending_bills(upload: Upload, *, to_status: str, actor: User, reason: str, now) -> int:
    """Moves the upload's bills still waiting for approval to ``to_status``, each with its timeline line."""
    bills, events = _table(Bill), _table(BillEvent)
    pending = BillStatus.PENDING_APPROVAL
    event_columns = [_col(BillEvent, f) for f in ("bill", "at", "from_status", "to_status", "actor", "actor_label",
                                                  "reason")]
    event_values = [_db_value(BillEvent, "at", now), pending, to_status, actor.pk, str(actor), reason]
    if connection.vendor == "postgresql":
        # One statement: the rows moved are exactly the rows that get an event.
        return _execute(
            f"""
            WITH moved AS (
                UPDATE {bills} SET {_col(Bill, "status")} = %s, {_col(Bill, "updated_at")} = %s
                WHERE {_col(Bill, "upload")} = %s AND {_col(Bill, "status")} = %s RETURNING {_col(Bill, "id")}
            )
            INSERT INTO {events} ({", ".join(event_columns)})
            SELECT {_col(Bill, "id")}, %s, %s, %s, %s, %s, %s FROM moved
            """,
            [to_status, _db_value(Bill, "updated_at", now), upload.pk, pending, *event_values],
        )
    # SQLite: one writer at a time, so nothing moves these bills between the two statements.
    _execute(
        f"""
        INSERT INTO {events} ({", ".join(event_columns)})
        SELECT {_col(Bill, "id")}, %s, %s, %s, %s, %s, %s FROM {bills}
        WHERE {_col(Bill, "upload")} = %s AND {_col(Bill, "status")} = %s
        """,
        [*event_values, upload.pk, pending],
    )
    return Bill.objects.filter(upload=upload, status=pending).update(status=to_status, updated_at=now)


def _ensure_approver(upload: Upload, approver: User) -> None:
    # Four eyes: neither the maker who sent the rows nor the one who uploaded the file.
    ensure_can_approve(requested_by=upload.submitted_by, approver=approver)
    if upload.uploaded_by_id != upload.submitted_by_id:
        ensure_can_approve(requested_by=upload.uploaded_by, approver=approver)


def upload_approve(*, upload: Upload, approver: User, request=None) -> Upload:
    """An approver other than the maker releases the upload's bills: PENDING_APPROVAL -> RECEIVED."""
    with transaction.atomic():
        upload = _locked(upload, Status.PENDING_APPROVAL, action="approve")
        _ensure_approver(upload, approver)
        registration_accepts_bills(upload.registration)
        now = timezone.now()
        moved = _move_pending_bills(upload, to_status=BillStatus.RECEIVED, actor=approver, now=now,
                                    reason=f"Upload #{upload.pk} approved")
        upload.status, upload.approved_by, upload.approved_at = Status.SUBMITTED, approver, now
        upload.working_on = upload.decision_error = ""
        upload.save(update_fields=["status", "approved_by", "approved_at", "working_on", "decision_error"])
        audit_record(action="upload.approved", actor=approver, company=upload.company, request=request, obj=upload,
                     sentence=f"{approver} approved upload #{upload.pk} of {upload.submitted_by}: "
                              f"{moved} bills for {upload.registration.code}")
    return upload


def upload_reject(*, upload: Upload, approver: User, reason: str = "", request=None) -> Upload:
    """An approver other than the maker turns the upload down: its bills are cancelled, their quota released."""
    with transaction.atomic():
        upload = _locked(upload, Status.PENDING_APPROVAL, action="reject")
        _ensure_approver(upload, approver)
        reason = (reason or "").strip()[:200]
        now = timezone.now()
        cancelled = _cancel_pending(upload, actor=approver, now=now,
                                    reason=f"Upload #{upload.pk} rejected" + (f": {reason}" if reason else ""))
        upload.status, upload.rejected_by, upload.rejected_at = Status.REJECTED, approver, now
        upload.rejection_reason = reason
        upload.working_on = upload.decision_error = ""
        upload.save(update_fields=["status", "rejected_by", "rejected_at", "rejection_reason", "working_on",
                                   "decision_error"])
        audit_record(action="upload.rejected", actor=approver, company=upload.company, request=request, obj=upload,
                     sentence=f"{approver} rejected upload #{upload.pk} of {upload.submitted_by}: {cancelled} bills "
                              f"cancelled" + (f" ({reason})" if reason else ""))
    return upload


def _cancel_pending(upload: Upload, *, actor: User, now, reason: str) -> int:
    cancelled = _move_pending_bills(upload, to_status=BillStatus.CANCELLED, actor=actor, now=now, reason=reason)
    if cancelled:
        # The counterpart of the upload's one reservation, for the bills nobody cancelled one by one.
        quota_release(registration=upload.registration, units=cancelled, reference=f"upload:{upload.pk}", actor=actor)
    return cancelled


def upload_discard(*, upload: Upload, actor: User, request=None) -> Upload:
    """The maker drops a checked upload; one waiting for approval is withdrawn (bills cancelled, quota released)."""
    with transaction.atomic():
        upload = _locked(upload, Status.VALIDATED, Status.PENDING_APPROVAL, action="discard")
        _ensure_maker(actor, upload.company_id)
        cancelled = 0
        if upload.status == Status.PENDING_APPROVAL:
            cancelled = _cancel_pending(upload, actor=actor, now=timezone.now(),
                                        reason=f"Upload #{upload.pk} withdrawn by the maker")
        _discarded(upload, actor=actor, request=request,
                   sentence=f"{actor} discarded upload #{upload.pk} ({upload.original_name})"
                            + (f": {cancelled} waiting bills cancelled" if cancelled else ""))
    return upload


def _discarded(upload: Upload, *, actor: User | None, sentence: str, request=None) -> None:
    """Ends the locked ``upload`` discarded, audited, its staged rows purged after the commit."""
    upload.status = Status.DISCARDED
    upload.working_on = upload.decision_error = ""
    upload.save(update_fields=["status", "working_on", "decision_error"])
    audit_record(action="upload.discarded", actor=actor, company=upload.company, request=request, obj=upload,
                 sentence=sentence)
    from reminders.tasks import purge_upload_rows

    purge_upload_rows.delay_on_commit(upload.pk)


# Who may ask for each decision, and on which statuses; the worker then calls the service.
DECISIONS = {
    "submit": (Status.VALIDATED,),
    "approve": (Status.PENDING_APPROVAL,),
    "reject": (Status.PENDING_APPROVAL,),
    "discard": (Status.VALIDATED, Status.PENDING_APPROVAL),
}


def upload_decide(*, upload: Upload, action: str, actor: User, reason: str = "", request=None) -> Upload:
    """Checks at once that ``actor`` may ``action`` the upload now, then has the worker carry it out.

    Everything that can refuse cheaply is checked here, so the console answers at once:
    role, status, four eyes, and for a submit the quota (with the numbers). The work itself
    (moving up to a million rows) runs in ``reminders.decide_upload``; the report shows
    it under way and, if it was refused there after all, why.
    """
    if action not in DECISIONS:
        raise InvalidInput(_("Unknown action."))
    with transaction.atomic():
        upload = _locked(upload, *DECISIONS[action], action="")
        if action in ("submit", "discard"):
            _ensure_maker(actor, upload.company_id)
        else:
            _ensure_approver(upload, actor)
        if action == "submit":
            registration_accepts_bills(upload.registration)
            ready = UploadRow.objects.filter(upload=upload, problem="").count()
            if not ready:
                raise Conflict(_("No row of this upload can be sent: fix the rows in the error file and upload it "
                                 "again."))
            available = quota_available(upload.registration)
            if available < ready:
                raise _quota_short(upload.registration, ready, available)
        elif action == "approve":
            registration_accepts_bills(upload.registration)
        upload.working_on, upload.decision_error = action, ""
        upload.working_by, upload.working_reason = actor, (reason or "").strip()[:200]
        upload.lease_until = timezone.now() + upload_lease()
        upload.save(update_fields=["working_on", "decision_error", "working_by", "working_reason", "lease_until"])
        audit_record(action=f"upload.{action}_requested", actor=actor, company=upload.company, request=request,
                     obj=upload, sentence=f"{actor} asked to {action} upload #{upload.pk} ({upload.original_name})")
        from reminders.tasks import decide_upload

        decide_upload.delay_on_commit(upload.pk, action, actor.pk, reason)
    return upload


def upload_decision_carry_out(*, upload_id: int, action: str, actor_id: int, reason: str = "") -> Upload | None:
    """The worker's side of ``upload_decide``: runs the service; a refusal is kept on the upload for the report."""
    upload = Upload.objects.filter(pk=upload_id, working_on=action).first()
    if upload is None:
        return None  # carried out already (a redelivered task), or never asked
    actor = User.objects.get(pk=actor_id)
    try:
        if action == "submit":
            return upload_submit(upload=upload, actor=actor)
        if action == "approve":
            return upload_approve(upload=upload, approver=actor)
        if action == "reject":
            return upload_reject(upload=upload, approver=actor, reason=reason)
        return upload_discard(upload=upload, actor=actor)
    except DomainError as refusal:
        Upload.objects.filter(pk=upload_id, working_on=action).update(working_on="", decision_error=refusal.message)
        return Upload.objects.get(pk=upload_id)
    except Exception:
        log.exception("upload %s: %s failed", upload_id, action)
        # Nothing was done (the service is one transaction): say so rather than look busy forever.
        Upload.objects.filter(pk=upload_id, working_on=action).update(
            working_on="", decision_error=translated(DECISION_FAILED, {}))
        raise


def upload_rows_purge(*, upload_id: int) -> int:
    """Empties the staging rows of an upload that no longer needs them (submitted, discarded)."""
    finished = (Status.SUBMITTED, Status.PENDING_APPROVAL, Status.DISCARDED, Status.REJECTED, Status.REFUSED)
    if not Upload.objects.filter(pk=upload_id, status__in=finished).exists():
        return 0
    deleted, _by_model = UploadRow.objects.filter(upload_id=upload_id).delete()
    return deleted


# --- Stalled work and retention -----------------------------------------------------------

FINISHED = (Status.REFUSED, Status.SUBMITTED, Status.DISCARDED, Status.REJECTED)


def upload_requeue_stalled(*, limit: int = 100) -> int:
    """Queues again each check or decision held past its lease: its task was lost or its worker died.

    A check goes back to ``queued`` (a run that was only slow stops at its next batch); a
    decision is queued again as asked, and its service refuses to do it twice. Returns how
    many uploads were queued again.
    """
    from reminders.tasks import decide_upload, validate_upload

    now = timezone.now()
    held = Q(status__in=(Status.QUEUED, Status.VALIDATING)) | ~Q(working_on="")
    with transaction.atomic():
        # A decision under way keeps its upload locked (PostgreSQL): skipped, not waited for.
        stalled = list(Upload.objects.filter(held).filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
                       .select_for_update(skip_locked=True).order_by("pk")
                       .only("pk", "status", "working_on", "working_by", "working_reason")[:limit])
        for upload in stalled:
            if upload.working_on and upload.working_by_id is None:
                # Asked before the asker was kept: it cannot be queued again, so say so.
                Upload.objects.filter(pk=upload.pk).update(working_on="",
                                                           decision_error=translated(DECISION_FAILED, {}))
                continue
            log.warning("upload %s: %s went quiet past its lease; queued again", upload.pk,
                        upload.working_on or "the check")
            if upload.working_on:
                Upload.objects.filter(pk=upload.pk).update(lease_until=now + upload_lease())
                decide_upload.delay_on_commit(upload.pk, upload.working_on, upload.working_by_id,
                                              upload.working_reason)
            else:
                Upload.objects.filter(pk=upload.pk).update(status=Status.QUEUED, lease_token="",
                                                           lease_until=now + upload_lease())
                validate_upload.delay_on_commit(upload.pk)
    return len(stalled)


def upload_files_expire(*, limit: int = 100) -> int:
    """Removes the stored file, problems and staged rows of finished uploads older than UPLOAD_RETENTION_DAYS.

    A checked upload never submitted within that time is discarded first. The upload stays with its totals
    (the report says the file is no longer kept), as do its bills; each removal is one audit line. Returns how many
    uploads were cleaned.
    """
    days = settings.UPLOAD_RETENTION_DAYS
    cutoff = timezone.now() - timedelta(days=days)
    _discard_unsent(cutoff=cutoff, days=days, limit=limit)
    due = Upload.objects.filter(status__in=FINISHED, created_at__lt=cutoff, files_removed_at__isnull=True)
    cleaned = 0
    for upload_id in due.order_by("created_at", "pk").values_list("pk", flat=True)[:limit]:
        cleaned += _upload_files_remove(upload_id, days=days)
    return cleaned


def _discard_unsent(*, cutoff, days: int, limit: int) -> None:
    """A checked upload nobody submitted within the retention is discarded, so its file goes too."""
    unsent = Upload.objects.filter(status=Status.VALIDATED, working_on="", created_at__lt=cutoff)
    for upload in unsent.order_by("created_at", "pk").only("pk")[:limit]:
        with transaction.atomic():
            try:
                upload = _locked(upload, Status.VALIDATED, action="")
            except Conflict:
                continue  # submitted, discarded or being decided meanwhile
            _discarded(upload, actor=None, sentence=f"Upload #{upload.pk} ({upload.original_name}) discarded: "
                                                    f"checked but not submitted within {days} days")


def _upload_files_remove(upload_id: int, *, days: int) -> bool:
    with transaction.atomic():
        upload = (Upload.objects.select_for_update(skip_locked=True).select_related("company")
                  .filter(pk=upload_id, files_removed_at__isnull=True).first())
        if upload is None:
            return False  # cleaned meanwhile by another run
        name = upload.file.name
        errors, _by_model = UploadError.objects.filter(upload=upload).delete()
        staged, _by_model = UploadRow.objects.filter(upload=upload).delete()
        Upload.objects.filter(pk=upload.pk).update(file="", files_removed_at=timezone.now())
        audit_record(
            action="upload.files_removed", actor=None, company=upload.company, obj=upload,
            sentence=f"Upload #{upload.pk} ({upload.original_name}): stored file, {errors} problems and {staged} "
                     f"staged rows removed, {days} days after the upload",
            details={"file": name, "problems": errors, "staged_rows": staged, "retention_days": days},
        )
        # Last, so a failure above leaves the file; a failed commit after it only means the
        # next run finds the upload again and finishes (deleting a missing file is no error).
        if name:
            upload.file.storage.delete(name)
    return True


# --- Reads for the report ---------------------------------------------------------------


def upload_errors(upload: Upload):
    """The upload's problems in file order."""
    return UploadError.objects.filter(upload=upload).order_by("row_number", "id")


class _ErrorsInFileOrder:
    """``errors_by_row`` for ``error_file_rows``, read in file order a page at a time (memory stays flat).

    Rows are asked for in increasing order, as the error file re-reads the upload.
    """

    PAGE = 2000

    def __init__(self, upload: Upload):
        self.upload = upload
        self.pending: deque[UploadError] = deque()
        self.after: tuple[int, int] = (-1, 0)
        self.exhausted = False

    def _more(self) -> None:
        row, pk = self.after
        page = list(upload_errors(self.upload).filter(Q(row_number__gt=row) | Q(row_number=row, id__gt=pk))
                    [: self.PAGE])
        if len(page) < self.PAGE:
            self.exhausted = True
        if page:
            self.after = (page[-1].row_number, page[-1].pk)
        self.pending.extend(page)

    def get(self, row_number: int, default=None):
        while True:
            while self.pending and self.pending[0].row_number < row_number:
                self.pending.popleft()
            if self.pending and self.pending[-1].row_number > row_number or self.exhausted:
                break
            self._more()
        found = []
        while self.pending and self.pending[0].row_number == row_number:
            found.append(self.pending.popleft())
        if not found:
            return default
        return row_error_text(_Shown(error.column, error.text) for error in found)


class _Shown:
    __slots__ = ("column", "message")

    def __init__(self, column: str, message: str):
        self.column, self.message = column, message


def upload_error_file_rows(upload: Upload) -> Iterator[list[str]]:
    """The header plus ``error``, then each row with a problem as written, its reasons in the active language.

    Raises ``FileRefused`` if the stored file can no longer be read.
    """
    max_rows, max_bytes = upload_limits()
    with _local_file(upload) as path, open_upload(
        path, filename=upload.original_name, max_rows=max(max_rows, upload.rows_total or 0), max_bytes=max(
            max_bytes, upload.size)) as rows:
        yield from error_file_rows(rows, _ErrorsInFileOrder(upload))
