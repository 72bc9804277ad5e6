"""Signed callbacks to the biller, over real HTTP to a local receiver (docs/api.md, "Callbacks to your system")."""

import datetime as dt
import json

import pytest
import time_machine
from django.utils import timezone

from core import signing
from notifications import callbacks
from notifications.models import CallbackEvent
from tests.notifications.receiver import Receiver
from tests.notifications.test_delivery import run_scheduler

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]  # bills are shown and paid in the sandbox Livin'


def deliver_all():
    for callback_id in callbacks.callbacks_claim(100):
        callbacks.deliver(callback_id=callback_id)


@pytest.fixture
def receiver(company, settings):
    settings.OUTBOUND_ALLOW_LOCAL = True  # a receiver on this machine, as a developer's demo has
    with Receiver() as server:
        _setting, server.secret = callbacks.callback_setting_save(company=company, url=server.url + "/hooks/kopra?x=1")
        yield server


def test_displayed_and_paid_events_arrive_signed_as_section_2_says(make_bill, receiver):
    from decimal import Decimal

    from reminders.services import bill_payment_received

    bill = make_bill()
    run_scheduler()
    bill_payment_received(reference=bill.reference_no, amount=Decimal("150000.00"), channel="MBP",
                     payment_reference="PAY9")
    deliver_all()

    events = [json.loads(r["body"])["event"] for r in receiver.requests]
    assert events == ["bill.displayed", "bill.paid"]
    for request in receiver.requests:
        headers = request["headers"]
        assert request["path"] == "/hooks/kopra?x=1"
        assert headers["X-EXTERNAL-ID"].isdigit() and len(headers["X-EXTERNAL-ID"]) <= 36
        assert signing.verify_hmac_signature(receiver.secret, "POST", request["path"], "", request["body"],
                                             headers["X-TIMESTAMP"], headers["X-SIGNATURE"])
    paid = json.loads(receiver.requests[1]["body"])
    assert paid["data"]["referenceNo"] == bill.reference_no
    assert paid["data"]["paidAmount"] == {"value": "150000.00", "currency": "IDR"}
    assert len({r["headers"]["X-EXTERNAL-ID"] for r in receiver.requests}) == 2


def test_a_not_livin_user_event_is_sent_too(make_bill, receiver):
    from tests.notifications.conftest import NON_USER_PHONE

    make_bill(phone=NON_USER_PHONE)
    run_scheduler()
    deliver_all()
    assert [json.loads(r["body"])["event"] for r in receiver.requests] == ["bill.not_livin_user"]


def test_failed_answers_are_retried_with_backoff_and_each_attempt_is_kept(make_bill, receiver):
    receiver.statuses = [500, 503]
    make_bill()
    run_scheduler()
    now = timezone.now()
    with time_machine.travel(now, tick=False) as clock:
        deliver_all()
        deliver_all()  # not due yet: backoff
        callback = CallbackEvent.objects.get()
        assert callback.attempts == 1 and callback.status == "pending"
        clock.shift(dt.timedelta(seconds=31))
        deliver_all()
        clock.shift(dt.timedelta(seconds=61))
        deliver_all()
    callback.refresh_from_db()
    assert callback.status == "delivered" and callback.attempts == 3
    assert [a.status_code for a in callback.attempt_log.all()] == [500, 503, 200]


def test_retrying_stops_after_24_hours(make_bill, receiver):
    receiver.statuses = [500] * 100
    make_bill()
    run_scheduler()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(40):
            deliver_all()
            clock.shift(dt.timedelta(hours=1))
    callback = CallbackEvent.objects.get()
    assert callback.status == "gave_up"
    assert callback.attempt_log.last().at <= callback.give_up_at
    assert 20 <= callback.attempts <= 30


def test_a_company_without_a_callback_url_gets_no_events(make_bill):
    make_bill()
    run_scheduler()
    assert not CallbackEvent.objects.exists()


def test_resending_delivers_the_same_event_again(make_bill, receiver):
    make_bill()
    run_scheduler()
    deliver_all()
    callback = CallbackEvent.objects.get()
    callbacks.callback_resend(callback=callback)
    deliver_all()
    assert len(receiver.requests) == 2
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]


def test_a_url_whose_address_became_private_is_not_called_and_the_attempt_says_so(make_bill, company, settings):
    """Saved while it was allowed (or while its DNS answer was public), refused when it is sent."""
    settings.OUTBOUND_ALLOW_LOCAL = True
    with Receiver() as server:
        callbacks.callback_setting_save(company=company, url=server.url + "/hooks")
        settings.OUTBOUND_ALLOW_LOCAL = False
        make_bill()
        run_scheduler()
        deliver_all()
        assert server.requests == []
    callback = CallbackEvent.objects.get(event="bill.displayed")
    assert callback.status == CallbackEvent.Status.PENDING
    assert list(callback.attempt_log.values_list("error", flat=True)) == ["address not allowed"]


def test_a_redirect_is_an_error_and_is_not_followed(make_bill, receiver):
    receiver.statuses = [302]
    make_bill()
    run_scheduler()
    deliver_all()
    assert [r["path"] for r in receiver.requests] == ["/hooks/kopra?x=1"]
    assert list(CallbackEvent.objects.get(event="bill.displayed").attempt_log.values_list("error", flat=True)) == [
        "HTTP 302"]


def test_the_console_refuses_a_callback_url_on_the_banks_network(admin_client, settings):
    from django.urls import reverse

    from notifications.models import CallbackSetting

    settings.OUTBOUND_ALLOW_LOCAL = False
    response = admin_client.post(reverse("callback_settings"), {"url": "http://169.254.169.254/latest/meta-data/"})
    assert response.status_code == 200
    assert "private or local network" in response.content.decode()
    assert not CallbackSetting.objects.exists()
