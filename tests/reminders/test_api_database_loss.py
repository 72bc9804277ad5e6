"""The Open API when the database goes away in the middle of a call: a SNAP 503, never a
stack trace, and an X-EXTERNAL-ID that a later retry can still use."""

import pytest
from django.db import OperationalError

from reminders.models import Bill
from snap.client import MESSAGES_PATH
from snap.models import IdempotencyRecord
from tests.reminders.test_api import message

pytestmark = pytest.mark.django_db

UNAVAILABLE = {"responseCode": "5039000", "responseMessage": "Service Unavailable. Try again later"}


def lost(*args, **kwargs):
    raise OperationalError("server closed the connection unexpectedly")


def test_a_database_lost_during_the_call_is_a_snap_503_and_the_retry_is_processed_afresh(api, monkeypatch):
    with monkeypatch.context() as patched:
        patched.setattr("reminders.services.bills_insert", lost)
        response = api.call(MESSAGES_PATH, message(), external_id="9001")
    assert (response.status_code, response.body) == (503, UNAVAILABLE)
    assert not IdempotencyRecord.objects.filter(external_id="9001").exists(), "nothing kept for a failed call"

    retry = api.call(MESSAGES_PATH, message(), external_id="9001")
    assert retry.body["responseCode"] == "2009000"
    assert Bill.objects.count() == 1


def test_a_database_lost_during_authentication_is_a_snap_503(api, monkeypatch):
    api.get_token()
    monkeypatch.setattr("snap.credentials.token_credential", lost)
    response = api.call(MESSAGES_PATH, message())
    assert (response.status_code, response.body) == (503, UNAVAILABLE)


def test_an_answer_that_could_not_be_kept_undoes_the_call(api, monkeypatch):
    """The bill and its answer are one transaction: no bill without the answer a retry replays."""
    with monkeypatch.context() as patched:
        patched.setattr("snap.idempotency.keep", lost)
        response = api.call(MESSAGES_PATH, message(), external_id="9002")
    assert (response.status_code, response.body) == (503, UNAVAILABLE)
    assert Bill.objects.count() == 0

    first = api.call(MESSAGES_PATH, message(), external_id="9002")
    again = api.call(MESSAGES_PATH, message(), external_id="9002")
    assert first.body["responseCode"] == "2009000" and again.text == first.text
    assert Bill.objects.count() == 1
    assert IdempotencyRecord.objects.get(external_id="9002").status_code == 200


def test_a_claim_without_an_answer_left_by_an_older_version_is_cleared_then_the_call_processed(api):
    import json

    from django.utils import timezone

    from snap import idempotency

    body = message()
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    IdempotencyRecord.objects.create(partner_id=api.client_key, day=timezone.localdate(), external_id="9003",
                                     fingerprint=idempotency.fingerprint("POST", MESSAGES_PATH, raw))

    cleared = api.call(MESSAGES_PATH, body, external_id="9003")
    assert (cleared.status_code, cleared.body["responseCode"]) == (409, "4099000")
    assert Bill.objects.count() == 0, "the call that met the claim undid its bill"
    retried = api.call(MESSAGES_PATH, body, external_id="9003")
    assert retried.body["responseCode"] == "2009000"
    assert Bill.objects.count() == 1
