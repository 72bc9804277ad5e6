"""Fields the Open API does not define are ignored: a body cannot choose the company, the
status, the quota or the portal's reference of what it creates."""

import pytest

from billers.models import Company
from quota.selectors import ledger_mismatches, quota_summary
from reminders.models import Bill, BillStatus
from snap.client import CANCEL_PATH, MESSAGES_PATH, QUOTA_PATH
from tests.factories import CompanyFactory, registered_code
from tests.reminders.test_api import message

pytestmark = pytest.mark.django_db


def hostile(other: Company, other_registration) -> dict:
    return {
        "company": other.pk, "companyId": other.company_id, "company_id": other.pk, "status": "PAID",
        "referenceNo": "CHOSEN-BY-CALLER", "quota": 999999, "balance": 999999, "reserved": 0, "available": 999999,
        "livinUser": True, "displayedAt": "2026-01-01T00:00:00+07:00", "paidAt": "2026-01-01T00:00:00+07:00",
        "paidAmount": {"value": "1.00", "currency": "IDR"}, "registration": other_registration.pk,
        "is_staff": True, "is_superuser": True, "createdBy": 1,
    }


def test_a_message_with_extra_fields_is_created_for_the_credentials_company_as_received(api, company, registration):
    other = CompanyFactory(company_id="VICTIM9")
    other_registration = registered_code(other, quota=10, code="77777")
    extra = hostile(other, other_registration)
    response = api.call(MESSAGES_PATH, {**message(additionalInfo=extra), **extra})

    assert response.body["responseCode"] == "2009000", response.body
    assert response.body["status"] == "RECEIVED" and response.body["referenceNo"] != "CHOSEN-BY-CALLER"
    bill = Bill.objects.get()
    assert (bill.company, bill.registration, bill.status) == (company, registration, BillStatus.RECEIVED)
    assert bill.livin_user is None and bill.displayed_at is None and bill.paid_at is None
    assert quota_summary(registration) | {"low": None} == {"balance": 10, "reserved": 1, "available": 9,
                                                          "low": None}
    assert quota_summary(other_registration)["reserved"] == 0
    assert ledger_mismatches() == []


def test_quota_inquiry_and_cancel_ignore_extra_fields(api, registration):
    other = CompanyFactory(company_id="VICTIM9")
    other_registration = registered_code(other, quota=10, code="77777")
    extra = hostile(other, other_registration)
    created = api.call(MESSAGES_PATH, message()).body
    quota = api.call(QUOTA_PATH, {"billerCode": "89123", **extra}).body
    assert (quota["balance"], quota["reserved"]) == (10, 1)

    cancelled = api.call(CANCEL_PATH, {**extra, "referenceNo": created["referenceNo"], "reason": "x"}).body
    assert cancelled["status"] == "CANCELLED"
    assert Bill.objects.get().status == BillStatus.CANCELLED
    assert quota_summary(registration)["reserved"] == 0 and quota_summary(other_registration)["balance"] == 10


def test_another_companys_biller_code_in_the_body_is_refused(api):
    other = CompanyFactory(company_id="VICTIM9")
    registered_code(other, quota=10, code="77777")
    response = api.call(MESSAGES_PATH, message(billerCode="77777"))
    assert (response.status_code, response.body["responseCode"]) == (403, "4039001")
    assert not Bill.objects.exists()
