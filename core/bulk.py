"""Rows written by the thousand: ``COPY`` on PostgreSQL (psycopg's copy), ``executemany`` elsewhere.

Django's ``bulk_create`` builds a model instance for each row and prepares each field of it
in Python. Measured on a push batch of 200 bills (profile of ``push_bills``, PostgreSQL 15):
its timeline lines, delivery attempts, ledger entries and the sandbox's display and
notification rows spent 1.9 s of 4.1 s in ``bulk_create``, 0.9 s of it preparing values.
Delivery writes plain tuples instead, which COPY takes as they are. The values must be ready
for the database (aware datetimes, Decimal, str, int, bool, None; a foreign key as its id);
defaults are not applied.
"""

from collections.abc import Iterable, Sequence

from django.db import connection


def insert_rows(model, fields: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Inserts ``rows`` (one value per name in ``fields``, in that order) into ``model``'s table."""
    rows = list(rows)
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    model_fields = [model._meta.get_field(name) for name in fields]
    columns = ", ".join(quote(field.column) for field in model_fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            # Other databases get each value as Django stores it (SQLite: datetimes in UTC text).
            marks = ", ".join(["%s"] * len(fields))
            prepared = [[field.get_db_prep_save(value, connection) for field, value in zip(model_fields, row)]
                        for row in rows]
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", prepared)
