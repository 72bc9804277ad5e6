from django.db import migrations

from kopra.migration_ops import MakeAppendOnly


class Migration(migrations.Migration):
    dependencies = [("quota", "0001_initial")]

    # Triggers on PostgreSQL and SQLite alike: not even a bug can rewrite the ledger.
    operations = [MakeAppendOnly("LedgerEntry")]
