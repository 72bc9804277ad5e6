"""The Celery app: configured from Django settings (``CELERY_*``), beat schedule in code."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kopra.settings")

# DjangoTask gives every task delay_on_commit(): work is queued only once the data it
# reads has been committed.
app = Celery("kopra", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "kopra.heartbeat": {"task": "kopra.heartbeat", "schedule": 30.0},
    # Unpaid top-ups end when their virtual account expires; they credit nothing.
    "quota.expire_topups": {"task": "quota.expire_topups", "schedule": 60.0},
}
