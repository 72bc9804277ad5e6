"""The whole delivery, as in production: the Open API over HTTP, a real broker, a real worker
with beat, the sandbox Livin' app, the payment, and signed callbacks to a local receiver."""

import datetime as dt
import json
import time
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from livin import display
from livin.models import DisplayedBill, LivinUser
from notifications import callbacks
from notifications.models import CallbackEvent
from quota.selectors import quota_summary
from reminders.models import Bill, BillStatus
from snap.client import SnapClient
from tests.factories import UserFactory, registered_code
from tests.notifications.receiver import Receiver

pytestmark = [pytest.mark.real_broker, pytest.mark.django_db(transaction=True)]


def wait_for(condition, what: str, worker, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        assert worker.poll() is None, f"the worker died: {worker.stdout.read()}"
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_bill_sent_through_the_api_is_shown_paid_withdrawn_and_reported(
    company, celery_worker_process, live_server_fresh_connections
):
    from core import signing
    from snap import credentials

    registration = registered_code(company, quota=5, code="89123")
    LivinUser.objects.create(phone="+6281234567890", name="Budi")
    private_pem, public_pem = signing.generate_rsa_keypair()
    credential, secret = credentials.credential_create(
        company=company, actor=UserFactory(company=company, is_admin=True), name="erp", public_key_pem=public_pem)

    with Receiver() as receiver, override_settings(OUTBOUND_ALLOW_LOCAL=True):
        _setting, callback_secret = callbacks.callback_setting_save(company=company, url=receiver.url + "/kopra")
        # The worker posts to a receiver on this machine: allowed only by the explicit setting.
        worker = celery_worker_process(beat=True, extra_env={"OUTBOUND_ALLOW_LOCAL": "true"})
        api = SnapClient(live_server_fresh_connections.url, credential.client_key, secret, private_pem)
        now = timezone.now()
        created = api.create_message(
            partner_reference_no="INV-E2E-1", biller_code="89123", bill_key="E2E1", payer_phone_number="0812-3456-7890",
            payer_name="Budi", total_amount="150000", bill_description="Tagihan air",
            start_date=now + dt.timedelta(seconds=3), end_date=now + dt.timedelta(days=2),
        )
        assert created.body["responseCode"] == "2009000", created.body
        reference = created.body["referenceNo"]

        wait_for(lambda: DisplayedBill.objects.filter(reference=reference).exists(), "the push to Livin'", worker)
        # The sandbox shows the bill a moment before the worker records the move.
        wait_for(lambda: Bill.objects.filter(reference_no=reference, status=BillStatus.DISPLAYED).exists(),
                 "the bill to become DISPLAYED", worker)
        bill = Bill.objects.get(reference_no=reference)
        assert bill.displayed_at >= bill.start_at, "not shown before its start"

        display.pay(reference=reference, phone="+6281234567890", amount=Decimal("150000.00"), channel="MVA")
        wait_for(lambda: Bill.objects.filter(reference_no=reference, withdrawn_at__isnull=False).exists(),
                 "the withdrawal", worker)
        assert Bill.objects.get(reference_no=reference).status == BillStatus.PAID
        assert not display.bills_shown("+6281234567890").exists()

        def events():
            return [json.loads(r["body"])["event"] for r in receiver.requests]

        wait_for(lambda: {"bill.displayed", "bill.paid"} <= set(events()), "both callbacks", worker, seconds=90)
        assert sorted(events()) == ["bill.displayed", "bill.paid"], [
            (c.event, c.status, [(a.status_code, a.error) for a in c.attempt_log.all()])
            for c in CallbackEvent.objects.all()
        ]
        for request in receiver.requests:
            headers = request["headers"]
            assert signing.verify_hmac_signature(callback_secret, "POST", "/kopra", "", request["body"],
                                                 headers["X-TIMESTAMP"], headers["X-SIGNATURE"])

    summary = quota_summary(registration)
    assert (summary["balance"], summary["reserved"]) == (4, 0), "charged exactly once"
    answer = api.inquiry(reference_no=reference).body
    assert answer["status"] == "PAID"
    receipt = DisplayedBill.objects.get(reference=reference)
    assert (answer["paymentChannel"], answer["paymentReferenceNo"]) == ("MVA", receipt.payment_reference)
    assert answer["paidAmount"] == {"value": "150000.00", "currency": "IDR"}
