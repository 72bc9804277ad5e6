import datetime as dt
import time

import pytest
from django.utils import timezone

from core.models import Heartbeat
from core.services import heartbeat_record
from kopra import health
from kopra.celery import app as celery_app


def test_healthz_answers_ok_without_touching_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_database_broker_and_scheduler_each(client):
    heartbeat_record(name="beat")
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert body["checks"]["scheduler"]["ok"] is True
    assert 0 <= body["checks"]["scheduler"]["heartbeat_age_seconds"] < 5


@pytest.mark.django_db
def test_readyz_answers_503_naming_the_scheduler_while_its_heartbeat_is_stale(client, settings, monkeypatch):
    """A stuck worker or a stopped beat no longer runs the heartbeat: the probe fails so it is restarted."""
    settings.SCHEDULER_STALE_AFTER_SECONDS = 120
    monkeypatch.setattr(health, "_STARTED", time.monotonic() - 3600)
    Heartbeat.objects.create(name="beat", beat_at=timezone.now() - dt.timedelta(seconds=121))
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["down"] == ["scheduler"]
    assert "last heartbeat 121 s ago (limit 120 s)" in body["checks"]["scheduler"]["error"]

    heartbeat_record(name="beat")  # the worker runs the next tick
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_a_web_process_just_started_gives_the_scheduler_the_limit_to_beat(client, settings, monkeypatch):
    settings.SCHEDULER_STALE_AFTER_SECONDS = 120
    monkeypatch.setattr(health, "_STARTED", time.monotonic() - 10)  # just deployed: beat has not ticked yet
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["scheduler"]["heartbeat_age_seconds"] is None
    Heartbeat.objects.create(name="beat", beat_at=timezone.now() - dt.timedelta(days=1))  # yesterday's run
    assert client.get("/readyz").status_code == 200

    monkeypatch.setattr(health, "_STARTED", time.monotonic() - 130)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "last heartbeat 86400 s ago (limit 120 s)" in response.json()["checks"]["scheduler"]["error"]
    Heartbeat.objects.all().delete()
    assert "no heartbeat yet (limit 120 s)" in client.get("/readyz").json()["checks"]["scheduler"]["error"]


@pytest.fixture
def broker_restored():
    yield
    from tests.conftest import _forget_broker_connections

    _forget_broker_connections()


@pytest.mark.django_db
@pytest.mark.redis
def test_readyz_answers_503_naming_the_broker_once_redis_stops(client, private_redis, monkeypatch, broker_restored):
    # Celery reads the CELERY_BROKER_URL variable before its configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", private_redis["url"])
    assert celery_app.conf.broker_url == private_redis["url"]
    heartbeat_record(name="beat")
    assert client.get("/readyz").status_code == 200

    private_redis["process"].kill()
    private_redis["process"].wait()

    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["down"] == ["broker"]
    assert body["checks"]["database"]["ok"] is True
    assert "Error" in body["checks"]["broker"]["error"]


@pytest.mark.django_db
def test_every_response_carries_a_request_id_and_echoes_a_valid_one(client):
    fresh = client.get("/healthz")
    assert len(fresh["X-Request-ID"]) == 32

    echoed = client.get("/healthz", HTTP_X_REQUEST_ID="lb-1234567890")
    assert echoed["X-Request-ID"] == "lb-1234567890"

    hostile = client.get("/healthz", HTTP_X_REQUEST_ID="<script>alert(1)</script>")
    assert hostile["X-Request-ID"] != "<script>alert(1)</script>"
