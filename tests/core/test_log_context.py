"""Log lines carry the request id and the company, in the web process and in the workers,
and a bill can be followed by its request id from the API call that created it to the log
line of its push."""

import io
import json
import logging
import logging.config
from datetime import timedelta

import httpx
import pytest
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone

from core import observability, signing
from livin.models import LivinUser
from notifications import services
from notifications.tasks import push_bills
from reminders.models import Bill
from snap.client import MESSAGES_PATH, SnapClient
from snap.credentials import credential_create
from tests.factories import registered_code
from tests.reminders.test_api import message

pytestmark = pytest.mark.django_db


def json_lines(records) -> list[dict]:
    """The records as the production JSON handler writes them (LOG_FORMAT=json)."""
    config = django_settings.LOGGING
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    formatter = config["formatters"]["json"]
    handler.setFormatter(logging.config.DictConfigurator({}).configure_formatter(dict(formatter)))
    handler.addFilter(observability.RequestIdFilter())
    for record in records:
        handler.handle(record)
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.fixture
def wsgi_app():
    app = get_wsgi_application()  # before the test: making it sets up logging again
    yield app
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_a_bill_is_followed_by_its_request_id_from_the_api_call_to_its_push(company, caplog, wsgi_app):
    # A push batch logs one INFO line; each bill's line, with its request id, is at DEBUG.
    caplog.set_level(logging.DEBUG)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    registered_code(company, quota=5, code="89123")
    LivinUser.objects.create(phone="+6281234567890", name="Budi")
    private_pem, public_pem = signing.generate_rsa_keypair()
    credential, secret = credential_create(company=company, actor=None, name="ERP", public_key_pem=public_pem)
    api = SnapClient("http://testserver", credential.client_key, secret, private_pem,
                     transport=httpx.WSGITransport(app=wsgi_app, remote_addr="127.0.0.1"))
    api.get_token()
    now = timezone.now()
    created = api.call(MESSAGES_PATH, message(startDate=signing.format_timestamp(now - timedelta(minutes=1)),
                                              endDate=signing.format_timestamp(now + timedelta(days=2))))
    assert created.body["responseCode"] == "2009000", created.body
    request_id = created.headers["x-request-id"]
    reference = created.body["referenceNo"]

    caplog.clear()
    services.directory_check(bill_ids=list(Bill.objects.values_list("pk", flat=True)))
    push_bills.delay(services.dispatch_claim(10))  # the worker's task (inline here)

    lines = [line for line in json_lines(caplog.records) if reference in line["message"]]
    assert len(lines) == 1, [r.getMessage() for r in caplog.records]
    assert lines[0]["request_id"] == request_id
    assert lines[0]["company"] == company.company_id
    assert lines[0]["logger"] == "notifications.services" and "pushed to Livin'" in lines[0]["message"]


def test_a_console_request_logs_its_company(client, admin_client, company, caplog):
    caplog.set_level(logging.INFO)
    logged = []

    def remember(record):
        logged.append(record)
        return True

    handler = logging.getLogger("django.request")
    handler.addFilter(remember)
    try:
        response = admin_client.get("/company/users/99999/")  # a 404, logged by Django
    finally:
        handler.removeFilter(remember)
    assert response.status_code == 404
    line = json_lines(logged)[0]
    assert line["company"] == company.company_id and line["request_id"] == response.headers["X-Request-ID"]
    assert observability.current_company() == "-", "cleared after the request"


def test_tasks_carry_the_request_id_and_company_through_the_broker_headers():
    request_token = observability.request_id_var.set("req-12345678")
    company_token = observability.company_var.set("ACME01")
    try:
        headers = {}
        observability._stamp_task_with_request_id(headers=headers)
    finally:
        observability.request_id_var.reset(request_token)
        observability.company_var.reset(company_token)
    assert headers == {"request_id": "req-12345678", "company": "ACME01"}

    class Task:
        class request:  # noqa: N801 mimics Celery's lowercase task.request
            request_id = "req-12345678"
            company = "ACME01"

    observability._adopt_request_id(task_id="t1", task=Task)
    try:
        assert (observability.current_request_id(), observability.current_company()) == ("req-12345678", "ACME01")
    finally:
        observability._drop_request_id(task_id="t1")
    assert (observability.current_request_id(), observability.current_company()) == ("-", "-")
