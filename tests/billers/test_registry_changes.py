"""The MBC registry is the truth: a code it makes inactive or open payment takes no new bill,
and its service stops when bank staff make that change."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from billers.models import BillerCode, Registration
from core.errors import NotAllowed
from core.models import AuditEvent
from quota.selectors import quota_summary
from reminders import uploads
from reminders.models import Bill, BillStatus
from tests.conftest import sign_in
from tests.factories import StaffFactory, make_bill, registered_code
from tests.reminders.test_uploads import csv_file, row

pytestmark = pytest.mark.django_db

CHANGES = [
    ({"status": BillerCode.Status.INACTIVE}, "inactive in the MBC registry"),
    ({"payment_mechanism": BillerCode.PaymentMechanism.OPEN}, "uses open payment"),
]


@pytest.mark.parametrize("change, reason", CHANGES)
def test_the_console_and_an_upload_say_why(client, company, maker, change, reason):
    registration = registered_code(company, quota=5, code="70021")
    BillerCode.objects.filter(pk=registration.biller_code_id).update(**change)
    registration.refresh_from_db()
    sign_in(client, maker)
    response = client.post(reverse("bill_entry"), {"registration": registration.pk, "bill_key": "K1",
                                                   "payer_phone": "0812-3456-7890", "amount": "150000",
                                                   "end_date": "2027-01-31T10:00"})
    assert reason in response.content.decode()
    with pytest.raises(NotAllowed, match=reason):
        uploads.upload_receive(registration=registration, actor=maker,
                               uploaded_file=SimpleUploadedFile("bills.csv", csv_file(row("K1"))))
    assert not Bill.objects.exists()


@pytest.mark.parametrize("change, reason", CHANGES)
def test_bank_staff_changing_the_registry_stop_the_service_and_end_its_bills(client, company, change, reason):
    registration = registered_code(company, quota=10, code="70022")
    bills = [make_bill(registration, n) for n in (1, 2)]
    staff = StaffFactory(user_id="bankadmin")
    sign_in(client, staff)
    code = registration.biller_code
    form = {"code": code.code, "name": code.name, "company": company.pk,
            "collection_account": code.collection_account_id, "payment_mechanism": code.payment_mechanism,
            "status": code.status, **change}
    response = client.post(f"/admin/billers/billercode/{code.pk}/change/", form, follow=True)
    assert response.status_code == 200
    assert "is stopped" in response.content.decode()

    registration.refresh_from_db()
    assert registration.status == Registration.Status.STOPPED
    assert set(Bill.objects.filter(pk__in=[b.pk for b in bills]).values_list("status", flat=True)) == {
        BillStatus.CANCELLED}
    assert quota_summary(registration)["reserved"] == 0
    stopped = AuditEvent.objects.get(action="registration.stopped_by_registry")
    assert reason in stopped.text and stopped.actor == staff


def test_a_code_the_registry_refuses_cannot_be_resumed(company, maker):
    from billers.registrations import service_change_request

    registration = registered_code(company, quota=5, code="70023")
    Registration.objects.filter(pk=registration.pk).update(status=Registration.Status.STOPPED)
    BillerCode.objects.filter(pk=registration.biller_code_id).update(status=BillerCode.Status.INACTIVE)
    registration.refresh_from_db()
    with pytest.raises(NotAllowed, match="inactive in the MBC registry"):
        service_change_request(registration=registration, action="resume", actor=maker)
