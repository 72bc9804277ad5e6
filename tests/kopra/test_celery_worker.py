"""A task crosses the configured broker to a real worker process and comes back as a row."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from kopra.celery import app as celery_app
from kopra.models import Heartbeat
from tests.conftest import database_url_of_test_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker(tmp_path, transactional_db):
    env = {**os.environ, "DATABASE_URL": database_url_of_test_db(), "KOPRA_CELERY_DIR": str(tmp_path / "celery")}
    transport_options = dict(celery_app.conf.broker_transport_options or {})
    if celery_app.conf.broker_url.startswith("filesystem://"):
        # A queue folder of the test's own, shared by this process and the worker.
        (tmp_path / "celery" / "queue").mkdir(parents=True)
        (tmp_path / "celery" / "control").mkdir(parents=True)
        celery_app.conf.broker_transport_options = {
            **transport_options,
            "data_folder_in": str(tmp_path / "celery" / "queue"),
            "data_folder_out": str(tmp_path / "celery" / "queue"),
            "control_folder": str(tmp_path / "celery" / "control"),
        }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "--app", "kopra", "worker", "--pool", "solo", "--loglevel", "WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--queues", "celery"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    yield process
    process.terminate()
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    celery_app.conf.broker_transport_options = transport_options
    if process.returncode not in (0, -15):
        print(output)


@pytest.mark.real_broker
def test_a_task_goes_through_the_broker_to_a_worker_and_back(worker, unique):
    name = f"test-{unique}"
    celery_app.send_task("kopra.heartbeat", kwargs={"name": name})

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if Heartbeat.objects.filter(name=name).exists():
            break
        assert worker.poll() is None, worker.stdout.read()
        time.sleep(0.2)
    assert Heartbeat.objects.filter(name=name).exists(), "the worker never ran the task"
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
