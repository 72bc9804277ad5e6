"""Rows written by the thousand: ``COPY`` on PostgreSQL (psycopg's copy), ``executemany`` elsewhere.

Django's ``bulk_create`` builds a model instance for each row and prepares each field of it
in Python. Measured on a push batch of 200 bills (profile of ``push_bills``, PostgreSQL 15):
its timeline lines, delivery attempts, ledger entries and the sandbox's display and
notification rows spent 1.9 s of 4.1 s in ``bulk_create``, 0.9 s of it preparing values.
Delivery writes plain tuples instead, which COPY takes as they are. The values must be ready
for the database (aware datetimes, Decimal, str, int, bool, None; a foreign key as its id);
defaults are not applied.
"""

import json
from collections.abc import Iterable, Sequence

from django.db import connection

FEW = 20  # rows up to which one INSERT beats COPY on PostgreSQL


def insert_rows(model, fields: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Inserts ``rows`` (one value per name in ``fields``, in that order) into ``model``'s table."""
    rows = list(rows)
    if not rows:
        return
    table, model_fields, columns = _target(model, fields)
    rows = _ready(model_fields, rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(rows) > FEW:
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        elif connection.vendor == "postgresql":
            # A few rows (one API call's bill): one INSERT is one round trip, COPY two.
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {_marks(len(fields), len(rows))}",
                           [value for row in rows for value in row])
        else:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES {_marks(len(fields), 1)}", rows)


def insert_new_rows(model, fields: Sequence[str], rows: Sequence[Sequence], returning: Sequence[str]) -> list[tuple]:
    """Inserts each row of ``rows`` that no unique constraint of ``model`` refuses, and returns the
    ``returning`` columns of the rows inserted; a refused row is skipped, not an error, so the
    transaction goes on (``INSERT ... ON CONFLICT DO NOTHING RETURNING``, one statement per
    thousand rows or so)."""
    if not rows:
        return []
    table, model_fields, columns = _target(model, fields)
    returned = ", ".join(connection.ops.quote_name(model._meta.get_field(name).column) for name in returning)
    rows = _ready(model_fields, rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(rows) > FEW:
            # One array a column: a statement of a few parameters, however many rows (psycopg reads
            # a statement of 17,000 placeholders in Python, 90 ms for a batch of 1,000 bills).
            arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in model_fields)
            cursor.execute(f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays}) "
                           f"ON CONFLICT DO NOTHING RETURNING {returned}", [list(column) for column in zip(*rows)])
            return [tuple(row) for row in cursor.fetchall()]
        found: list[tuple] = []
        chunk = max(1, 30_000 // len(fields))  # below both databases' limit of parameters a statement
        for first in range(0, len(rows), chunk):
            part = rows[first:first + chunk]
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {_marks(len(fields), len(part))} "
                           f"ON CONFLICT DO NOTHING RETURNING {returned}", [value for row in part for value in row])
            found.extend(tuple(row) for row in cursor.fetchall())
        return found


def _target(model, fields: Sequence[str]) -> tuple[str, list, str]:
    """The table, the fields and the quoted column list an insert of ``fields`` names."""
    quote = connection.ops.quote_name
    model_fields = [model._meta.get_field(name) for name in fields]
    return quote(model._meta.db_table), model_fields, ", ".join(quote(field.column) for field in model_fields)


def _ready(model_fields: list, rows: Sequence[Sequence]) -> list:
    """The rows' values as the database in use takes them: on PostgreSQL as they are (JSON as
    text), elsewhere as Django stores each field (SQLite: datetimes in UTC text)."""
    if connection.vendor != "postgresql":
        return [[field.get_db_prep_save(value, connection) for field, value in zip(model_fields, row)]
                for row in rows]
    json_fields = [i for i, field in enumerate(model_fields) if field.get_internal_type() == "JSONField"]
    if not json_fields:
        return list(rows)
    ready = []
    for row in rows:
        row = list(row)
        for i in json_fields:
            if not isinstance(row[i], str):
                row[i] = json.dumps(row[i])
        ready.append(row)
    return ready


def _marks(width: int, count: int) -> str:
    """``(%s, %s, ...)`` for ``count`` rows of ``width`` values."""
    return ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * count)
