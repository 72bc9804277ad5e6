"""Indexes for the bill list (a keyset walk per sort and per filter), the dashboard and the reports.

On PostgreSQL they are built CONCURRENTLY, so a table of millions of bills keeps taking
writes meanwhile (hence ``atomic = False``); the new ones are built before the two they
replace are dropped, so no query is left without an index in between.
"""

from django.db import migrations, models


class AddIndexOnline(migrations.AddIndex):
    """CREATE INDEX CONCURRENTLY on PostgreSQL; a plain CREATE INDEX elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.add_index(model, self.index, concurrently=True)
        else:
            schema_editor.add_index(model, self.index)


class RemoveIndexOnline(migrations.RemoveIndex):
    """DROP INDEX CONCURRENTLY on PostgreSQL; a plain DROP INDEX elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        index = from_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.remove_index(model, index, concurrently=True)
        else:
            schema_editor.remove_index(model, index)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("reminders", "0004_upload_decisions_in_background"),
    ]

    operations = [
        AddIndexOnline(
            model_name="bill",
            index=models.Index(fields=["company", "created_at", "id"], name="bill_list_created"),
        ),
        AddIndexOnline(
            model_name="bill",
            index=models.Index(fields=["company", "start_at", "id"], name="bill_list_start"),
        ),
        AddIndexOnline(
            model_name="bill",
            index=models.Index(fields=["company", "end_at", "id"], name="bill_list_end"),
        ),
        AddIndexOnline(
            model_name="bill",
            index=models.Index(fields=["company", "amount", "id"], name="bill_list_amount"),
        ),
        AddIndexOnline(
            model_name="bill",
            index=models.Index(fields=["company", "status", "created_at", "id"], name="bill_list_status"),
        ),
        AddIndexOnline(
            model_name="bill",
            index=models.Index(fields=["company", "source", "created_at", "id"], name="bill_list_source"),
        ),
        AddIndexOnline(
            model_name="bill",
            index=models.Index(fields=["registration", "created_at", "id"], name="bill_list_code"),
        ),
        AddIndexOnline(
            model_name="bill",
            index=models.Index(fields=["company", "payer_phone"], name="bill_list_phone"),
        ),
        AddIndexOnline(
            model_name="bill",
            index=models.Index(fields=["company", "bill_key"], name="bill_list_key"),
        ),
        AddIndexOnline(
            model_name="bill",
            index=models.Index(condition=models.Q(("displayed_at__isnull", False)), fields=["company", "displayed_at"],
                               name="bill_shown"),
        ),
        AddIndexOnline(
            model_name="bill",
            index=models.Index(condition=models.Q(("paid_at__isnull", False)), fields=["company", "paid_at"],
                               name="bill_paid"),
        ),
        RemoveIndexOnline(model_name="bill", name="bill_company_recent"),
        RemoveIndexOnline(model_name="bill", name="bill_company_status"),
    ]
