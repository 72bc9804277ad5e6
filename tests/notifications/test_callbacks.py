"""Signed callbacks to the biller, over real HTTP to a local receiver (docs/api.md, "Callbacks to your system")."""

import datetime as dt
import json

import pytest
import time_machine
from django.utils import timezone, translation

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
    assert paid["data"]["paymentChannel"] == "MBP"
    assert paid["data"]["paymentReferenceNo"] == "PAY9"
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


# --- Events that are not a bill's --------------------------------------------------------------


def _upload(registration, maker, content: bytes, django_capture_on_commit_callbacks):
    """An upload received and checked as the worker checks it (twice: a redelivered task)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from reminders import uploads

    with django_capture_on_commit_callbacks(execute=False):  # the check runs here, not queued
        upload = uploads.upload_receive(registration=registration, actor=maker,
                                        uploaded_file=SimpleUploadedFile("tagihan-desember.csv", content))
    uploads.upload_validate(upload=upload)
    return uploads.upload_validate(upload=upload)  # a second run of the task ends nothing again


def _events(receiver, name):
    bodies = [json.loads(r["body"]) for r in receiver.requests]
    return [body for body in bodies if body["event"] == name]


def test_upload_processed_is_sent_once_an_uploads_check_ends_with_its_totals_and_report(
    registration, maker, receiver, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    settings.CONSOLE_BASE_URL = "https://kopra.example.co.id/"
    start = timezone.localdate().strftime("%d/%m/%Y")
    end = (timezone.localdate() + dt.timedelta(days=20)).strftime("%d/%m/%Y")
    rows = ["bill_key,payer_phone,payer_name,amount,start_date,end_date",
            f"K1,081234567890,Budi,150000,{start},{end}", f"K2,081234567891,Siti,75000,{start},{end}",
            f"K2,081234567892,Ani,75000,{start},{end}", f"K3,not-a-phone,Rudi,10000,{start},{end}"]
    upload = _upload(registration, maker, ("\r\n".join(rows) + "\r\n").encode(), django_capture_on_commit_callbacks)
    deliver_all()

    [event] = _events(receiver, "upload.processed")
    assert event["data"] == {
        "uploadId": upload.pk, "fileName": "tagihan-desember.csv", "billerCode": registration.code,
        "status": "VALIDATED", "rowsTotal": 4, "validRows": 2, "invalidRows": 1, "repeatedRows": 1,
        "activeReminderRows": 0, "refusal": None,
        "reportUrl": f"https://kopra.example.co.id/uploads/{upload.pk}/",
    }
    request = receiver.requests[-1]
    assert signing.verify_hmac_signature(receiver.secret, "POST", request["path"], "", request["body"],
                                         request["headers"]["X-TIMESTAMP"], request["headers"]["X-SIGNATURE"])


def test_upload_processed_says_why_a_file_was_refused(
    registration, maker, receiver, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    upload = _upload(registration, maker, b"name;phone\r\nBudi;0812\r\n", django_capture_on_commit_callbacks)
    deliver_all()

    [event] = _events(receiver, "upload.processed")
    assert event["data"]["uploadId"] == upload.pk and event["data"]["status"] == "REFUSED"
    assert event["data"]["validRows"] is None
    with translation.override("en"):
        assert event["data"]["refusal"] == {"code": upload.refusal_code, "message": upload.refusal_text}
    assert event["data"]["refusal"]["code"] and event["data"]["refusal"]["message"]


def test_quota_low_is_sent_once_per_crossing_of_the_codes_threshold(registration, receiver, settings):
    from notifications.tasks import quota_low_sweep
    from quota.services import quota_grant, quota_reserve

    settings.CONSOLE_BASE_URL = "https://kopra.example.co.id"
    registration.low_quota_threshold = 10
    registration.save(update_fields=["low_quota_threshold"])
    assert quota_low_sweep() == 0  # 100 available

    quota_reserve(registration=registration, units=91, reference="test:a")  # 9 left: below
    assert quota_low_sweep() == 1
    quota_reserve(registration=registration, units=4, reference="test:b")  # lower still: the same crossing
    assert quota_low_sweep() == 0
    quota_grant(registration=registration, units=20, reference="test:c")  # 25: back above
    assert quota_low_sweep() == 0
    quota_reserve(registration=registration, units=16, reference="test:d")  # 9 again: a new crossing
    assert quota_low_sweep() == 1
    deliver_all()

    events = _events(receiver, "quota.low")
    assert [event["data"] for event in events] == [
        {"billerCode": registration.code, "available": 9, "threshold": 10,
         "quotaUrl": f"https://kopra.example.co.id/quota/{registration.pk}/"},
        {"billerCode": registration.code, "available": 9, "threshold": 10,
         "quotaUrl": f"https://kopra.example.co.id/quota/{registration.pk}/"},
    ]
    assert len({r["headers"]["X-EXTERNAL-ID"] for r in receiver.requests}) == 2


def test_quota_low_is_said_only_for_active_codes_and_sent_only_where_a_url_is_set(company, registration):
    from billers.models import Registration
    from notifications.tasks import quota_low_sweep
    from quota.models import QuotaAccount
    from quota.services import quota_reserve
    from tests.factories import registered_code

    stopped = registered_code(company, quota=100, code="89124")
    for code in (registration, stopped):
        quota_reserve(registration=code, units=99, reference=f"test:{code.pk}")
    Registration.objects.filter(pk=stopped.pk).update(status=Registration.Status.STOPPED)

    assert quota_low_sweep() == 1  # the active code's crossing is marked ...
    assert not CallbackEvent.objects.exists()  # ... with no URL to tell
    assert QuotaAccount.objects.get(registration=registration).low_said_at is not None
    assert QuotaAccount.objects.get(registration=stopped).low_said_at is None
