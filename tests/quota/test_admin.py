"""Bank staff in the admin: confirm a top-up payment by hand, adjust quota with a reason."""

import re

import pytest

from core.models import AuditEvent
from quota import selectors
from quota.models import LedgerEntry, TopUpOrder
from quota.topups import topup_approve, topup_request
from tests.conftest import sign_in
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = StaffFactory(user_id="bankadmin")
    sign_in(client, user)
    return user


@pytest.mark.sandbox  # a top-up paid at the sandbox bank
def test_staff_confirm_a_payment_by_hand_and_it_credits_once(client, staff, registration, maker, approver):
    order = topup_approve(order=topup_request(registration=registration, actor=maker, method="va", units=100),
                          approver=approver)

    for _ in range(2):
        response = client.post("/admin/quota/topuporder/", {"action": "confirm_payment_manually",
                                                             "_selected_action": [order.pk]}, follow=True)

    assert "already paid" not in response.content.decode()  # the same confirmation again is no news
    order.refresh_from_db()
    assert (order.status, order.payment_reference) == (TopUpOrder.Status.PAID, f"MANUAL-{order.pk}")
    assert selectors.quota_available(registration) == 1100
    event = AuditEvent.objects.get(action="topup.paid")
    assert event.actor == staff and event.text.startswith("bankadmin confirmed payment MANUAL-")


def test_a_staff_adjustment_needs_a_reason_and_is_booked_once(client, staff, registration):
    account = registration.quota_account
    form = client.get(f"/admin/quota/quotaaccount/{account.pk}/adjust/").content.decode()
    reference = re.search(r'name="reference" value="([^"]+)"', form).group(1)

    no_reason = client.post(f"/admin/quota/quotaaccount/{account.pk}/adjust/",
                            {"units": "-5", "reason": "", "reference": reference})
    assert no_reason.status_code == 200 and "This field is required." in no_reason.content.decode()

    for _ in range(2):  # a double submit of the same form
        client.post(f"/admin/quota/quotaaccount/{account.pk}/adjust/",
                    {"units": "-5", "reason": "granted twice by mistake", "reference": reference})

    assert selectors.quota_available(registration) == 995
    entry = LedgerEntry.objects.get(kind="adjust")
    assert (entry.units, entry.reason, entry.actor) == (-5, "granted twice by mistake", staff)
    assert AuditEvent.objects.filter(action="quota.adjust", actor=staff).count() == 1


def test_the_ledger_and_accounts_are_read_only_in_the_admin(client, staff, registration):
    entry = LedgerEntry.objects.get(account__registration=registration)
    assert client.get("/admin/quota/ledgerentry/add/").status_code == 403
    assert client.post(f"/admin/quota/ledgerentry/{entry.pk}/delete/").status_code == 403
    assert client.get(f"/admin/quota/quotaaccount/{registration.quota_account.pk}/change/").status_code == 200
    assert client.post(f"/admin/quota/quotaaccount/{registration.quota_account.pk}/change/",
                       {"balance": "999999"}).status_code == 403
    assert selectors.quota_available(registration) == 1000
