"""Staged upload rows keep their upload without a foreign key constraint in the database.

PostgreSQL checked the constraint once for every row copied into the staging table, at
each batch's commit: about 3 µs of the database's CPU a row, a third of its work in
staging a million rows (README, Benchmarks). Django still deletes the rows with their
upload (on_delete), and only the upload's own check writes them.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("reminders", "0008_bill_indexes_an_upload_needs"),
    ]

    operations = [
        migrations.AlterField(
            model_name="uploadrow",
            name="upload",
            field=models.ForeignKey(db_constraint=False, db_index=False,
                                    on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                    to="reminders.upload", verbose_name="upload"),
        ),
    ]
