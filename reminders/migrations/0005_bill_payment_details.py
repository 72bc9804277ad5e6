"""A paid bill keeps how it was paid: its channel and the bank's payment reference.

Bills paid before this change had them only in their timeline ("Paid through MBP,
payment ..."), from which they are copied.
"""

import re

from django.conf import settings
from django.db import migrations, models


PAID_LINE = re.compile(r"Paid through (?P<channel>MBP|MVA), payment (?P<payment>\S{1,64})$")


def copy_from_timeline(apps, schema_editor):
    Bill = apps.get_model("reminders", "Bill")
    BillEvent = apps.get_model("reminders", "BillEvent")
    changed = []
    lines = BillEvent.objects.filter(to_status="PAID").values_list("bill_id", "reason").order_by("id")
    for bill_id, reason in lines.iterator(chunk_size=2000):
        found = PAID_LINE.match(reason or "")
        if found:
            changed.append(Bill(pk=bill_id, payment_channel=found["channel"], payment_reference=found["payment"]))
        if len(changed) >= 2000:
            Bill.objects.bulk_update(changed, ["payment_channel", "payment_reference"])
            changed = []
    Bill.objects.bulk_update(changed, ["payment_channel", "payment_reference"])


class Migration(migrations.Migration):

    dependencies = [
        ('billers', '0001_initial'),
        ('reminders', '0004_bill_reference_without_like_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='bill',
            name='payment_channel',
            field=models.CharField(blank=True, choices=[('MBP', 'Mandiri Bill Payment (MBP)'), ('MVA', 'Mandiri Virtual Account (MVA)')], db_default='', default='', max_length=3, verbose_name='payment channel'),
        ),
        migrations.AddField(
            model_name='bill',
            name='payment_reference',
            field=models.CharField(blank=True, db_default='', default='', max_length=64, verbose_name='payment reference'),
        ),
        migrations.AddIndex(
            model_name='bill',
            index=models.Index(condition=models.Q(('paid_at__isnull', False)), fields=['company', 'payment_reference'], name='bill_payment_reference'),
        ),
        migrations.RunPython(copy_from_timeline, migrations.RunPython.noop, elidable=True),
    ]
