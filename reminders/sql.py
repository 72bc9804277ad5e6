"""SQL the set-based paths of reminders share (uploads, bulk bill writes): names quoted for the
database in use, values prepared as Django would, and INSERT ... SELECT built from a model.

Django's ORM has no INSERT ... SELECT and no data-modifying WITH; these few helpers build
exactly those statements from the models' own metadata, so a renamed field follows.
"""

from django.db import connection


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def table(model) -> str:
    return quote(model._meta.db_table)


def column(model, field: str) -> str:
    return quote(model._meta.get_field(field).column)


def json_object(**pairs: str) -> str:
    """SQL building a JSON object from column expressions (``key=expression``)."""
    function = "jsonb_build_object" if connection.vendor == "postgresql" else "json_object"
    return f"{function}(" + ", ".join(f"'{key}', {expression}" for key, expression in pairs.items()) + ")"


def db_value(model, field: str, value):
    return model._meta.get_field(field).get_db_prep_save(value, connection)


def execute(sql: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def insert_select(model, expressions: dict[str, tuple[str, list]], source: str,
                   source_params: list) -> tuple[str, list]:
    """INSERT INTO model SELECT ..., with its parameters: ``expressions`` is SQL per field, others get their default."""
    columns, selects, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(quote(field.column))
        if field.name in expressions:
            sql, values = expressions[field.name]
            selects.append(sql)
            params.extend(values)
        elif field.has_default() or not field.null:
            selects.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
        else:
            selects.append("NULL")
    return (f"INSERT INTO {table(model)} ({', '.join(columns)}) SELECT {', '.join(selects)} {source}",
            params + source_params)

