"""The bank staff's overview of every company, in the admin."""

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from billers.models import Company
from notifications.models import CallbackEvent
from quota.models import TopUpOrder
from quota.services import quota_consume, quota_reserve
from reminders.models import Bill, BillStatus
from tests.conftest import sign_in
from tests.factories import AgreementFactory, CompanyFactory, StaffFactory, UserFactory, make_bill, registered_code

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 3, 3, 0, tzinfo=dt.UTC)  # 10:00 WIB


def _order(registration, requester, *, status, units=1000, **fields):
    subtotal = Decimal("350.00") * units
    tax = (subtotal * Decimal("0.11")).quantize(Decimal("0.01"))
    return TopUpOrder.objects.create(
        company=registration.company, registration=registration, agreement=AgreementFactory(
            company=registration.company), units=units, unit_price=Decimal("350.00"), subtotal=subtotal,
        tax_rate=Decimal("0.11"), tax=tax, total=subtotal + tax, requested_by=requester, status=status, **fields)


def _text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


@pytest.fixture
def world(company, other_company):
    """Two companies (one suspended), pushes today and last month, a paid and a waiting top-up,
    a low quota, a callback retried and a bill whose push is overdue."""
    with time_machine.travel(NOW, tick=False):
        CompanyFactory(company_id="SUSP03", status=Company.Status.SUSPENDED)
        maker = UserFactory(company=company, user_id="maker")
        water = registered_code(company, quota=1000, code="89123")
        gas = registered_code(other_company, quota=50, code="89124")  # below its warning level of 100
        for number in range(3):
            quota_reserve(registration=water, reference=f"push:{number}")
            quota_consume(registration=water, reference=f"push:{number}")
        _order(water, maker, status=TopUpOrder.Status.PAID, paid_at=timezone.now(), payment_reference="PAY1")
        _order(water, maker, status=TopUpOrder.Status.AWAITING_PAYMENT, units=100, method=TopUpOrder.Method.VA,
               va_number="8808000000001", expires_at=timezone.now() + dt.timedelta(hours=5))
        bill = make_bill(gas, 1)
        Bill.objects.filter(pk=bill.pk).update(status=BillStatus.SCHEDULED,
                                               next_push_at=timezone.now() - dt.timedelta(hours=1))
        CallbackEvent.objects.create(company=company, event="bill.paid", payload={}, external_id="cb-1",
                                     attempts=3, give_up_at=timezone.now() + dt.timedelta(hours=20))
    with time_machine.travel(NOW - dt.timedelta(days=40), tick=False):
        quota_reserve(registration=water, reference="push:old")
        quota_consume(registration=water, reference="push:old")
    return {"water": water, "gas": gas}


@pytest.fixture
def staff_client(client):
    return sign_in(client, StaffFactory(user_id="bankadmin"))


def test_staff_see_every_company_at_once_with_each_figure_linked(staff_client, world):
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        response = staff_client.get("/admin/overview/")
    assert response.status_code == 200
    page = response.content.decode()
    text = _text(response)

    assert re.search(r"Active 2 Suspended 1", text)
    assert 'href="/admin/billers/company/?status__exact=suspended"' in page
    assert re.search(r"Pushes delivered \(quota consumed\) Today 3 This month 3", text)
    # The top-up paid today: 1,000 pushes at Rp 350 plus 11% tax.
    assert re.search(r"Today 1 1,000 Rp\s350\.000 Rp\s38\.500 Rp\s388\.500", text)
    assert re.search(r"Rp\s350 per push \+ 11% tax 1 company", text)
    assert re.search(r"Callbacks being retried \(the biller's server refused them\) 1", text)
    assert re.search(r"Bills due for a push more than 15 minutes ago 1", text)
    assert re.search(r"Active codes below their warning level 1", text)
    assert "OTHER02" in text and "89124" in text
    assert re.search(r"Orders 1 Total to be paid Rp\s38\.850", text)
    for link in ("/admin/quota/ledgerentry/?kind__exact=consume", "/admin/quota/topuporder/?status__exact=paid",
                 "/admin/quota/quotaaccount/?low=yes", "/admin/notifications/callbackevent/?status__exact=pending",
                 "/admin/reminders/bill/?status__exact=SCHEDULED",
                 "/admin/quota/topuporder/?status__exact=awaiting_payment&amp;method__exact=va"):
        assert f'href="{link}' in page, link


def test_each_link_opens_the_list_of_just_the_rows_counted(staff_client, world):
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        page = staff_client.get("/admin/overview/").content.decode()

        def opened(start: str) -> str:
            url = re.search(rf'href="({re.escape(start)}[^"]*)"', page).group(1).replace("&amp;", "&")
            response = staff_client.get(url)
            assert response.status_code == 200, url
            return _text(response)

        pushes_today = opened("/admin/quota/ledgerentry/?kind__exact=consume")
        low = opened("/admin/quota/quotaaccount/?low=yes")
        overdue = opened("/admin/reminders/bill/?status__exact=SCHEDULED&amp;next_push_at__lt=")
    assert "3 ledger entries" in pushes_today
    assert "89124" in low and "89123" not in low
    assert "PT Other Gas" in overdue and "PT Acme Air" not in overdue


def test_the_overview_reads_in_indonesian(staff_client, world):
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        text = _text(staff_client.get("/admin/overview/"))
    assert "Ikhtisar semua perusahaan" in text and "Hari ini" in text and "Bulan ini" in text
    assert "Callbacks being retried" not in text and "This month" not in text


def test_the_overview_is_for_verified_bank_staff_only(client_factory, company):
    stranger = client_factory()
    assert stranger.get("/admin/overview/")["Location"].startswith("/admin/login/")
    company_user = sign_in(client_factory(), UserFactory(company=company, user_id="boss", is_admin=True))
    assert company_user.get("/admin/overview/")["Location"].startswith("/admin/login/")


def test_staff_without_the_permission_to_read_companies_and_top_ups_get_no_overview(client_factory):
    from django.contrib.auth.models import Permission

    clerk = StaffFactory(user_id="clerk", is_superuser=False)
    signed_in = sign_in(client_factory(), clerk)
    assert signed_in.get("/admin/overview/").status_code == 403
    assert "/admin/overview/" not in signed_in.get("/admin/").content.decode()

    clerk.user_permissions.add(*Permission.objects.filter(
        content_type__app_label__in=["billers", "quota"], codename__in=["view_company", "view_topuporder",
                                                                        "view_quotaaccount"]))
    signed_in = sign_in(client_factory(), clerk)
    assert signed_in.get("/admin/overview/").status_code == 200
    assert "/admin/overview/" in signed_in.get("/admin/").content.decode()
