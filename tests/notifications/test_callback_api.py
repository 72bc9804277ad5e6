"""A receiver that was down catches up through the Open API, and a test callback, from the API and the console."""

import datetime as dt
import json

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from core import signing
from notifications import callbacks
from reminders.services import bill_payment_received
from tests.conftest import sign_in
from tests.notifications.receiver import Receiver
from tests.notifications.test_callbacks import deliver_all
from tests.notifications.test_delivery import run_scheduler
from tests.reminders.conftest import keypair, make_client, wsgi_transport  # noqa: F401 - fixtures

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]


@pytest.fixture
def receiver(company, settings):
    settings.OUTBOUND_ALLOW_LOCAL = True
    with Receiver() as server:
        _setting, server.secret = callbacks.callback_setting_save(company=company, url=server.url + "/kopra")
        yield server


@pytest.fixture
def api(company, registration, keypair, wsgi_transport):  # noqa: F811
    return make_client(company, keypair, wsgi_transport)


def listed(api, since, **filters):
    pages = list(api.pages(api.list_callbacks, since, **filters))
    assert all(page.ok for page in pages), pages[-1].body
    return [event for page in pages for event in page.body["events"]], pages


def test_a_receiver_that_was_down_lists_the_missed_events_and_gets_each_one_once(api, make_bill, receiver):
    start = timezone.now()
    receiver.statuses = [503] * 3  # down for the first delivery of each event
    first, second = make_bill(), make_bill()
    run_scheduler()
    bill_payment_received(reference=first.reference_no, amount=first.amount, channel="MBP",
                          payment_reference="PAYDOWN1")
    deliver_all()
    assert [r["headers"]["X-EXTERNAL-ID"] for r in receiver.requests] and not receiver.statuses

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=1)):
        events, pages = listed(api, start - dt.timedelta(seconds=1), page_size=2)
        assert [len(page.body["events"]) for page in pages] == [2, 1]
        assert pages[-1].body["nextCursor"] is None
        assert sorted(e["event"] for e in events) == ["bill.displayed", "bill.displayed", "bill.paid"]
        assert {e["deliveryStatus"] for e in events} == {"PENDING"} and {e["attempts"] for e in events} == {1}
        paid = next(e for e in events if e["event"] == "bill.paid")
        assert (paid["data"]["referenceNo"], paid["data"]["paymentReferenceNo"]) == (first.reference_no, "PAYDOWN1")
        only_paid, _ = listed(api, start - dt.timedelta(seconds=1), event="bill.paid")
        assert [e["externalId"] for e in only_paid] == [paid["externalId"]]
        until = pages[-1].body["listedUntil"]

    # Back up: the retries bring the same events under the same X-EXTERNAL-IDs, so a receiver
    # that took them from the listing recognises each one and applies it once.
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5)):
        deliver_all()
        delivered = {r["headers"]["X-EXTERNAL-ID"]: json.loads(r["body"])["event"]
                     for r in receiver.requests[3:]}
        assert delivered == {e["externalId"]: e["event"] for e in events}
        # The next listing starts where the last one stopped: nothing new, nothing twice.
        after, _ = listed(api, until)
        assert after == []
    assert second.reference_no in {e["data"]["referenceNo"] for e in events}


def test_the_listing_refuses_a_cursor_with_filters_a_made_up_cursor_and_no_start(api, receiver):
    since = signing.format_timestamp(timezone.now())
    cases = [
        ({"cursor": "abc", "occurredSince": since}, "4009601",
         "Invalid Field Format occurredSince (send the cursor alone: it carries the listing's filters)"),
        ({"cursor": "bm90LWEtY3Vyc29y"}, "4009601", "Invalid Field Format cursor (not a nextCursor this listing gave)"),
        ({}, "4009602", "Invalid Mandatory Field occurredSince"),
        ({"occurredSince": "yesterday"}, "4009601", "Invalid Field Format occurredSince"),
        ({"occurredSince": since, "pageSize": 1001}, "4009601", "Invalid Field Format pageSize"),
    ]
    for body, code, message in cases:
        answer = api.call("/snap/v1.0/bill-reminder/callbacks/list", body).body
        assert answer["responseCode"] == code, (body, answer)
        assert answer["responseMessage"].startswith(message), (body, answer)


def test_a_test_callback_from_the_api_reaches_the_receiver_signed_and_says_what_it_answered(api, receiver):
    answer = api.test_callback().body
    assert answer["responseCode"] == "2009700", answer
    assert (answer["delivered"], answer["httpStatus"], answer["error"]) == (True, 200, None)
    (request,) = receiver.requests
    assert json.loads(request["body"])["event"] == "callback.test"
    assert request["headers"]["X-EXTERNAL-ID"] == answer["externalId"]
    assert signing.verify_hmac_signature(receiver.secret, "POST", "/kopra", "", request["body"],
                                         request["headers"]["X-TIMESTAMP"], request["headers"]["X-SIGNATURE"])

    # The same X-EXTERNAL-ID again is answered as before, without a second POST.
    again = [api.call("/snap/v1.0/bill-reminder/callbacks/test", {}, external_id="7000000001").body
             for _ in range(2)]
    assert again[0] == again[1] and len(receiver.requests) == 2

    receiver.statuses = [500]
    answer = api.test_callback().body
    assert (answer["delivered"], answer["httpStatus"], answer["error"]) == (False, 500, "HTTP 500")
    assert len(receiver.requests) == 3  # nothing retried, nothing queued
    assert not callbacks.CallbackEvent.objects.filter(event="callback.test").exists()


def test_a_test_callback_without_a_callback_url_is_refused(api):
    answer = api.test_callback().body
    assert answer["responseCode"] == "4039701"
    assert "no callback URL" in answer["responseMessage"]


def test_an_admin_sends_a_test_callback_from_the_console_and_reads_the_answer(client, company_admin, receiver):
    client = sign_in(client, company_admin)
    page = client.post(reverse("callback_test"), follow=True).content.decode()
    assert "Test callback delivered: your server answered HTTP 200" in page
    receiver.statuses = [502]
    client.cookies["django_language"] = "id"
    page = client.post(reverse("callback_test"), follow=True, HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "Callback uji tidak terkirim (HTTP 502)" in page
    assert [json.loads(r["body"])["event"] for r in receiver.requests] == ["callback.test", "callback.test"]
