"""The HTTP Livin' client against the sandbox served over real HTTP."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from livin import display
from livin.models import DisplayedBill, Notification
from notifications.gateway import HttpLivinGateway, PermanentGatewayError, PushRequest, TemporaryGatewayError
from reminders.models import BillStatus
from tests.notifications.conftest import NON_USER_PHONE, USER_PHONE
from tests.notifications.test_delivery import run_scheduler

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def gateway(live_server_fresh_connections, settings, livin_users):
    return HttpLivinGateway(live_server_fresh_connections.url, settings.LIVIN_PARTNER_ID, settings.LIVIN_SECRET,
                            timeout=5, retries=1)


def request(reference="REF0001"):
    now = timezone.now()
    return PushRequest(reference=reference, phone=USER_PHONE, biller_code="89123", biller_name="PDAM",
                       bill_key="123", payer_name="Budi", amount=Decimal("150000.00"), description="Air",
                       start_at=now - dt.timedelta(minutes=1), end_at=now + dt.timedelta(days=1))


def test_lookup_push_and_withdraw_over_http(gateway):
    assert gateway.lookup_users([USER_PHONE, NON_USER_PHONE]) == {USER_PHONE: True, NON_USER_PHONE: False}
    assert gateway.push_bills([request()]) == {"REF0001": "pushed"}
    assert gateway.push_bills([request()]) == {"REF0001": "pushed"}
    assert Notification.objects.count() == 1
    # The request carries no language: the bank writes in the language of the payer's app.
    assert Notification.objects.get().title == "Tagihan baru dari PDAM"
    assert display.bills_shown(USER_PHONE).count() == 1
    gateway.withdraw_bill("REF0001")
    assert display.bills_shown(USER_PHONE).count() == 0


def test_an_injected_outage_is_a_temporary_error(gateway):
    display.fault_set(operation="push", outage=True)
    with pytest.raises(TemporaryGatewayError, match="503"):
        gateway.push_bills([request()])
    assert not DisplayedBill.objects.exists()


def test_a_wrongly_signed_request_is_refused_for_good(gateway):
    gateway.secret = "not-the-shared-secret"
    with pytest.raises(PermanentGatewayError, match="401"):
        gateway.lookup_users([USER_PHONE])


def test_a_server_that_does_not_answer_is_a_temporary_error(settings):
    from tests.conftest import free_port

    unreachable = HttpLivinGateway(f"http://127.0.0.1:{free_port()}", "p", "s", timeout=1, retries=0)
    with pytest.raises(TemporaryGatewayError):
        unreachable.lookup_users([USER_PHONE])


def test_the_scheduler_delivers_through_the_http_gateway(live_server_fresh_connections, settings, make_bill):
    settings.LIVIN_GATEWAY = "notifications.gateway.HttpLivinGateway"
    settings.LIVIN_BASE_URL = live_server_fresh_connections.url
    bill = make_bill()
    run_scheduler()
    bill.refresh_from_db()
    assert bill.status == BillStatus.DISPLAYED
    assert DisplayedBill.objects.get().reference == bill.reference_no
