"""Bills a company's settings hold for an approver when its system sends them through the Open API
are decided in the approval queue, by code and day, with their count and total."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from billers.models import Company
from core.models import AuditEvent
from quota.selectors import quota_summary
from reminders.models import Bill, BillStatus
from tests.conftest import sign_in
from tests.reminders.test_api import message

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(api, company, registration):
    """Two bills sent on 1 December and one on 2 December (Jakarta), all waiting for an approver."""
    Company.objects.filter(pk=company.pk).update(approval_for_api=True)
    company.refresh_from_db()
    sent = []
    for day, number in ((1, 1), (1, 2), (2, 3)):
        with time_machine.travel(dt.datetime(2026, 12, day, 10, 0, tzinfo=dt.UTC), tick=False):
            response = api.create_message(**message(partnerReferenceNo=f"INV-A{number}", billKey=f"A{number}",
                                                    totalAmount={"value": f"{number}00000.00", "currency": "IDR"}))
        assert response.body["status"] == BillStatus.PENDING_APPROVAL, response.body
        sent.append(response.body["referenceNo"])
    return sent


def test_the_queue_lists_them_by_code_and_day_with_count_and_total(client, approver, waiting, registration):
    sign_in(client, approver)
    page = re.sub(r"\s+", " ", client.get(reverse("approval_queue")).content.decode())  # nbsp included
    assert "2 bills for Rp 300.000 in all" in page and "1 bill for Rp 300.000 in all" in page
    assert "sent on 01/12/2026" in page and "sent on 02/12/2026" in page
    assert "2 requests wait for you" in page


def test_approving_a_day_receives_its_bills(client, approver, waiting, registration):
    sign_in(client, approver)
    response = client.post(reverse("api_bills_decide", args=[registration.pk, "2026-12-01", "approve"]), follow=True)
    assert response.status_code == 200
    statuses = dict(Bill.objects.values_list("reference_no", "status"))
    assert [statuses[r] for r in waiting] == [BillStatus.RECEIVED, BillStatus.RECEIVED, BillStatus.PENDING_APPROVAL]
    line = AuditEvent.objects.get(action="bills.api_approved")
    assert line.actor == approver and "2 bills" in line.text and "Rp\u00a0300.000" in line.text
    assert quota_summary(registration)["reserved"] == 3


def test_rejecting_a_day_cancels_its_bills_and_gives_their_pushes_back(client, approver, waiting, registration):
    sign_in(client, approver)
    client.post(reverse("api_bills_decide", args=[registration.pk, "2026-12-02", "reject"]),
                {"reason": "sent twice"})
    assert Bill.objects.get(reference_no=waiting[2]).status == BillStatus.CANCELLED
    assert quota_summary(registration)["reserved"] == 2
    assert "sent twice" in AuditEvent.objects.get(action="bills.api_rejected").text


def test_only_an_approver_decides(client, maker, waiting, registration):
    sign_in(client, maker)
    response = client.post(reverse("api_bills_decide", args=[registration.pk, "2026-12-01", "approve"]))
    assert response.status_code == 403
    assert Bill.objects.filter(status=BillStatus.PENDING_APPROVAL).count() == 3
