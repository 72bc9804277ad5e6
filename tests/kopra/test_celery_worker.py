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
