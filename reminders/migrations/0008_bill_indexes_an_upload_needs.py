"""Drops the bill indexes no query needs, so submitting an upload updates 16 b-trees a bill, not 22.

Each one dropped was measured with EXPLAIN on a million bills (README, Benchmarks):

* ``company``, ``registration``: every query by them is served by a composite index that
  starts with the same column (``bill_list_*``, ``bill_list_code``, the partial unique ones);
* ``created_by`` (bills) and ``actor`` (events): no query looks them up by the user;
* ``created_at``: the list and the reports always filter by company (``bill_list_created``);
* ``bill_code_key``: the only lookups of a bill key within a code ask for its active reminder,
  which ``one_active_reminder_per_bill_key`` answers;
* ``bill_due_to_push`` becomes ``bill_scheduled_push``, partial on SCHEDULED: the scheduler only
  reads scheduled bills, and a bill just received costs it nothing.

The foreign keys themselves stay. On PostgreSQL indexes are built and dropped CONCURRENTLY
(hence ``atomic = False``), the new one before the one it replaces. On SQLite an index is
dropped by name rather than by rebuilding the table, which would drop the append-only
triggers of the event table.
"""

import importlib

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

online = importlib.import_module("reminders.migrations.0005_bill_list_indexes")


class DropColumnIndex(migrations.operations.base.Operation):
    """Drops the plain index Django made for ``db_index`` on one column, found by introspection."""

    reduces_to_sql = False
    reversible = True

    def __init__(self, model_name: str, column: str):
        self.model_name, self.column = model_name, column

    def state_forwards(self, app_label, state):
        pass  # the field's db_index=False is told to the state by the AlterField beside it

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        names = schema_editor._constraint_names(model, [self.column], index=True, unique=False, primary_key=False,
                                                type_=models.Index.suffix)
        concurrently = " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""
        for name in names:
            schema_editor.execute(f"DROP INDEX{concurrently} IF EXISTS {schema_editor.quote_name(name)}")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        field = next(f for f in model._meta.local_fields if f.column == self.column)
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))

    def describe(self):
        return f"Drop the index of {self.model_name}.{self.column}"


def _without_index(model_name: str, name: str, column: str, field) -> migrations.SeparateDatabaseAndState:
    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AlterField(model_name=model_name, name=name, field=field)],
        database_operations=[DropColumnIndex(model_name, column)],
    )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("billers", "0004_translatable_names"),
        ("reminders", "0007_upload_leases_and_retention"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        online.AddIndexOnline(
            model_name="bill",
            index=models.Index(condition=models.Q(("status", "SCHEDULED")), fields=["next_push_at"],
                               name="bill_scheduled_push"),
        ),
        online.RemoveIndexOnline(model_name="bill", name="bill_due_to_push"),
        online.RemoveIndexOnline(model_name="bill", name="bill_code_key"),
        _without_index("bill", "company", "company_id", models.ForeignKey(
            db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="billers.company",
            verbose_name="company")),
        _without_index("bill", "registration", "registration_id", models.ForeignKey(
            db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="bills",
            to="billers.registration", verbose_name="biller code")),
        _without_index("bill", "created_by", "created_by_id", models.ForeignKey(
            blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
            to=settings.AUTH_USER_MODEL, verbose_name="created by")),
        _without_index("bill", "created_at", "created_at", models.DateTimeField(
            default=django.utils.timezone.now, verbose_name="created at")),
        _without_index("billevent", "actor", "actor_id", models.ForeignKey(
            blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
            to=settings.AUTH_USER_MODEL, verbose_name="actor")),
    ]
