"""Migration operations that make a table append-only in the database itself, and keep it so."""

from django.db.migrations.operations.base import Operation

SQLITE_OVERRIDE_TABLE = "kopra_append_only_override"


def _sqlite_triggers(schema_editor, table: str) -> None:
    # SQLite has no TRUNCATE that skips triggers (PostgreSQL's flush uses it), so a row in
    # this table, written only by test teardown, lets a flush through.
    schema_editor.execute(f"CREATE TABLE IF NOT EXISTS {SQLITE_OVERRIDE_TABLE} (reason TEXT)")
    for op in ("UPDATE", "DELETE"):
        schema_editor.execute(f"""
            CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table}
            WHEN NOT EXISTS (SELECT 1 FROM {SQLITE_OVERRIDE_TABLE})
            BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END;
        """)


class _AppendOnlyOperation(Operation):
    """Changes the database, never the models' state."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, model_name: str):
        self.model_name = model_name

    def state_forwards(self, app_label, state):
        pass

    def _table(self, app_label, state):
        return state.apps.get_model(app_label, self.model_name)._meta.db_table


class MakeAppendOnly(_AppendOnlyOperation):
    """Refuses UPDATE and DELETE on ``model_name``'s table with triggers.

    PostgreSQL and SQLite both get triggers, so the protection holds on the embedded
    default too. (PostgreSQL's TRUNCATE bypasses row triggers; production also revokes
    it from the application role, see the README's Operations section.)
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        table = self._table(app_label, to_state)
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(f"""
                CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
                BEGIN
                    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
                END;
                $$ LANGUAGE plpgsql;
            """, None)  # no params: the % signs belong to plpgsql
            schema_editor.execute(f"""
                CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION {table}_append_only();
            """)
        elif vendor == "sqlite":
            _sqlite_triggers(schema_editor, table)
        else:
            raise NotImplementedError(f"No append-only guard for {vendor}.")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        table = self._table(app_label, from_state)
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table};")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_append_only();")
        elif vendor == "sqlite":
            for op in ("update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op};")

    def describe(self):
        return f"Make {self.model_name} append-only"


class KeepAppendOnly(_AppendOnlyOperation):
    """Puts back the append-only triggers of ``model_name`` that SQLite lost (a no-op elsewhere).

    SQLite alters a column by building the table anew, and a table built anew has none of
    the old one's triggers; PostgreSQL keeps them. Place it after an operation that alters
    an append-only table, and before it too, so that unapplying the migration restores them.
    """

    def _restore(self, app_label, schema_editor, state):
        if schema_editor.connection.vendor == "sqlite":
            _sqlite_triggers(schema_editor, self._table(app_label, state))

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._restore(app_label, schema_editor, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._restore(app_label, schema_editor, to_state)

    def describe(self):
        return f"Keep {self.model_name} append-only"
