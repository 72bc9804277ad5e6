"""Stopping a code's service ends its active bills and gives their reserved quota back."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from billers.registrations import service_change_approve, service_change_request
from core.errors import NotAllowed
from fileformat.rows import RowValues
from quota.selectors import quota_summary
from reminders.models import Bill, BillSource, BillStatus
from reminders.services import bill_create
from tests.factories import UserFactory, registered_code

pytestmark = pytest.mark.django_db


def _bill(registration, number):
    now = timezone.now()
    row = RowValues(row_number=1, bill_key=f"KEY{number}", payer_phone="+6281234567890", payer_name="Budi",
                    amount=Decimal("150000.00"), description="Tagihan air", start_at=now + dt.timedelta(days=1),
                    end_at=now + dt.timedelta(days=3), partner_reference_no=f"INV-{number}")
    return bill_create(registration=registration, row=row, source=BillSource.CONSOLE)


def test_an_approved_stop_cancels_the_codes_bills_releases_their_quota_and_refuses_new_ones(company):
    registration = registered_code(company, quota=10, code="89123")
    maker = UserFactory(company=company, is_maker=True)
    approver = UserFactory(company=company, is_maker=False, is_approver=True)
    bills = [_bill(registration, n) for n in (1, 2)]
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
        _bill(registration, 3)
