"""The token endpoint cannot be flooded: requests are counted per credential and per address,
and a credential holds a bounded number of live tokens."""

import datetime as dt

import pytest
import time_machine

from snap import credentials
from snap.client import QUOTA_PATH
from snap.models import AccessToken
from tests.reminders.conftest import make_client

pytestmark = pytest.mark.django_db


def test_the_tokens_of_a_credential_are_counted_per_minute(api, monkeypatch):
    monkeypatch.setattr(credentials, "TOKENS_PER_CREDENTIAL_PER_MINUTE", 3)
    answers = [api.request_token() for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].body == {"responseCode": "4297300", "responseMessage": "Too Many Requests"}
    assert AccessToken.objects.filter(credential=api.credential).count() == 3


def test_the_tokens_asked_from_one_address_are_counted_per_minute(company, registration, keypair, wsgi_transport,
                                                                    monkeypatch):
    monkeypatch.setattr(credentials, "TOKENS_PER_ADDRESS_PER_MINUTE", 3)
    first, second = make_client(company, keypair, wsgi_transport), make_client(company, keypair, wsgi_transport)
    # All four within one minute's window, wherever the clock stands when the test runs.
    with time_machine.travel(dt.datetime.now(dt.UTC).replace(second=5, microsecond=0), tick=False):
        answers = [first.request_token(), first.request_token(), second.request_token(), second.request_token()]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]


def test_a_credential_keeps_at_most_its_live_tokens_and_the_oldest_stops_working(api, monkeypatch):
    monkeypatch.setattr(credentials, "LIVE_TOKENS_PER_CREDENTIAL", 3)
    tokens = [api.request_token().body["accessToken"] for _ in range(4)]
    assert AccessToken.objects.filter(credential=api.credential).count() == 3
    oldest = api.call(QUOTA_PATH, {"billerCode": "89123"}, access_token=tokens[0])
    newest = api.call(QUOTA_PATH, {"billerCode": "89123"}, access_token=tokens[3])
    assert oldest.body["responseCode"] == "4019301"
    assert newest.body["responseCode"] == "2009300"
