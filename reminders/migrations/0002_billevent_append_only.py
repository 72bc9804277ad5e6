from django.db import migrations

from kopra.migration_ops import MakeAppendOnly


class Migration(migrations.Migration):
    dependencies = [("reminders", "0001_initial")]

    operations = [MakeAppendOnly("BillEvent")]
