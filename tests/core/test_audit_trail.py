"""Every state change a user or an integrator makes is written to the audit log exactly once,
with who, which company, when, and the id of the request that made it.

Each action goes through the console or the Open API as a user would do it; after each,
the new audit rows are exactly the expected ones, one per change, each carrying the
request id the response was sent with (X-Request-ID), also for work a task finished.
"""

import datetime as dt
from collections import Counter

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.urls import reverse
from django.utils import timezone

from billers.models import Registration, Role, ServiceChangeRequest, User
from core import signing
from core.models import AuditEvent
from quota.models import TopUpOrder
from reminders.models import Bill, Upload
from snap.client import CANCEL_PATH, MESSAGES_PATH, SnapClient
from snap.models import ApiCredential
from tests.conftest import sign_in
from tests.factories import AgreementFactory, BillerCodeFactory, UserFactory, authenticator, code_for

pytestmark = pytest.mark.django_db



def csv_file(key: str) -> bytes:
    start, end = timezone.localdate(), timezone.localdate() + dt.timedelta(days=30)
    return (f"bill_key,payer_phone,payer_name,amount,start_date,end_date\n"
            f"{key},081234567890,Budi,150000,{start:%d/%m/%Y},{end:%d/%m/%Y}\n").encode()


@pytest.fixture
def people(company):
    admin = UserFactory(company=company, user_id="boss", is_admin=True, is_maker=False)
    maker = UserFactory(company=company, user_id="maker", is_maker=True)
    approver = UserFactory(company=company, user_id="checker", is_maker=False, is_approver=True)
    for user in (admin, maker, approver):
        authenticator(user)
    return admin, maker, approver


# Written by the portal or the bank on the user's behalf: the actor is "system" or the bank.
DONE_BY_THE_SYSTEM = {"upload.validated", "topup.paid", "quota.topup"}


class Trail:
    """Remembers where the log stood, and checks what one response added to it."""

    def __init__(self, company):
        self.company = company
        self.last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def expect(self, response, actions: dict[str, int], *, actor=None, actor_label: str = ""):
        request_id = {name.lower(): value for name, value in response.headers.items()}["x-request-id"]
        rows = list(AuditEvent.objects.filter(pk__gt=self.last).order_by("pk"))
        self.last = rows[-1].pk if rows else self.last
        assert Counter(row.action for row in rows) == Counter(actions), [r.action for r in rows]
        for row in rows:
            assert row.company_id == self.company.pk, row.action
            assert row.request_id == request_id, (row.action, row.request_id, request_id)
            assert abs(timezone.now() - row.at) < dt.timedelta(minutes=1)
            if actor is not None and row.action not in DONE_BY_THE_SYSTEM:
                assert row.actor == actor, (row.action, row.actor)
            if actor_label:
                assert actor_label in row.actor_label, (row.action, row.actor_label)
        return rows


@pytest.mark.django_db(transaction=True)  # work queued on commit runs inside the request, as in production
@pytest.mark.sandbox  # includes a top-up
def test_each_console_action_writes_one_audit_row_per_change(client_factory, company, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    admin, maker, approver = people
    AgreementFactory(company=company)
    code = BillerCodeFactory(company=company)
    as_admin, as_maker, as_approver = (sign_in(client_factory(), user) for user in people)
    trail = Trail(company)

    def post(client, name, data=None, *, args=(), status=(200, 302)):
        response = client.post(reverse(name, args=args), data or {})
        assert response.status_code in status, (name, response.status_code, response.content.decode()[:1500])
        return response

    # Company settings, users and roles.
    response = post(as_admin, "company_settings", {"require_two_factor": "on", "approval_for_upload": "on",
                                                   "approval_for_topup": "on", "approval_for_stop": "on",
                                                   "approval_for_api": "on"})
    trail.expect(response, {"company.settings_changed": 1}, actor=admin)
    response = post(as_admin, "user_create", {"user_id": "newbie", "full_name": "New Person",
                                              "password": "Quite-Long-Pass-2026", "roles": ["viewer"]})
    trail.expect(response, {"user.created": 1}, actor=admin)
    newbie = User.objects.get(user_id="newbie")
    response = post(as_admin, "user_edit", {"full_name": "New Person", "roles": ["viewer", "maker"]},
                    args=[newbie.pk])
    trail.expect(response, {"user.updated": 1}, actor=admin)
    response = post(as_admin, "user_set_active", {"active": "0"}, args=[newbie.pk])
    trail.expect(response, {"user.disabled": 1}, actor=admin)
    response = post(as_admin, "user_reset_password", {"password": "Another-Long-Pass-2026"}, args=[newbie.pk])
    trail.expect(response, {"user.password_reset": 1}, actor=admin)
    response = post(as_admin, "user_reset_two_factor", args=[newbie.pk])
    trail.expect(response, {"user.two_factor_reset": 1}, actor=admin)

    # API credentials and callbacks.
    _private, public_pem = signing.generate_rsa_keypair()
    response = post(as_admin, "credential_create", {"name": "ERP", "public_key_pem": public_pem})
    trail.expect(response, {"api_credential.created": 1}, actor=admin)
    credential = ApiCredential.objects.get(company=company)
    _private, other_pem = signing.generate_rsa_keypair()
    response = post(as_admin, "credential_edit", {"public_key_pem": other_pem, "ip_allowlist": "127.0.0.1"},
                    args=[credential.pk])
    trail.expect(response, {"api_credential.updated": 1}, actor=admin)
    trail.expect(post(as_admin, "credential_rotate", args=[credential.pk]), {"api_credential.rotated": 1},
                 actor=admin)
    trail.expect(post(as_admin, "credential_revoke", args=[credential.pk]), {"api_credential.revoked": 1},
                 actor=admin)
    response = post(as_admin, "callback_settings", {"url": "https://erp.example/kopra"})
    trail.expect(response, {"callback.configured": 1}, actor=admin)
    trail.expect(post(as_admin, "callback_rotate"), {"callback.secret_rotated": 1}, actor=admin)

    # Registration: the code and its initial quota, one row each.
    response = post(as_admin, "registration_create", args=[code.pk])
    trail.expect(response, {"registration.created": 1, "quota.grant": 1}, actor=admin)
    registration = Registration.objects.get(biller_code=code)
    response = post(as_admin, "quota_threshold", {"threshold": "5"}, args=[registration.pk])
    trail.expect(response, {"registration.threshold_changed": 1}, actor=admin)

    # A top-up: ordered, approved, paid at the (sandbox) bank.
    response = post(as_maker, "topup_new", {"units": "100", "method": "va", "confirm": "1"}, args=[registration.pk])
    trail.expect(response, {"topup.requested": 1}, actor=maker)
    order = TopUpOrder.objects.get(company=company)
    trail.expect(post(as_approver, "topup_approve", args=[order.pk]), {"topup.approved": 1}, actor=approver)
    order.refresh_from_db()
    response = post(client_factory(), "sandbox_pay", {"va_number": order.va_number, "amount": str(order.total)})
    trail.expect(response, {"topup.paid": 1, "quota.topup": 1})

    # Bills: single entry and cancel.
    end = (timezone.localtime() + dt.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    response = post(as_maker, "bill_entry", {"registration": registration.pk, "bill_key": "K1",
                                             "payer_phone": "0812-3456-7890", "amount": "150000", "end_date": end})
    trail.expect(response, {"bill.created": 1}, actor=maker)
    bill = Bill.objects.get(bill_key="K1")
    response = post(as_maker, "bill_cancel", {"reason": "wrong amount"}, args=[bill.reference_no])
    trail.expect(response, {"bill.cancelled": 1}, actor=maker)

    # Uploads: received (and read by a task), submitted, approved; another discarded.
    response = post(as_maker, "upload_new", {"registration": registration.pk,
                                             "file": SimpleUploadedFile("bills.csv", csv_file("U1"))})
    trail.expect(response, {"upload.received": 1, "upload.validated": 1}, actor=maker)
    upload = Upload.objects.latest("pk")
    response = post(as_maker, "upload_submit", args=[upload.pk])
    trail.expect(response, {"upload.submit_requested": 1, "upload.submitted": 1}, actor=maker)
    response = post(as_approver, "upload_approve", args=[upload.pk])
    trail.expect(response, {"upload.approve_requested": 1, "upload.approved": 1}, actor=approver)
    response = post(as_maker, "upload_new", {"registration": registration.pk,
                                             "file": SimpleUploadedFile("again.csv", csv_file("U2"))})
    trail.expect(response, {"upload.received": 1, "upload.validated": 1}, actor=maker)
    response = post(as_maker, "upload_discard", args=[Upload.objects.latest("pk").pk])
    trail.expect(response, {"upload.discard_requested": 1, "upload.discarded": 1}, actor=maker)

    # Stop and resume, each asked by the maker and approved by the approver.
    response = post(as_maker, "service_stop_request", {"reason": "holiday"}, args=[registration.pk])
    trail.expect(response, {"registration.stop_requested": 1}, actor=maker)
    change = ServiceChangeRequest.objects.latest("pk")
    response = post(as_approver, "service_change_approve", args=[change.pk])
    trail.expect(response, {"registration.stopped": 1}, actor=approver)
    response = post(as_maker, "service_resume_request", {"reason": "back"}, args=[registration.pk])
    trail.expect(response, {"registration.resume_requested": 1}, actor=maker)
    response = post(as_approver, "service_change_approve", args=[ServiceChangeRequest.objects.latest("pk").pk])
    trail.expect(response, {"registration.resumed": 1}, actor=approver)
    assert Role.MAKER in maker.roles


def test_signing_in_writes_one_row_with_the_request_id(client, company):
    user = UserFactory(company=company, user_id="budi")
    device = authenticator(user)
    trail = Trail(company)
    client.post(reverse("login"), {"company_id": company.company_id, "user_id": "budi",
                                   "password": "Correct-Horse-Battery-42"})
    response = client.post(reverse("login_otp"), {"code": code_for(device)})
    assert response.status_code == 302
    trail.expect(response, {"login.succeeded": 1}, actor=user)


@pytest.fixture
def wsgi_api(company):
    from snap.credentials import credential_create
    from tests.factories import registered_code

    registered_code(company, quota=10, code="89123")
    private_pem, public_pem = signing.generate_rsa_keypair()
    credential, secret = credential_create(company=company, actor=None, name="ERP", public_key_pem=public_pem)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    transport = httpx.WSGITransport(app=get_wsgi_application(), remote_addr="127.0.0.1")
    try:
        yield SnapClient("http://testserver", credential.client_key, secret, private_pem, transport=transport)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_each_open_api_change_writes_one_row_naming_the_credential(company, wsgi_api):
    from tests.reminders.test_api import message

    wsgi_api.get_token()
    trail = Trail(company)
    created = wsgi_api.call(MESSAGES_PATH, message())
    assert created.body["responseCode"] == "2009000"
    trail.expect(created, {"bill.created": 1}, actor_label=wsgi_api.client_key)
    cancelled = wsgi_api.call(CANCEL_PATH, {"referenceNo": created.body["referenceNo"], "reason": "x"})
    assert cancelled.body["responseCode"] == "2009200"
    trail.expect(cancelled, {"bill.cancelled": 1}, actor_label=wsgi_api.client_key)
    inquiry = wsgi_api.quota_inquiry("89123")
    trail.expect(inquiry, {})  # reading changes nothing, and writes nothing
