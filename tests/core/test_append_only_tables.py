"""Every table made append-only stays so after all migrations, on SQLite and PostgreSQL alike
(SQLite builds a table anew to alter a column, without the old table's triggers)."""

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader

from core.migration_ops import MakeAppendOnly


def append_only_models() -> list[str]:
    """``app_label.Model`` of each MakeAppendOnly in the project's migrations."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted(f"{app_label}.{operation.model_name}"
                  for (app_label, _name), migration in loader.disk_migrations.items()
                  for operation in migration.operations if isinstance(operation, MakeAppendOnly))


def test_the_append_only_tables_are_the_audit_log_the_ledger_and_the_timeline():
    assert append_only_models() == ["core.AuditEvent", "quota.LedgerEntry", "reminders.BillEvent"]


@pytest.mark.django_db
@pytest.mark.parametrize("label", append_only_models())
def test_the_database_refuses_to_change_or_remove_a_row(label):
    table = apps.get_model(label)._meta.db_table
    row_id = _one_row(label)  # a trigger fires for a row: there must be one
    for statement in (f"UPDATE {table} SET id = id WHERE id = %s", f"DELETE FROM {table} WHERE id = %s"):
        with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [row_id])


def _one_row(label: str) -> int:
    from core.audit import audit_record
    from tests.factories import CompanyFactory, make_bill, registered_code

    if label == "core.AuditEvent":
        return audit_record(action="test", sentence="history").pk
    registration = registered_code(CompanyFactory(), quota=5)
    if label == "quota.LedgerEntry":
        return registration.quota_account.entries.get().pk
    return make_bill(registration).events.get().pk
