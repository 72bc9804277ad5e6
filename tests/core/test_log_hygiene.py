"""No secret, signature, token, password, one-time code or full phone number reaches the logs.

An API client gets a token and sends bills (one with a tampered signature), a user fails
and then passes sign-in, the bills are pushed to Livin' over its signed HTTP API (after an
outage), and a callback is delivered (after a failure). Everything logged at INFO and above,
and everything printed, is then searched for each secret that went by.
"""

import logging
from decimal import Decimal

import httpx
import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.urls import reverse

from core import signing
from livin import display
from livin.models import LivinUser
from notifications import callbacks, services
from notifications.gateway import HttpLivinGateway
from notifications.models import CallbackEvent
from reminders import services as reminder_services
from reminders.models import Bill, BillStatus
from snap.client import MESSAGES_PATH, SnapClient
from snap.credentials import credential_create
from tests.factories import PASSWORD, UserFactory, authenticator, code_for, registered_code
from tests.reminders.test_api import message

pytestmark = pytest.mark.django_db

PHONE_DIGITS = "81234567890"  # in +6281234567890, 081234567890 and 0812-3456-7890 alike


@pytest.fixture
def wsgi_application():
    """The WSGI app, called in-process; its requests leave the test's connection open.

    Made before the test runs: making it sets up logging again, which would drop the
    handler that captures the test's log records.
    """
    app = get_wsgi_application()

    def make():
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        return app

    yield make
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_no_secret_or_full_phone_number_is_logged(client, company, caplog, capsys, settings, wsgi_application,
                                                  monkeypatch):
    caplog.set_level(logging.INFO)
    secrets_seen: set[str] = {PASSWORD, settings.LIVIN_SECRET}

    def keep_headers(request: httpx.Request):
        for name in ("X-SIGNATURE", "Authorization"):
            if request.headers.get(name):
                secrets_seen.add(request.headers[name].removeprefix("Bearer "))

    # Sign-in: a wrong password, then the password and a one-time code.
    user = UserFactory(company=company, user_id="budi")
    device = authenticator(user)
    wrong = "Wrong-Horse-Battery-43"
    secrets_seen.add(wrong)
    client.post(reverse("login"), {"company_id": company.company_id, "user_id": "budi", "password": wrong})
    client.post(reverse("login"), {"company_id": company.company_id, "user_id": "budi", "password": PASSWORD})
    code = code_for(device)
    secrets_seen.add(code)
    assert client.post(reverse("login_otp"), {"code": code}).status_code == 302

    # The Open API: a token, bills, a tampered call, an unknown bill. (After the test client,
    # which reconnects the handler that closes the connection after each request.)
    wsgi_app = wsgi_application()
    registered_code(company, quota=10, code="89123")
    LivinUser.objects.create(phone="+62" + PHONE_DIGITS, name="Budi")
    private_pem, public_pem = signing.generate_rsa_keypair()
    credential, client_secret = credential_create(company=company, actor=None, name="ERP", public_key_pem=public_pem)
    secrets_seen.add(client_secret)
    api = SnapClient("http://testserver", credential.client_key, client_secret, private_pem,
                     transport=httpx.WSGITransport(app=wsgi_app, remote_addr="127.0.0.1"))
    api._http.event_hooks["request"] = [keep_headers]
    secrets_seen.add(api.get_token())
    _callback_setting, callback_secret = callbacks.callback_setting_save(company=company,
                                                                         url="https://erp.example/kopra")
    secrets_seen.add(callback_secret)
    for number in range(2):
        created = api.call(MESSAGES_PATH, message(partnerReferenceNo=f"INV-{number}", billKey=f"K{number}",
                                                  payerPhoneNumber="0812-3456-7890"))
        assert created.body["responseCode"] == "2009000", created.body
    assert api.call(MESSAGES_PATH, message(), sign_body="{}").status_code == 401
    assert api.inquiry(reference_no="NOPE").status_code == 404

    # Pushes over Livin's signed HTTP API (served by the sandbox here), after an outage.
    gateway = HttpLivinGateway("http://testserver", settings.LIVIN_PARTNER_ID, settings.LIVIN_SECRET, retries=0,
                               transport=httpx.WSGITransport(app=wsgi_app, remote_addr="127.0.0.1"))
    gateway.http.event_hooks["request"] = [keep_headers]
    monkeypatch.setattr("notifications.services.livin_gateway", lambda: gateway)
    Bill.objects.update(start_at=Bill.objects.first().created_at)
    display.fault_set(operation="lookup", outage=True)
    services.directory_check(bill_ids=list(Bill.objects.values_list("pk", flat=True)))
    display.fault_set(operation="lookup")
    services.directory_check(bill_ids=list(Bill.objects.values_list("pk", flat=True)))
    display.fault_set(operation="push", outage=True)
    services.push_bills(bill_ids=services.dispatch_claim(10))
    display.fault_set(operation="push")
    Bill.objects.update(next_push_at=Bill.objects.first().created_at)
    services.push_bills(bill_ids=services.dispatch_claim(10))
    assert Bill.objects.filter(status=BillStatus.DISPLAYED).count() == 2
    bill = Bill.objects.first()
    reminder_services.bill_payment_received(reference=bill.reference_no, amount=Decimal("150000.00"), channel="MBP",
                              payment_reference="PAY-1")

    # A callback: refused once, then delivered.
    answers = iter([httpx.Response(500, text="try later"), httpx.Response(200, json={})])

    def biller(request: httpx.Request) -> httpx.Response:
        secrets_seen.add(request.headers["X-SIGNATURE"])
        return next(answers)

    event = CallbackEvent.objects.filter(company=company).first()
    transport = httpx.MockTransport(biller)
    assert callbacks.deliver(callback_id=event.pk, transport=transport) is False
    CallbackEvent.objects.filter(pk=event.pk).update(next_attempt_at=event.created_at)
    assert callbacks.deliver(callback_id=event.pk, transport=transport) is True

    printed = capsys.readouterr()
    logged = "\n".join([caplog.text, printed.out, printed.err,
                        *(str(record.args) for record in caplog.records if record.args)])
    print("RECORDS", [(r.name, r.getMessage()[:80]) for r in caplog.records], file=__import__("sys").__stderr__)
    assert len(caplog.records) >= 5, "the flows above do log something"
    assert len(secrets_seen) >= 10
    leaked = [secret for secret in secrets_seen if secret and secret in logged]
    assert leaked == [], "logged: " + ", ".join(s[:6] + "…" for s in leaked)
    assert PHONE_DIGITS not in logged and "3456-7890" not in logged


@pytest.mark.parametrize("written", ["+6281234567890", "081234567890", "0812-3456-7890", "0812 3456 7890",
                                     "6281234567890", "+62 812-3456-7890"])
def test_a_phone_number_in_a_log_line_is_masked(written):
    from core.observability import mask_phone

    assert mask_phone(f"Not Found: /sandbox/livin/{written}/ (bill K1)") == \
        "Not Found: /sandbox/livin/+62812****7890/ (bill K1)"


def test_the_console_log_handler_masks_phone_numbers(settings):
    import io
    import logging.config

    from core.observability import PhoneMaskFilter

    assert "mask_phones" in settings.LOGGING["handlers"]["console"]["filters"]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(PhoneMaskFilter())
    logger = logging.getLogger("kopra.test.masking")
    logger.addHandler(handler)
    try:
        logger.warning("push refused for %s, amount %s", "+6281234567890", "150000.00")
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue().strip() == "push refused for +62812****7890, amount 150000.00"
