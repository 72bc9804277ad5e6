"""Model instances from one hand-written SELECT, for the look-ups on the Open API's hot path.

Building a query through the ORM can cost more than running it. Measured on signed creates
(1,000 calls in one process under cProfile, PostgreSQL 15), the two look-ups every call
makes, its token with credential and company and its biller code's registration, took
4.9 s of the calls' 10.3 s, most of it compiling SQL. These helpers let such a look-up name
every column of a few joined models by hand and build the instances as the ORM would, with
the same converters (SQLite returns naive datetimes and integers for booleans), so the
instances behave exactly like ``select_related`` ones.
"""

from functools import cache

from django.db import connection


def columns(model, alias: str) -> str:
    """Every concrete column of ``model`` as ``alias.column``, in field order."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields)


def width(model) -> int:
    return len(model._meta.concrete_fields)


@cache
def _converters(model, vendor: str) -> tuple:
    found = []
    for field in model._meta.concrete_fields:
        column = field.get_col(model._meta.db_table)
        convert = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        found.append((column, tuple(convert)))
    return tuple(found)


def build(model, values):
    """An instance of ``model`` from its columns' values as ``columns`` selected them."""
    converted = []
    for value, (column, convert) in zip(values, _converters(model, connection.vendor)):
        for function in convert:
            value = function(value, column, connection)
        converted.append(value)
    return model.from_db(connection.alias, [field.attname for field in model._meta.concrete_fields], converted)


def fetch_one(sql: str, params: list, models: list) -> list | None:
    """The first row of ``sql`` (selecting ``columns`` of each of ``models`` in turn) as one
    instance of each, or None."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    instances, start = [], 0
    for model in models:
        instances.append(build(model, row[start:start + width(model)]))
        start += width(model)
    return instances
