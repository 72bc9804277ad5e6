from django.db import migrations

from kopra.migration_ops import MakeAppendOnly


class Migration(migrations.Migration):
    dependencies = [("kopra", "0001_initial")]

    operations = [MakeAppendOnly("AuditEvent")]
