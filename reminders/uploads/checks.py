"""Set-based checks shared by validate and submit: problems between rows or against the
database, found by a few statements, never row by row."""

from __future__ import annotations

from django.db import connection
from django.db.models import Count

from billers.models import Registration
from reminders import sql
from reminders.models import Bill, BillStatus, Upload, UploadError, UploadRow
from reminders.uploads.rules import (
    ACTIVE_REMINDER,
    ENDED,
    MAX_COLUMN,
    MESSAGES,
    REFERENCE_USED,
    REPEATED_KEY,
    REPEATED_REFERENCE,
)


def _flag_repeats(upload: Upload, field: str, problem: str) -> int:
    """Marks each row whose ``field`` repeats an earlier still-clean row of the file; keeps the first."""
    rows, column = sql.table(UploadRow), sql.column(UploadRow, field)
    upload_col, row_col = sql.column(UploadRow, "upload"), sql.column(UploadRow, "row_number")
    problem_col = sql.column(UploadRow, "problem")
    first_col, id_col = sql.column(UploadRow, "first_row"), sql.column(UploadRow, "id")
    # One sort of the upload's rows finds the repeats; the update then touches only those,
    # by primary key. (Joining on the value instead lets the planner, with no statistics
    # yet on rows just copied in, scan the whole upload once per repeated value.) Byte
    # order groups equal values as well as the database's language collation does, and
    # PostgreSQL sorts by it several times faster.
    in_byte_order = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
    return sql.execute(
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
    rows, bills = sql.table(UploadRow), sql.table(Bill)
    upload_col, problem_col = sql.column(UploadRow, "upload"), sql.column(UploadRow, "problem")
    active = [sql.db_value(Bill, "status", status) for status in (
        BillStatus.PENDING_APPROVAL, BillStatus.RECEIVED, BillStatus.SCHEDULED, BillStatus.DISPLAYED)]
    placeholders = ", ".join(["%s"] * len(active))
    flagged = sql.execute(
        f"""
        UPDATE {rows} SET {problem_col} = %s
        WHERE {upload_col} = %s AND {problem_col} = '' AND EXISTS (
            SELECT 1 FROM {bills} AS bill
            WHERE bill.{sql.column(Bill, "registration")} = %s
              AND bill.{sql.column(Bill, "bill_key")} = {rows}.{sql.column(UploadRow, "bill_key")}
              AND bill.{sql.column(Bill, "status")} IN ({placeholders})
        )
        """,
        [ACTIVE_REMINDER, upload.pk, registration.pk, *active],
    )
    flagged += sql.execute(
        f"""
        UPDATE {rows} SET {problem_col} = %s
        WHERE {upload_col} = %s AND {problem_col} = '' AND {sql.column(UploadRow, "partner_reference_no")} IS NOT NULL
          AND EXISTS (
            SELECT 1 FROM {bills} AS bill
            WHERE bill.{sql.column(Bill, "company")} = %s
              AND bill.{sql.column(Bill, "partner_reference_no")}
                  = {rows}.{sql.column(UploadRow, "partner_reference_no")}
        )
        """,
        [REFERENCE_USED, upload.pk, upload.company_id],
    )
    if now is not None:
        flagged += sql.execute(
            f"UPDATE {rows} SET {problem_col} = %s WHERE {upload_col} = %s AND {problem_col} = '' "
            f"AND {sql.column(UploadRow, 'end_at')} <= %s",
            [ENDED, upload.pk, sql.db_value(UploadRow, "end_at", now)],
        )
    return flagged


def _record_flagged(upload: Upload, problems: tuple[str, ...]) -> None:
    """One error line per flagged row not reported yet, written by the database itself."""
    rows, errors = sql.table(UploadRow), sql.table(UploadError)
    columns = upload.columns or {}
    key_header = columns.get("bill_key", "bill_key")
    reference_header = columns.get("partner_reference_no", "partner_reference_no")
    end_header = columns.get("end_date", "end_date")
    row = lambda field: f"staged.{sql.column(UploadRow, field)}"  # noqa: E731
    end_shown = (
        f"to_char({row('end_at')} AT TIME ZONE 'Asia/Jakarta', 'DD/MM/YYYY HH24:MI') || ' WIB'"
        if connection.vendor == "postgresql"
        else f"strftime('%%d/%%m/%%Y %%H:%%M', {row('end_at')}, '+7 hours') || ' WIB'"
    )
    shapes = {
        REPEATED_KEY: (key_header, row("bill_key"), sql.json_object(key=row("bill_key"), first=row("first_row"))),
        REPEATED_REFERENCE: (reference_header, row("partner_reference_no"),
                             sql.json_object(reference=row("partner_reference_no"), first=row("first_row"))),
        ACTIVE_REMINDER: (key_header, row("bill_key"), sql.json_object(key=row("bill_key"))),
        REFERENCE_USED: (reference_header, row("partner_reference_no"),
                         sql.json_object(reference=row("partner_reference_no"))),
        ENDED: (end_header, end_shown, sql.json_object(end=end_shown)),
    }
    error_columns = ", ".join(sql.column(UploadError, f) for f in
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
    sql.execute(
        f"""
        INSERT INTO {errors} ({error_columns})
        SELECT %s, {row('row_number')}, {column_sql}, {value_sql}, {row('problem')}, {message_sql}, {params_sql}
        FROM {rows} AS staged
        WHERE {row('upload')} = %s AND {row('problem')} IN ({", ".join(["%s"] * len(problems))}) AND NOT EXISTS (
            SELECT 1 FROM {errors} AS reported
            WHERE reported.{sql.column(UploadError, 'upload')} = %s
              AND reported.{sql.column(UploadError, 'row_number')} = {row('row_number')}
              AND reported.{sql.column(UploadError, 'code')} = {row('problem')}
        )
        """,
        [upload.pk, *column_params, *value_params, *message_params, *params_params, upload.pk, *problems, upload.pk],
    )


def _problem_counts(upload: Upload) -> dict[str, int]:
    return dict(UploadRow.objects.filter(upload=upload).values_list("problem").annotate(n=Count("id"))
                .values_list("problem", "n"))
