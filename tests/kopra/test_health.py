import pytest

from kopra.celery import app as celery_app


def test_healthz_answers_ok_without_touching_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_database_and_broker_each(client):
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True


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
