"""A worker, or the pool processes of one, killed (SIGKILL) in the middle of a push batch:
after recovery every bill is pushed once and charged once.

Redelivery bound: the claimed bills' lease (DELIVERY_LEASE_SECONDS, 120 s by default;
3 s here) — after it the next dispatch sweep claims them again. The killed task's message
itself may also come back from the broker (acks_late) within the visibility timeout; by
then its bills have moved on and it changes nothing.
"""

import os
import signal
import time

import pytest
from django.utils import timezone

from core.models import Heartbeat
from kopra.celery import app as celery_app
from livin import display
from livin.models import DisplayedBill, Notification
from notifications import services
from notifications.tasks import push_bills
from quota.models import LedgerEntry
from quota.selectors import quota_summary
from reminders.models import Bill, BillStatus
from tests.conftest import pool_children
from tests.notifications.conftest import USER_PHONE

pytestmark = [pytest.mark.real_broker, pytest.mark.django_db(transaction=True)]


def test_every_bill_is_pushed_once_and_charged_once_after_a_worker_is_killed_mid_batch(
    celery_worker_process, make_bill, registration, settings
):
    settings.DELIVERY_LEASE_SECONDS = 3
    bills = [make_bill() for _ in range(12)]
    services.directory_check(bill_ids=[b.pk for b in bills])
    display.fault_set(operation="push", latency_ms=400)  # a slow bank: 0.4 s per bill

    env = {"DELIVERY_LEASE_SECONDS": "3"}
    first = celery_worker_process(extra_env=env)
    ids = services.dispatch_claim(100)
    assert len(ids) == 12
    push_bills.delay(ids)

    deadline = time.monotonic() + 60
    while not Notification.objects.exists():
        if time.monotonic() > deadline or first.poll() is not None:
            first.kill()
            raise AssertionError(f"the batch never started: {first.communicate()[0][-3000:]}")
        time.sleep(0.05)
    time.sleep(1.0)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    pushed_before_kill = DisplayedBill.objects.count()
    assert 0 < pushed_before_kill < 12, "killed in the middle of the batch"

    display.fault_set(operation="push")
    celery_worker_process(beat=True, extra_env=env)
    deadline = time.monotonic() + 90
    while Bill.objects.filter(pk__in=[b.pk for b in bills], status=BillStatus.DISPLAYED).count() < 12:
        assert time.monotonic() < deadline, "not every bill was delivered after recovery"
        time.sleep(0.25)

    assert DisplayedBill.objects.count() == 12
    assert Notification.objects.filter(phone=USER_PHONE).count() == 12
    assert LedgerEntry.objects.filter(kind="consume").count() == 12
    summary = quota_summary(registration)
    assert (summary["balance"], summary["reserved"]) == (100 - 12, 0)
    assert Bill.objects.filter(displayed_at__gt=timezone.now()).count() == 0


def test_a_worker_whose_pool_processes_are_killed_takes_new_work_and_pushes_each_bill_once(
    celery_worker_process, make_bill, registration, settings, unique
):
    """As the out-of-memory killer does: the pool's children die, the worker lives on.

    The worker replaces its children and goes on taking work: the killed batch comes back
    (late acknowledgement, rejected when its process was lost), the dispatch ticks claim
    its bills again after their lease, and every bill is shown once and charged once.
    """
    settings.DELIVERY_LEASE_SECONDS = 3
    bills = [make_bill() for _ in range(12)]
    services.directory_check(bill_ids=[b.pk for b in bills])
    display.fault_set(operation="push", latency_ms=400)

    worker = celery_worker_process(concurrency=2, extra_env={"DELIVERY_LEASE_SECONDS": "3"})
    celery_app.send_task("notifications.dispatch_due_bills")  # beat's tick; here the test plays beat
    deadline = time.monotonic() + 60
    while not Notification.objects.exists():
        assert time.monotonic() < deadline and worker.poll() is None, "the batch never started"
        time.sleep(0.05)
    time.sleep(1.0)
    children = pool_children(worker.pid)
    assert len(children) == 2
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    pushed_before_kill = DisplayedBill.objects.count()
    assert 0 < pushed_before_kill < 12, "killed in the middle of the batch"
    display.fault_set(operation="push")

    alive = f"after-kill-{unique}"
    celery_app.send_task("core.heartbeat", kwargs={"name": alive})
    deadline = time.monotonic() + 90
    while Bill.objects.filter(pk__in=[b.pk for b in bills], status=BillStatus.DISPLAYED).count() < 12:
        assert worker.poll() is None, "the worker died"
        assert time.monotonic() < deadline, "the worker stopped taking work after its pool was killed"
        celery_app.send_task("notifications.dispatch_due_bills")
        time.sleep(2)

    assert Heartbeat.objects.filter(name=alive).exists(), "a task sent after the kill never ran"
    assert set(pool_children(worker.pid)).isdisjoint(children), "the killed children were replaced"
    assert DisplayedBill.objects.count() == 12
    assert Notification.objects.filter(phone=USER_PHONE).count() == 12
    assert LedgerEntry.objects.filter(kind="consume").count() == 12
    summary = quota_summary(registration)
    assert (summary["balance"], summary["reserved"]) == (100 - 12, 0)
