"""Registering biller codes for Bill Reminder, and stopping or resuming their service."""

import pytest

from billers.approvals import ensure_can_approve
from billers.models import BillerCode, CollectionAccount, Registration, ServiceChangeRequest
from billers.registrations import (
    registration_create,
    service_change_approve,
    service_change_cancel,
    service_change_reject,
    service_change_request,
)
from core.errors import Conflict, NotAllowed
from core.models import AuditEvent
from quota.models import LedgerEntry
from quota.selectors import quota_available
from quota.services import quota_grant
from tests.conftest import sign_in
from tests.factories import (
    AgreementFactory,
    BillerCodeFactory,
    CollectionAccountFactory,
    RegistrationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def agreement(company):
    return AgreementFactory(company=company, initial_quota=1000)



def _refusal(company, admin, **code_fields) -> str:
    code = BillerCodeFactory(company=company, **code_fields)
    with pytest.raises(NotAllowed) as refused:
        registration_create(company=company, biller_code=code, actor=admin)
    assert not Registration.objects.filter(biller_code=code).exists()
    return refused.value.message


def test_registering_a_code_grants_the_initial_quota_of_the_agreement(company, company_admin, agreement):
    code = BillerCodeFactory(company=company, code="89123")

    registration = registration_create(company=company, biller_code=code, actor=company_admin)

    assert registration.status == Registration.Status.ACTIVE and registration.registered_by == company_admin
    assert quota_available(registration) == 1000
    grant = LedgerEntry.objects.get(account__registration=registration)
    assert (grant.kind, grant.units, grant.reference) == ("grant", 1000, f"registration:{registration.pk}:initial")
    assert AuditEvent.objects.filter(action="registration.created", company=company).exists()


def test_the_initial_quota_is_granted_once(company, company_admin, agreement):
    registration = registration_create(company=company, biller_code=BillerCodeFactory(company=company),
                                       actor=company_admin)

    quota_grant(registration=registration, units=1000, reference=f"registration:{registration.pk}:initial")

    assert quota_available(registration) == 1000
    assert LedgerEntry.objects.filter(kind="grant").count() == 1


def test_a_code_is_registered_only_once(company, company_admin, agreement):
    code = BillerCodeFactory(company=company, code="89123")
    registration_create(company=company, biller_code=code, actor=company_admin)

    with pytest.raises(NotAllowed, match="Biller code 89123 is already registered."):
        registration_create(company=company, biller_code=code, actor=company_admin)


def test_an_open_payment_code_is_refused_because_bill_reminder_needs_closed_payment(company, company_admin, agreement):
    message = _refusal(company, company_admin, code="89125", payment_mechanism=BillerCode.PaymentMechanism.OPEN)
    assert message == ("Biller code 89125 uses open payment; Bill Reminder needs closed payment, "
                       "where the exact amount is due.")


def test_an_inactive_code_is_refused(company, company_admin, agreement):
    message = _refusal(company, company_admin, code="89126", status=BillerCode.Status.INACTIVE)
    assert message == "Biller code 89126 is inactive in the MBC registry."


def test_a_code_on_a_closed_collection_account_is_refused(company, company_admin, agreement):
    account = CollectionAccountFactory(company=company, account_number="1230000000999",
                                       status=CollectionAccount.Status.CLOSED)
    message = _refusal(company, company_admin, code="89127", collection_account=account)
    assert message == "The collection account 1230000000999 of biller code 89127 is closed."


def test_a_code_on_another_companys_collection_account_is_refused(company, other_company, company_admin, agreement):
    foreign_account = CollectionAccountFactory(company=other_company)
    message = _refusal(company, company_admin, code="89128", collection_account=foreign_account)
    assert message == "The collection account of biller code 89128 belongs to another company."


def test_another_companys_code_is_refused(company, other_company, company_admin, agreement):
    code = BillerCodeFactory(company=other_company, code="89129")
    with pytest.raises(NotAllowed, match="Biller code 89129 belongs to another company."):
        registration_create(company=company, biller_code=code, actor=company_admin)


def test_a_code_without_a_tariff_in_force_is_refused(company, company_admin):
    message = _refusal(company, company_admin, code="89130")
    assert message == "No tariff agreement is in force for biller code 89130; ask the bank."


def test_the_codes_page_lists_each_code_with_its_state_and_lets_the_admin_register(
        admin_client, company, agreement):
    BillerCodeFactory(company=company, code="89123")
    BillerCodeFactory(company=company, code="89125", payment_mechanism=BillerCode.PaymentMechanism.OPEN)
    BillerCodeFactory(company=CollectionAccountFactory().company, code="70999")  # someone else's

    page = admin_client.get("/codes/").content.decode()
    assert "89123" in page and "89125" in page and "70999" not in page
    assert "uses open payment" in page

    code = BillerCode.objects.get(code="89123")
    response = admin_client.post(f"/codes/{code.pk}/register/", follow=True)
    assert "Biller code 89123 is registered for Bill Reminder with 1,000 pushes." in response.content.decode()

    refused = BillerCode.objects.get(code="89125")
    response = admin_client.post(f"/codes/{refused.pk}/register/", follow=True)
    assert "uses open payment" in response.content.decode()
    assert not Registration.objects.filter(biller_code=refused).exists()


def test_only_an_admin_registers_codes(client, company, maker, agreement):
    code = BillerCodeFactory(company=company)
    sign_in(client, maker)
    assert client.post(f"/codes/{code.pk}/register/").status_code == 403
    assert not Registration.objects.exists()


# --- Four eyes ----------------------------------------------------------------------------


def test_nobody_approves_their_own_request(company):
    both = UserFactory(company=company, is_maker=True, is_approver=True)
    with pytest.raises(NotAllowed, match="another approver must approve it"):
        ensure_can_approve(requested_by=both, approver=both)


def test_only_an_approver_of_the_same_company_approves(company, other_company, maker):
    with pytest.raises(NotAllowed, match="approver role"):
        ensure_can_approve(requested_by=maker, approver=UserFactory(company=company, is_maker=True))
    with pytest.raises(NotAllowed, match="same company"):
        ensure_can_approve(requested_by=maker, approver=UserFactory(company=other_company, is_approver=True))


# --- Stop service / resume ----------------------------------------------------------------


@pytest.fixture
def registration(company):
    return RegistrationFactory(company=company, biller_code__code="89123")


def test_a_stop_waits_for_an_approver_who_is_not_the_maker(company, registration, maker, approver):
    change = service_change_request(registration=registration, action="stop", actor=maker, reason="contract ends")
    registration.refresh_from_db()
    assert change.status == ServiceChangeRequest.Status.PENDING and registration.is_active

    with pytest.raises(NotAllowed):
        service_change_approve(change=change, approver=maker)

    service_change_approve(change=change, approver=approver)
    registration.refresh_from_db()
    assert registration.status == Registration.Status.STOPPED and registration.stopped_at is not None
    assert "approved by" in AuditEvent.objects.get(action="registration.stopped").text


def test_a_stop_applies_at_once_where_the_company_needs_no_approver(company, registration, maker):
    company.approval_for_stop = False
    company.save()

    change = service_change_request(registration=registration, action="stop", actor=maker)

    registration.refresh_from_db()
    assert change.status == ServiceChangeRequest.Status.APPLIED
    assert registration.status == Registration.Status.STOPPED


def test_a_stopped_code_resumes_after_approval(company, registration, maker, approver):
    service_change_approve(change=service_change_request(registration=registration, action="stop", actor=maker),
                           approver=approver)

    resume = service_change_request(registration=registration, action="resume", actor=maker)
    service_change_approve(change=resume, approver=approver)

    registration.refresh_from_db()
    assert registration.is_active and registration.stopped_at is None


def test_a_rejected_or_cancelled_request_changes_nothing(company, registration, maker, approver):
    service_change_reject(change=service_change_request(registration=registration, action="stop", actor=maker),
                          approver=approver)
    service_change_cancel(change=service_change_request(registration=registration, action="stop", actor=maker),
                          actor=maker)

    registration.refresh_from_db()
    assert registration.is_active
    assert list(ServiceChangeRequest.objects.order_by("pk").values_list("status", flat=True)) == [
        "rejected", "cancelled"]


def test_one_request_per_code_waits_at_a_time_and_state_must_fit(company, registration, maker):
    with pytest.raises(Conflict, match="is not stopped"):
        service_change_request(registration=registration, action="resume", actor=maker)
    service_change_request(registration=registration, action="stop", actor=maker)
    with pytest.raises(Conflict, match="already waiting for approval"):
        service_change_request(registration=registration, action="stop", actor=maker)


def test_stop_and_approval_through_the_console(client_factory, company, registration, maker, approver):
    maker_browser = sign_in(client_factory(), maker)
    approver_browser = sign_in(client_factory(), approver)

    response = maker_browser.post(f"/codes/registrations/{registration.pk}/stop/", {"reason": "moving"},
                                  follow=True)
    assert "Your request for 89123 waits for an approver." in response.content.decode()
    change = ServiceChangeRequest.objects.get()

    assert maker_browser.post(f"/codes/requests/{change.pk}/approve/").status_code == 403
    response = approver_browser.post(f"/codes/requests/{change.pk}/approve/", follow=True)
    assert "Request for 89123 approved and applied." in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == Registration.Status.STOPPED
    assert "Registered · stopped" in approver_browser.get("/codes/").content.decode()
