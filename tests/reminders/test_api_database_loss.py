"""The Open API when the database goes away in the middle of a call: a SNAP 503, never a
stack trace, and an X-EXTERNAL-ID that a later retry can still use."""

import datetime as dt

import pytest
import time_machine
from django.db import OperationalError
from django.utils import timezone

from reminders.models import Bill
from snap.client import MESSAGES_PATH
from snap.models import IdempotencyRecord
from tests.reminders.test_api import message

pytestmark = pytest.mark.django_db

UNAVAILABLE = {"responseCode": "5039000", "responseMessage": "Service Unavailable. Try again later"}


def lost(*args, **kwargs):
    raise OperationalError("server closed the connection unexpectedly")


def test_a_database_lost_during_the_call_and_the_release_is_a_snap_503(api, monkeypatch):
    monkeypatch.setattr("reminders.services.bill_create", lost)
    monkeypatch.setattr("snap.idempotency.release", lost)
    response = api.call(MESSAGES_PATH, message(), external_id="9001")
    assert (response.status_code, response.body) == (503, UNAVAILABLE)


def test_a_database_lost_during_authentication_is_a_snap_503(api, monkeypatch):
    api.get_token()
    monkeypatch.setattr("snap.credentials.token_credential", lost)
    response = api.call(MESSAGES_PATH, message())
    assert (response.status_code, response.body) == (503, UNAVAILABLE)


def test_an_answer_that_could_not_be_stored_is_still_given(api, monkeypatch):
    monkeypatch.setattr("snap.idempotency.store", lost)
    response = api.call(MESSAGES_PATH, message(), external_id="9002")
    assert response.status_code == 200 and response.body["responseCode"] == "2009000"
    assert Bill.objects.count() == 1


def test_a_claim_left_by_a_dead_request_is_taken_over_by_a_later_retry(api):
    body = message()
    now = timezone.now()
    api.get_token()
    with time_machine.travel(now - dt.timedelta(seconds=130), tick=False):
        from snap import idempotency

        idempotency.claim(partner_id=api.client_key, external_id="9003", method="POST", path=MESSAGES_PATH,
                          body=__import__("json").dumps(body, separators=(",", ":")).encode())
    assert IdempotencyRecord.objects.filter(external_id="9003", status_code__isnull=True).exists()

    response = api.call(MESSAGES_PATH, body, external_id="9003")
    assert response.body["responseCode"] == "2009000"
    assert IdempotencyRecord.objects.get(external_id="9003").status_code == 200
