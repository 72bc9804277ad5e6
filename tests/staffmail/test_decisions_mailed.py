"""Every kind of decision on a maker's request (an upload, a top-up, a stop or resume; approved or turned
down) tells the maker by e-mail and on their dashboard: one message and one notice each."""

import pytest

from billers.registrations import service_change_approve, service_change_reject, service_change_request
from console.models import DecisionNotice
from quota.topups import topup_approve, topup_refuse, topup_request
from reminders.uploads import upload_approve, upload_reject
from staffmail.models import MailKind, MailOptOut, StaffMail
from tests.conftest import sign_in
from tests.console.test_approvals_queue import pending_upload
from tests.factories import AgreementFactory, UserFactory, registered_code

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def maker(company):
    return UserFactory(company=company, user_id="made", full_name="Made Maker", email="made@acme.example")


@pytest.fixture
def approver(company):
    return UserFactory(company=company, user_id="ana", full_name="Ana Approver", email="ana@acme.example",
                       is_maker=False, is_approver=True)


@pytest.fixture
def registration(company):
    AgreementFactory(company=company)
    return registered_code(company, quota=500, code="70001")


def decided_mail(maker, reference: str) -> StaffMail:
    return StaffMail.objects.get(user=maker, kind=MailKind.REQUEST_DECIDED, reference=reference)


def test_an_upload_approved_or_rejected_is_mailed_and_noticed(client_factory, maker, approver, registration,
                                                              django_capture_on_commit_callbacks):
    client = sign_in(client_factory(), maker)
    second = pending_upload(client, registration, django_capture_on_commit_callbacks)
    upload_reject(upload=second, approver=approver, reason="Wrong month")
    first = pending_upload(client, registration, django_capture_on_commit_callbacks)  # the same bills, again
    upload_approve(upload=first, approver=approver)

    approved = decided_mail(maker, f"upload:{first.pk}:decided")
    assert approved.subject == f"Approved: upload #{first.pk} of 70001 (bills.csv)"
    rejected = decided_mail(maker, f"upload:{second.pk}:decided")
    assert rejected.subject == f"Turned down: upload #{second.pk} of 70001 (bills.csv)"
    assert "Wrong month" in rejected.body
    assert set(DecisionNotice.objects.filter(user=maker).values_list("number", "approved", "reason")) == {
        (first.pk, True, ""), (second.pk, False, "Wrong month")}


@pytest.mark.sandbox  # an approved top-up's virtual account is opened at the sandbox bank
def test_a_top_up_approved_or_refused_is_mailed_and_noticed(maker, approver, registration):
    first = topup_request(registration=registration, actor=maker, method="va", units=100)
    second = topup_request(registration=registration, actor=maker, method="va", units=200)
    topup_approve(order=first, approver=approver)
    topup_refuse(order=second, approver=approver, reason="Too many")

    assert decided_mail(maker, f"topuporder:{first.pk}:decided").subject.startswith("Approved: top-up")
    refused = decided_mail(maker, f"topuporder:{second.pk}:decided")
    assert refused.subject.startswith("Turned down: top-up") and "Too many" in refused.body
    assert set(DecisionNotice.objects.filter(user=maker).values_list("what", "number", "approved")) == {
        ("topup", first.pk, True), ("topup", second.pk, False)}


def test_a_stop_approved_and_a_resume_rejected_are_mailed_and_noticed(maker, approver, registration):
    stop = service_change_request(registration=registration, action="stop", actor=maker)
    service_change_approve(change=stop, approver=approver)
    resume = service_change_request(registration=registration, action="resume", actor=maker)
    service_change_reject(change=resume, approver=approver)

    assert decided_mail(maker, f"servicechangerequest:{stop.pk}:decided").subject == (
        "Approved: stop the service of biller code 70001")
    assert decided_mail(maker, f"servicechangerequest:{resume.pk}:decided").subject == (
        "Turned down: resume the service of biller code 70001")
    assert set(DecisionNotice.objects.filter(user=maker).values_list("what", "approved")) == {
        ("service_stop", True), ("service_resume", False)}


def test_a_maker_who_switched_the_e_mail_off_still_sees_the_notice(maker, approver, registration):
    MailOptOut.objects.create(user=maker, kind=MailKind.REQUEST_DECIDED)
    stop = service_change_request(registration=registration, action="stop", actor=maker)
    service_change_reject(change=stop, approver=approver)
    assert not StaffMail.objects.filter(user=maker, kind=MailKind.REQUEST_DECIDED).exists()
    assert DecisionNotice.objects.filter(user=maker, number=stop.pk, approved=False).exists()
