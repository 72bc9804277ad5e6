"""The Open API, through the signing client, producing every response code of docs/api.md."""

import datetime as dt
import json
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from billers.models import Registration
from core import signing
from quota.selectors import quota_summary
from reminders.models import Bill, BillStatus
from reminders.services import bill_transition
from snap.client import CANCEL_PATH, INQUIRY_PATH, MESSAGES_PATH, QUOTA_PATH
from tests.factories import CompanyFactory, registered_code
from tests.reminders.conftest import make_client

pytestmark = pytest.mark.django_db

JAKARTA = dt.timezone(dt.timedelta(hours=7))


def message(**overrides):
    now = timezone.now().astimezone(JAKARTA).replace(microsecond=0)
    body = {
        "partnerReferenceNo": "INV-2026-11-0001",
        "billerCode": "89123",
        "billKey": "1234567890",
        "payerPhoneNumber": "0812-3456-7890",
        "payerName": "Budi Santoso",
        "totalAmount": {"value": "150000.00", "currency": "IDR"},
        "billDescription": "Tagihan air November 2026",
        "startDate": signing.format_timestamp(now + dt.timedelta(days=1)),
        "endDate": signing.format_timestamp(now + dt.timedelta(days=10)),
        "additionalInfo": {},
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def create(api, **overrides):
    return api.call(MESSAGES_PATH, message(**overrides))


# --- Access token ---------------------------------------------------------------------


def test_a_token_is_issued_for_a_valid_rsa_signature(api):
    response = api.request_token()
    assert response.status_code == 200
    assert response.body["responseCode"] == "2007300"
    assert response.body["tokenType"] == "Bearer" and response.body["expiresIn"] == "900"


def test_a_token_request_signed_with_another_key_is_unauthorized(api):
    other_private, _ = signing.generate_rsa_keypair()
    api.private_key_pem = other_private
    response = api.request_token()
    assert (response.status_code, response.body["responseCode"]) == (401, "4017300")
    assert "signature" in response.body["responseMessage"].lower()


def test_a_token_request_from_an_unknown_client_is_unauthorized(api):
    api.client_key = "kbr-unknown"
    assert api.request_token().body["responseCode"] == "4017300"


def test_a_token_request_without_timestamp_names_the_header(api):
    response = api.request_token(headers_override={"X-TIMESTAMP": None})
    assert response.body == {"responseCode": "4007302", "responseMessage": "Invalid Mandatory Field X-TIMESTAMP"}


# --- Create ---------------------------------------------------------------------------


def test_a_bill_is_created_with_the_phone_in_e164_and_one_unit_reserved(api, registration):
    response = create(api)
    assert response.status_code == 200, response.body
    body = response.body
    assert body["responseCode"] == "2009000" and body["responseMessage"] == "Successful"
    assert body["payerPhoneNumber"] == "+6281234567890"
    assert body["status"] == "RECEIVED"
    assert body["billerCode"] == "89123" and body["billKey"] == "1234567890"
    bill = Bill.objects.get(reference_no=body["referenceNo"])
    assert bill.amount == Decimal("150000.00") and bill.company == registration.company
    assert quota_summary(registration)["reserved"] == 1


def test_a_company_that_approves_api_messages_gets_pending_approval(api, company):
    company.approval_for_api = True
    company.save()
    assert create(api).body["status"] == "PENDING_APPROVAL"


@pytest.mark.parametrize("field, value, named", [
    ("payerPhoneNumber", "0212-345-678", "payerPhoneNumber"),  # a Jakarta landline
    ("billKey", "ABC 123", "billKey"),
    ("totalAmount", {"value": "150000", "currency": "IDR"}, "totalAmount.value"),
    ("totalAmount", {"value": "0.00", "currency": "IDR"}, "totalAmount.value"),
    ("totalAmount", {"value": "10.00", "currency": "USD"}, "totalAmount.currency"),
    ("startDate", "2026-12-01 08:00", "startDate"),
])
def test_a_malformed_field_is_named(api, field, value, named):
    response = create(api, **{field: value})
    assert (response.status_code, response.body["responseCode"]) == (400, "4009001")
    assert response.body["responseMessage"].startswith(f"Invalid Field Format {named}")


def test_an_end_before_the_start_is_a_malformed_end_date(api):
    now = timezone.now()
    response = create(api, startDate=signing.format_timestamp(now + dt.timedelta(days=5)),
                      endDate=signing.format_timestamp(now + dt.timedelta(days=2)))
    assert response.body["responseMessage"].startswith("Invalid Field Format endDate (The end date must be after")


def test_a_window_longer_than_90_days_is_refused(api):
    now = timezone.now()
    response = create(api, startDate=signing.format_timestamp(now),
                      endDate=signing.format_timestamp(now + dt.timedelta(days=92)))
    assert response.body["responseMessage"].startswith(
        "Invalid Field Format endDate (The end date must be at most 90 days after the start date")


def test_a_missing_field_is_named(api):
    response = create(api, billKey=None)
    assert (response.status_code, response.body["responseCode"]) == (400, "4009002")
    assert response.body["responseMessage"] == "Invalid Mandatory Field billKey"


def test_a_missing_nested_field_is_named_with_its_path(api):
    response = create(api, totalAmount={"currency": "IDR"})
    assert response.body["responseMessage"] == "Invalid Mandatory Field totalAmount.value"


def test_a_missing_external_id_is_named(api):
    response = api.call(MESSAGES_PATH, message(), headers_override={"X-EXTERNAL-ID": None})
    assert response.body == {"responseCode": "4009002", "responseMessage": "Invalid Mandatory Field X-EXTERNAL-ID"}


def test_a_non_numeric_external_id_is_malformed(api):
    response = api.call(MESSAGES_PATH, message(), external_id="abc-123")
    assert response.body["responseCode"] == "4009001"


def test_a_body_that_is_not_json_is_malformed(api):
    response = api.call(MESSAGES_PATH, "{not json")
    assert response.body["responseCode"] == "4009001"


# --- Signatures, tokens, addresses ---------------------------------------------------


@pytest.mark.parametrize("tamper", [
    {"sign_method": "PUT"},
    {"sign_path": MESSAGES_PATH + "x"},
    {"sign_body": json.dumps(message(billKey="1234567891"), separators=(",", ":"))},
])
def test_a_one_byte_change_in_what_was_signed_is_unauthorized(api, tamper):
    response = api.call(MESSAGES_PATH, message(), **tamper)
    assert (response.status_code, response.body["responseCode"]) == (401, "4019000")
    assert not Bill.objects.exists()


def test_a_changed_timestamp_is_unauthorized(api):
    stamp = signing.format_timestamp(timezone.now())
    changed = stamp[:-7] + str((int(stamp[-7]) + 1) % 10) + stamp[-6:]
    response = api.call(MESSAGES_PATH, message(), timestamp=changed, sign_timestamp=stamp)
    assert response.body["responseCode"] == "4019000"


def test_a_changed_token_is_an_invalid_token(api):
    token = api.get_token()
    response = api.call(MESSAGES_PATH, message(), access_token=token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert (response.status_code, response.body["responseCode"]) == (401, "4019001")


@pytest.mark.parametrize("seconds, code", [(300, "2009000"), (-300, "2009000"), (301, "4019000"), (-301, "4019000")])
def test_the_timestamp_window_is_300_seconds_either_way(api, seconds, code):
    now = timezone.now().replace(microsecond=0)
    with time_machine.travel(now, tick=False):
        stamp = signing.format_timestamp(now + dt.timedelta(seconds=seconds))
        response = api.call(MESSAGES_PATH, message(), timestamp=stamp)
    assert response.body["responseCode"] == code


def test_a_missing_token_is_an_invalid_token(api):
    response = api.call(MESSAGES_PATH, message(), headers_override={"Authorization": None})
    assert (response.status_code, response.body) == (401, {"responseCode": "4019001",
                                                           "responseMessage": "Invalid Token (B2B)"})


def test_an_expired_token_is_an_invalid_token(api):
    token = api.get_token()
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=901)):
        response = api.call(MESSAGES_PATH, message(), access_token=token)
    assert response.body["responseCode"] == "4019001"


def test_another_clients_token_is_an_invalid_token(api, company, keypair, wsgi_transport):
    other = make_client(company, signing.generate_rsa_keypair(), wsgi_transport)
    response = api.call(MESSAGES_PATH, message(), access_token=other.get_token())
    assert response.body["responseCode"] == "4019001"


def test_a_revoked_credential_can_neither_call_nor_get_a_token(api):
    from snap.credentials import credential_revoke

    api.get_token()
    credential_revoke(credential=api.credential, actor=None)
    assert create(api).body["responseCode"] == "4019001"
    assert api.request_token().body["responseCode"] == "4017300"


def test_an_address_outside_the_allow_list_is_unauthorized(company, registration, keypair, wsgi_transport):
    fenced = make_client(company, keypair, wsgi_transport, ip_allowlist="203.0.113.0/24")
    assert fenced.request_token().body["responseCode"] == "4017300"
    allowed = make_client(company, signing.generate_rsa_keypair(), wsgi_transport,
                          ip_allowlist="203.0.113.0/24\n127.0.0.1")
    assert create(allowed).body["responseCode"] == "2009000"


# --- Business refusals --------------------------------------------------------------


def test_an_unregistered_biller_code_is_not_allowed(api):
    response = create(api, billerCode="99999")
    assert (response.status_code, response.body["responseCode"]) == (403, "4039001")
    assert "99999" in response.body["responseMessage"]


def test_another_companys_biller_code_is_not_allowed(api):
    registered_code(CompanyFactory(), code="55555")
    assert create(api, billerCode="55555").body["responseCode"] == "4039001"


def test_a_stopped_biller_code_is_not_allowed(api, registration):
    Registration.objects.filter(pk=registration.pk).update(status=Registration.Status.STOPPED)
    response = create(api)
    assert response.body["responseCode"] == "4039001" and "stopped" in response.body["responseMessage"]


def test_without_quota_the_bill_is_refused_and_nothing_is_kept(api, registration):
    for number in range(10):
        assert create(api, partnerReferenceNo=f"INV-{number}", billKey=f"K{number}").status_code == 200
    response = create(api, partnerReferenceNo="INV-11", billKey="K11")
    assert (response.status_code, response.body) == (403, {"responseCode": "4039014",
                                                           "responseMessage": "Insufficient Quota"})
    assert Bill.objects.count() == 10
    assert quota_summary(registration)["available"] == 0


def test_a_second_active_reminder_for_a_bill_key_is_a_conflict(api):
    create(api)
    response = create(api, partnerReferenceNo="INV-OTHER")
    assert (response.status_code, response.body["responseCode"]) == (409, "4099000")
    assert "1234567890" in response.body["responseMessage"]


def test_a_bill_key_may_be_reminded_again_once_the_first_ended(api):
    first = create(api).body
    api.cancel(reference_no=first["referenceNo"], reason="wrong amount")
    assert create(api, partnerReferenceNo="INV-RETRY").body["responseCode"] == "2009000"


def test_a_used_partner_reference_is_a_duplicate(api):
    create(api)
    response = create(api, billKey="999")
    assert (response.status_code, response.body) == (409, {"responseCode": "4099001",
                                                           "responseMessage": "Duplicate partnerReferenceNo"})


def test_a_rate_limit_answers_too_many_requests(company, registration, keypair, wsgi_transport):
    limited = make_client(company, keypair, wsgi_transport)
    type(limited.credential).objects.filter(pk=limited.credential.pk).update(rate_limit_per_minute=2)
    codes = [limited.quota_inquiry("89123").body["responseCode"] for _ in range(3)]
    assert codes == ["2009300", "2009300", "4299300"]


def test_an_unexpected_failure_is_a_general_error_without_a_trace(api, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("reminders.services.bills_insert", explode)
    response = create(api)
    assert (response.status_code, response.body) == (500, {"responseCode": "5009000",
                                                           "responseMessage": "General Error"})
    assert "disk on fire" not in response.text


# --- Idempotency ---------------------------------------------------------------------


def test_a_replayed_external_id_returns_the_stored_answer_and_creates_nothing(api):
    body = message()
    first = api.call(MESSAGES_PATH, body, external_id="202611250001")
    again = api.call(MESSAGES_PATH, body, external_id="202611250001")
    assert again.status_code == first.status_code == 200
    assert again.text == first.text
    assert Bill.objects.count() == 1


def test_a_replayed_refusal_is_replayed_too(api):
    body = message(billerCode="99999")
    first = api.call(MESSAGES_PATH, body, external_id="77")
    again = api.call(MESSAGES_PATH, body, external_id="77")
    assert (again.status_code, again.body) == (first.status_code, first.body)


def test_an_external_id_reused_with_another_body_is_a_conflict(api):
    api.call(MESSAGES_PATH, message(), external_id="42")
    response = api.call(MESSAGES_PATH, message(billKey="555", partnerReferenceNo="X"), external_id="42")
    assert (response.status_code, response.body["responseCode"]) == (409, "4099000")
    assert "same X-EXTERNAL-ID" in response.body["responseMessage"]
    assert Bill.objects.count() == 1


def test_an_external_id_may_be_used_again_the_next_day_in_jakarta(api):
    with time_machine.travel(dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC), tick=False):  # 23:00 WIB
        assert api.quota_inquiry("89123").status_code == 200
        first = api.call(QUOTA_PATH, {"billerCode": "89123"}, external_id="555")
        clash = api.call(QUOTA_PATH, {"billerCode": "12345"}, external_id="555")
    with time_machine.travel(dt.datetime(2026, 11, 30, 17, 30, tzinfo=dt.UTC), tick=False):  # 00:30 WIB
        api.forget_token()
        next_day = api.call(QUOTA_PATH, {"billerCode": "12345"}, external_id="555")
    assert first.body["responseCode"] == "2009300"
    assert clash.body["responseCode"] == "4099300"
    assert next_day.body["responseCode"] == "4039301", "processed afresh on the new day"


# --- Inquiry, cancel, quota --------------------------------------------------------------


def test_inquiry_by_either_reference_reports_status_and_livin_fields(api):
    created = create(api).body
    by_partner = api.inquiry(partner_reference_no="INV-2026-11-0001").body
    by_portal = api.inquiry(reference_no=created["referenceNo"]).body
    assert by_partner == by_portal
    assert by_portal["responseCode"] == "2009100"
    assert by_portal["status"] == "RECEIVED"
    assert by_portal["livinUser"] is None and by_portal["paidAt"] is None and by_portal["paidAmount"] is None


def test_inquiry_of_an_unknown_or_foreign_message_is_not_found(api, keypair, wsgi_transport):
    other_company = CompanyFactory()
    registered_code(other_company, code="66666")
    foreign = make_client(other_company, signing.generate_rsa_keypair(), wsgi_transport)
    theirs = create(foreign, billerCode="66666").body
    for response in (api.inquiry(reference_no="NOPE"), api.inquiry(reference_no=theirs["referenceNo"])):
        assert (response.status_code, response.body) == (404, {"responseCode": "4049101",
                                                               "responseMessage": "Transaction Not Found"})


def test_inquiry_needs_one_of_the_references(api):
    response = api.call(INQUIRY_PATH, {})
    assert response.body["responseCode"] == "4009102"


def test_cancel_releases_the_reserved_quota(api, registration):
    created = create(api).body
    response = api.cancel(partner_reference_no="INV-2026-11-0001", reason="customer paid at the counter")
    assert response.body["responseCode"] == "2009200" and response.body["status"] == "CANCELLED"
    assert quota_summary(registration) | {"low": None} == {"balance": 10, "reserved": 0, "available": 10,
                                                          "low": None}
    assert Bill.objects.get(reference_no=created["referenceNo"]).status == BillStatus.CANCELLED


def test_cancel_of_an_unknown_message_is_not_found(api):
    assert api.cancel(reference_no="NOPE", reason="x").body["responseCode"] == "4049201"


def test_cancel_of_a_bill_no_longer_active_is_an_invalid_status(api):
    created = create(api).body
    api.cancel(reference_no=created["referenceNo"], reason="first")
    response = api.cancel(reference_no=created["referenceNo"], reason="second")
    assert (response.status_code, response.body["responseCode"]) == (404, "4049200")


def test_cancel_of_a_paid_bill_says_it_is_paid(api):
    created = create(api).body
    bill = Bill.objects.get(reference_no=created["referenceNo"])
    bill_transition(bill=bill, to_status=BillStatus.PAID, reason="paid in Livin'", paid_at=timezone.now(),
                    paid_amount=bill.amount)
    response = api.cancel(reference_no=created["referenceNo"], reason="too late")
    assert response.body == {"responseCode": "4049214", "responseMessage": "Paid Bill"}


def test_quota_inquiry_reports_balance_reserved_and_available(api):
    create(api)
    body = api.quota_inquiry("89123").body
    assert body == {"responseCode": "2009300", "responseMessage": "Successful", "billerCode": "89123",
                    "balance": 10, "reserved": 1, "available": 9}


def test_quota_inquiry_of_an_unregistered_code_is_not_allowed(api):
    assert api.quota_inquiry("12345").body["responseCode"] == "4039301"


def test_every_error_answer_is_json_with_code_and_message(api):
    response = api.call(CANCEL_PATH, {"reason": "no reference"})
    assert set(response.body) == {"responseCode", "responseMessage"}
    assert len(response.body["responseMessage"]) <= 150


@pytest.mark.parametrize("field, value", [("endDate", "9999-12-31T23:59:59+07:00"),
                                          ("startDate", "0001-01-01T00:00:00+07:00")])
def test_a_date_at_the_end_of_the_calendar_is_refused_not_a_crash(api, field, value):
    response = create(api, **{field: value})
    assert (response.status_code, response.body["responseCode"]) == (400, "4009001")
    assert response.body["responseMessage"] == (
        f"Invalid Field Format {field} ({value} is outside the years 2000 to 2099 that a bill can be shown in)")
    assert not Bill.objects.exists()
