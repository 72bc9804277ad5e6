"""The Celery app: configured from Django settings (``CELERY_*``), beat schedule in code."""

import os

from celery import Celery
from kombu import Queue
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kopra.settings")

# The embedded default (CELERY_BROKER_URL=filesystem://) writes each message atomically, so
# a worker never reads one half written (kopra/broker.py).
TRANSPORT_ALIASES["filesystem"] = "kopra.broker:AtomicFilesystemTransport"

# DjangoTask gives every task delay_on_commit(): work is queued only once the data it
# reads has been committed.
app = Celery("kopra", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")

# One queue per kind of work, so a big upload's check never holds up due pushes. A worker
# started without -Q takes them all (make run, the tests); in production each may have
# workers of its own (README, "How delivery scales"). The sweeps and beat's ticks stay on
# the default queue.
QUEUES = ["celery", "directory", "push", "withdraw", "callbacks", "uploads"]
app.conf.task_queues = [Queue(name, routing_key=name) for name in QUEUES]
app.conf.task_default_queue = "celery"
app.conf.task_routes = {
    "notifications.check_directory": {"queue": "directory"},
    "notifications.recheck_non_users": {"queue": "directory"},
    "notifications.push_bills": {"queue": "push"},
    "notifications.withdraw_bill": {"queue": "withdraw"},
    "notifications.deliver_callback": {"queue": "callbacks"},
    "reminders.validate_upload": {"queue": "uploads"},
    "reminders.decide_upload": {"queue": "uploads"},
    "reminders.purge_upload_rows": {"queue": "uploads"},
}
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "core.heartbeat": {"task": "core.heartbeat", "schedule": 30.0},
    # Unpaid top-ups end when their virtual account expires; they credit nothing.
    "quota.expire_topups": {"task": "quota.expire_topups", "schedule": 60.0},
    # A debit whose answer was lost is asked again (the bank debits an order once).
    "quota.settle_debits": {"task": "quota.settle_debits", "schedule": 60.0},
    # Delivery is claimed from the database every few seconds (no long countdowns): a
    # task lost with a worker or never queued while the broker was down is claimed again.
    "notifications.directory_sweep": {"task": "notifications.directory_sweep", "schedule": 3.0},
    "notifications.dispatch_due_bills": {"task": "notifications.dispatch_due_bills", "schedule": 2.0},
    "notifications.expire_due_bills": {"task": "notifications.expire_due_bills", "schedule": 10.0},
    # Payers without Livin' are looked up again NON_USER_RECHECK_HOURS apart; a minute's delay is nothing.
    "notifications.recheck_sweep": {"task": "notifications.recheck_sweep", "schedule": 60.0},
    "notifications.deliver_due_callbacks": {"task": "notifications.deliver_due_callbacks", "schedule": 5.0},
    # quota.low once per crossing of a code's threshold, read from the accounts each minute.
    "notifications.quota_low_sweep": {"task": "notifications.quota_low_sweep", "schedule": 60.0},
    # The bank's statements of bill payments, read every five minutes (and after each payment).
    "settlement.sync_settlements": {"task": "settlement.sync_settlements", "schedule": 300.0},
    # Staff e-mail: what a lost task left in the outbox; makers whose top-up VA closes within 2 hours.
    "staffmail.send_pending": {"task": "staffmail.send_pending", "schedule": 60.0},
    "staffmail.topup_expiry_sweep": {"task": "staffmail.topup_expiry_sweep", "schedule": 300.0},
    # An upload check or decision whose task was lost is queued again past its lease.
    "reminders.requeue_stalled_uploads": {"task": "reminders.requeue_stalled_uploads", "schedule": 60.0},
    # Stored files and problem lists of finished uploads go after UPLOAD_RETENTION_DAYS.
    "reminders.expire_upload_files": {"task": "reminders.expire_upload_files", "schedule": 3600.0},
}
# A tick is worth running only until the next one is sent: each expires then, so after an
# outage the ticks that queued up meanwhile are dropped by the worker instead of running
# ahead of real work (every sweep reads the database afresh; nothing is lost).
for _entry in app.conf.beat_schedule.values():
    _entry.setdefault("options", {})["expires"] = _entry["schedule"]
