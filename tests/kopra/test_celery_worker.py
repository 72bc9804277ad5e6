"""A task crosses the configured broker to a real worker process and comes back as a row."""

import time

import pytest
from django.conf import settings

from core.models import Heartbeat
from kopra.celery import app as celery_app


@pytest.mark.real_broker
def test_a_task_goes_through_the_broker_to_a_worker_and_back(celery_worker_process, unique):
    worker = celery_worker_process()
    name = f"test-{unique}"
    celery_app.send_task("core.heartbeat", kwargs={"name": name})

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if Heartbeat.objects.filter(name=name).exists():
            break
        assert worker.poll() is None, worker.stdout.read()
        time.sleep(0.2)
    assert Heartbeat.objects.filter(name=name).exists(), "the worker never ran the task"
    assert settings.CELERY_TASK_ALWAYS_EAGER is False


def test_every_periodic_tick_expires_when_the_next_one_is_sent():
    for name, entry in celery_app.conf.beat_schedule.items():
        assert entry["options"]["expires"] == entry["schedule"], name


@pytest.mark.real_broker
def test_ticks_that_queued_up_while_no_worker_ran_are_dropped_not_run(celery_worker_process, unique):
    """After an outage the worker finds the ticks sent meanwhile expired and runs only what is due."""
    stale = f"stale-{unique}"
    for _ in range(20):  # as beat sends them, with the schedule's options, here a one-second tick
        celery_app.send_task("core.heartbeat", kwargs={"name": stale}, expires=1)
    time.sleep(1.5)
    worker = celery_worker_process()
    fresh = f"fresh-{unique}"
    celery_app.send_task("core.heartbeat", kwargs={"name": fresh})

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not Heartbeat.objects.filter(name=fresh).exists():
        assert worker.poll() is None, worker.stdout.read()
        time.sleep(0.2)
    assert Heartbeat.objects.filter(name=fresh).exists(), "the worker never ran the task sent after the outage"
    assert not Heartbeat.objects.filter(name=stale).exists(), "an expired tick ran"
