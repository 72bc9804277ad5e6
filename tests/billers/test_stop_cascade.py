"""Stopping a code's service ends its active bills and gives their reserved quota back."""


import pytest

from billers.registrations import service_change_approve, service_change_request
from core.errors import NotAllowed
from quota.selectors import quota_summary
from reminders.models import Bill, BillStatus
from tests.factories import UserFactory, make_bill, registered_code

pytestmark = pytest.mark.django_db


def test_an_approved_stop_cancels_the_codes_bills_releases_their_quota_and_refuses_new_ones(company):
    registration = registered_code(company, quota=10, code="89123")
    maker = UserFactory(company=company, is_maker=True)
    approver = UserFactory(company=company, is_maker=False, is_approver=True)
    bills = [make_bill(registration, n) for n in (1, 2)]
    assert quota_summary(registration)["reserved"] == 2

    change = service_change_request(registration=registration, action="stop", actor=maker)
    assert set(Bill.objects.values_list("status", flat=True)) == {BillStatus.RECEIVED}  # not before approval
    service_change_approve(change=change, approver=approver)

    assert set(Bill.objects.filter(pk__in=[b.pk for b in bills]).values_list("status", flat=True)) == {
        BillStatus.CANCELLED}
    summary = quota_summary(registration)
    assert (summary["balance"], summary["reserved"]) == (10, 0)
    registration.refresh_from_db()
    with pytest.raises(NotAllowed, match="89123 is stopped"):
        make_bill(registration, 3)
