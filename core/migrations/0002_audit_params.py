from django.db import migrations, models

from core.migration_ops import KeepAppendOnly


class Migration(migrations.Migration):
    """Audit lines keep their message and its parameters apart, to be shown in the reader's language.

    Existing lines keep their finished sentence and get no parameters (the table refuses updates);
    the database default serves the raw inserts of ``core.bulk`` too.
    """

    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        KeepAppendOnly("AuditEvent"),  # SQLite builds the table anew below, without its triggers
        migrations.AddField(
            model_name="auditevent",
            name="params",
            field=models.JSONField(blank=True, db_default=models.Value({}, output_field=models.JSONField()),
                                   default=dict, verbose_name="parameters"),
        ),
        KeepAppendOnly("AuditEvent"),
    ]
