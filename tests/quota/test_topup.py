"""Buying more pushes: order, approval, payment by virtual account or debit, receipt."""

import re
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from core.errors import Conflict, InvalidInput, NotAllowed
from core.models import AuditEvent
from livin.models import CoreAccount, VirtualAccountBill
from livin.services import PaymentRefused, va_pay
from quota import selectors
from quota.models import LedgerEntry, TopUpOrder
from quota.payments import va_payment_received
from quota.tasks import expire_topups
from quota.topups import (
    topup_approve,
    topup_cancel,
    topup_payment_confirmed,
    topup_refuse,
    topup_request,
    topups_expire,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _va_order(registration, maker, approver, units=1000):
    order = topup_request(registration=registration, actor=maker, method="va", units=units)
    return topup_approve(order=order, approver=approver)


def _topup_entries(registration):
    return LedgerEntry.objects.filter(account__registration=registration, kind="topup")


def test_the_price_is_the_agreement_in_force_when_ordered_with_tax(registration, maker):
    order = topup_request(registration=registration, actor=maker, method="va", units=1000)

    assert (order.unit_price, order.subtotal, order.tax, order.total) == (
        Decimal("350.00"), Decimal("350000.00"), Decimal("38500.00"), Decimal("388500.00"))
    assert order.status == TopUpOrder.Status.PENDING_APPROVAL


def test_a_package_is_priced_as_the_package(registration, maker, agreement):
    package = agreement.packages.get(units=10000)
    order = topup_request(registration=registration, actor=maker, method="va", package=package)
    assert (order.units, order.subtotal, order.total) == (10000, Decimal("3250000.00"), Decimal("3607500.00"))


def test_less_than_the_minimum_top_up_is_refused(registration, maker):
    with pytest.raises(InvalidInput, match="The minimum top-up is 100 pushes."):
        topup_request(registration=registration, actor=maker, method="va", units=99)


def test_a_later_tariff_change_does_not_change_an_order_already_made(registration, maker, agreement):
    order = topup_request(registration=registration, actor=maker, method="va", units=100)
    agreement.effective_to = timezone.now()
    agreement.save()
    agreement.pk = None
    agreement.unit_price, agreement.effective_from, agreement.effective_to = Decimal("500.00"), timezone.now(), None
    agreement.save()

    order.refresh_from_db()
    assert order.unit_price == Decimal("350.00")
    later = topup_request(registration=registration, actor=maker, method="va", units=100)
    assert later.unit_price == Decimal("500.00")


def test_the_maker_never_approves_their_own_top_up(company, registration):
    both = UserFactory(company=company, is_maker=True, is_approver=True)
    order = topup_request(registration=registration, actor=both, method="va", units=100)

    with pytest.raises(NotAllowed):
        topup_approve(order=order, approver=both)

    order.refresh_from_db()
    assert order.status == TopUpOrder.Status.PENDING_APPROVAL and order.va_number is None


def test_approval_opens_a_one_time_va_for_the_exact_total_for_24_hours(registration, maker, approver):
    with time_machine.travel("2026-11-20 09:00 +0700", tick=False):
        order = _va_order(registration, maker, approver)

    assert order.status == TopUpOrder.Status.AWAITING_PAYMENT and order.approved_by == approver
    assert re.fullmatch(r"88908\d{11}", order.va_number)
    assert timezone.localtime(order.expires_at).strftime("%Y-%m-%d %H:%M") == "2026-11-21 09:00"
    va = VirtualAccountBill.objects.get(va_number=order.va_number)
    assert (va.amount, va.expires_at) == (order.total, order.expires_at)


def test_a_confirmation_arriving_five_times_credits_the_quota_once(registration, maker, approver):
    order = _va_order(registration, maker, approver)

    for _ in range(5):
        va_payment_received(va_number=order.va_number, amount=order.total, payment_reference="SBX0001")

    assert selectors.quota_available(registration) == 2000
    assert _topup_entries(registration).count() == 1
    assert AuditEvent.objects.filter(action="topup.paid").count() == 1
    order.refresh_from_db()
    assert (order.status, order.payment_reference, order.paid_amount) == ("paid", "SBX0001", order.total)


def test_a_second_different_payment_of_a_paid_order_is_refused(registration, maker, approver):
    order = _va_order(registration, maker, approver)
    topup_payment_confirmed(order=order, amount=order.total, payment_reference="SBX0001")

    with pytest.raises(Conflict, match="already paid"):
        topup_payment_confirmed(order=order, amount=order.total, payment_reference="SBX0002")
    assert selectors.quota_available(registration) == 2000


def test_a_wrong_amount_is_refused_by_the_bank_and_by_the_portal(registration, maker, approver):
    order = _va_order(registration, maker, approver)

    with pytest.raises(PaymentRefused, match="takes exactly"):
        va_pay(va_number=order.va_number, amount=order.total - 1)
    with pytest.raises(InvalidInput, match="needs exactly"):
        topup_payment_confirmed(va_number=order.va_number, amount=order.total + 1, payment_reference="SBX9")

    order.refresh_from_db()
    assert order.status == TopUpOrder.Status.AWAITING_PAYMENT
    assert selectors.quota_available(registration) == 1000


def test_an_expired_order_credits_nothing(registration, maker, approver):
    order = _va_order(registration, maker, approver)

    with time_machine.travel(timezone.now() + timezone.timedelta(hours=25)):
        assert expire_topups() == 1
        with pytest.raises(PaymentRefused, match="has expired"):
            va_pay(va_number=order.va_number, amount=order.total)
        with pytest.raises(Conflict, match="expired; the payment is not credited"):
            topup_payment_confirmed(va_number=order.va_number, amount=order.total, payment_reference="LATE1")

    order.refresh_from_db()
    assert order.status == TopUpOrder.Status.EXPIRED
    assert selectors.quota_available(registration) == 1000
    assert not _topup_entries(registration).exists()


def test_an_order_is_not_expired_before_its_time_nor_once_paid(registration, maker, approver):
    paid = _va_order(registration, maker, approver)
    topup_payment_confirmed(order=paid, amount=paid.total, payment_reference="SBX1")
    waiting = _va_order(registration, maker, approver, units=100)

    assert topups_expire() == 0
    with time_machine.travel(timezone.now() + timezone.timedelta(hours=25)):
        assert topups_expire() == 1
    assert TopUpOrder.objects.get(pk=paid.pk).status == "paid"
    assert TopUpOrder.objects.get(pk=waiting.pk).status == "expired"


def test_a_refused_or_cancelled_order_credits_nothing(registration, maker, approver):
    refused = topup_refuse(order=topup_request(registration=registration, actor=maker, method="va", units=100),
                           approver=approver, reason="budget")
    cancelled = topup_cancel(order=topup_request(registration=registration, actor=maker, method="va", units=100),
                             actor=maker)

    assert (refused.status, refused.refusal_reason, cancelled.status) == ("refused", "budget", "cancelled")
    for order in (refused, cancelled):
        with pytest.raises(Conflict):
            topup_payment_confirmed(order=order, amount=order.total, payment_reference=f"X{order.pk}")
    assert selectors.quota_available(registration) == 1000


# --- Debit -------------------------------------------------------------------------------


def test_a_debit_is_taken_at_once_after_approval(registration, maker, approver, core_account):
    order = topup_request(registration=registration, actor=maker, method="debit", units=100,
                          debit_account=core_account.account_number)
    assert order.status == TopUpOrder.Status.PENDING_APPROVAL

    order = topup_approve(order=order, approver=approver)

    assert order.status == TopUpOrder.Status.PAID and order.payment_reference.startswith("SBX")
    core_account.refresh_from_db()
    assert core_account.balance == Decimal("1000000.00") - Decimal("38850.00")
    assert selectors.quota_available(registration) == 1100


def test_a_debit_with_insufficient_funds_is_refused_and_credits_nothing(company, registration, maker, core_account):
    company.approval_for_topup = False
    company.save()
    core_account.balance = Decimal("1000.00")
    core_account.save()

    order = topup_request(registration=registration, actor=maker, method="debit", units=100,
                          debit_account=core_account.account_number)

    assert order.status == TopUpOrder.Status.REFUSED
    assert order.refusal_reason.startswith(f"Insufficient funds in account {core_account.account_number}")
    assert CoreAccount.objects.get(pk=core_account.pk).balance == Decimal("1000.00")
    assert selectors.quota_available(registration) == 1000


def test_only_the_companys_active_accounts_can_be_debited(registration, maker):
    with pytest.raises(InvalidInput, match="active accounts"):
        topup_request(registration=registration, actor=maker, method="debit", units=100,
                      debit_account="9999999999999")


# --- Through the console, as a user would ----------------------------------------------


def test_va_top_up_end_to_end_through_the_console_and_the_sandbox_bank(registration, maker, approver, as_user,
                                                                       client_factory):
    maker_browser, approver_browser = as_user(maker), as_user(approver)

    page = maker_browser.get(f"/quota/{registration.pk}/top-up/").content.decode()
    assert "Rp\u00a0350 per push, plus 11% tax" in page  # "Rp" never ends a line on its own

    preview = maker_browser.post(f"/quota/{registration.pk}/top-up/", {"units": "1000", "method": "va"})
    assert "Rp\u00a0388.500" in preview.content.decode() and not TopUpOrder.objects.exists()

    response = maker_browser.post(f"/quota/{registration.pk}/top-up/",
                                  {"units": "1000", "method": "va", "package": "", "confirm": "1"}, follow=True)
    order = TopUpOrder.objects.get()
    assert f"Top-up #{order.pk} waits for an approver." in response.content.decode()

    detail = approver_browser.post(f"/quota/top-ups/{order.pk}/approve/", follow=True).content.decode()
    order.refresh_from_db()
    assert order.va_number in detail and "sandbox" in detail

    bank = client_factory()  # the payer's bank channel: no console sign-in
    shown = bank.get("/sandbox/pay/", {"va_number": order.va_number}).content.decode()
    assert "Rp\u00a0388.500" in shown
    paid = bank.post("/sandbox/pay/", {"va_number": order.va_number, "amount": "388500.00"}, follow=True)
    assert "Paid." in paid.content.decode()

    quota_page = maker_browser.get(f"/quota/{registration.pk}/").content.decode()
    assert re.search(r'id="quota-available">2,000<', quota_page)
    receipt = maker_browser.get(f"/quota/top-ups/{order.pk}/receipt/").content.decode()
    order.refresh_from_db()
    assert "Payment receipt" in receipt and order.payment_reference in receipt
    assert re.search(r'id="receipt-units">1,000', receipt) and "Rp\u00a0388.500" in receipt
    assert "<dt>Tax (11%)</dt>" in receipt and "0.11" not in receipt  # the rate as people read it
    assert re.search(r"<dt>Paid at</dt><dd>\d\d \w{3} \d{4} \d\d:\d\d:\d\d WIB</dd>", receipt)

    again = bank.post("/sandbox/pay/", {"va_number": order.va_number, "amount": "388500.00"})
    assert "already paid" in again.content.decode()
    assert _topup_entries(registration).count() == 1


def test_the_sandbox_page_refuses_a_wrong_amount(registration, maker, approver, client):
    order = _va_order(registration, maker, approver)

    page = client.post("/sandbox/pay/", {"va_number": order.va_number, "amount": "388499"}).content.decode()

    assert "This virtual account takes exactly Rp 388.500; Rp 388.499 was refused." in page
    assert selectors.quota_available(registration) == 1000


def test_a_receipt_exists_only_for_a_paid_top_up(registration, maker, approver, as_user):
    order = _va_order(registration, maker, approver)
    assert as_user(maker).get(f"/quota/top-ups/{order.pk}/receipt/").status_code == 404


def test_the_maker_cannot_approve_in_the_console_either(company, registration, as_user):
    both = UserFactory(company=company, is_maker=True, is_approver=True)
    order = topup_request(registration=registration, actor=both, method="va", units=100)

    response = as_user(both).post(f"/quota/top-ups/{order.pk}/approve/", follow=True)

    assert "another approver must approve it" in response.content.decode()
    assert TopUpOrder.objects.get(pk=order.pk).status == TopUpOrder.Status.PENDING_APPROVAL


def test_a_viewer_sees_top_ups_but_cannot_order_or_approve(registration, maker, viewer, as_user):
    order = topup_request(registration=registration, actor=maker, method="va", units=100)
    browser = as_user(viewer)

    assert browser.get("/quota/top-ups/").status_code == 200
    assert browser.get(f"/quota/{registration.pk}/top-up/").status_code == 403
    assert browser.post(f"/quota/top-ups/{order.pk}/approve/").status_code == 403


def test_debit_top_up_through_the_console_without_approval(company, registration, maker, core_account, as_user):
    company.approval_for_topup = False
    company.save()
    browser = as_user(maker)

    response = browser.post(f"/quota/{registration.pk}/top-up/", {
        "units": "", "package": "", "method": "debit", "debit_account": core_account.account_number,
    })
    assert "Choose a package or enter a number of pushes." in response.content.decode()

    package = selectors.agreement_in_force(company=company).packages.get(units=1000)
    response = browser.post(f"/quota/{registration.pk}/top-up/", {
        "package": str(package.pk), "method": "debit", "debit_account": core_account.account_number, "confirm": "1",
    }, follow=True)

    order = TopUpOrder.objects.get()
    assert f"Top-up #{order.pk} is paid: 1,000 pushes credited to 89123." in response.content.decode()
    assert selectors.quota_available(registration) == 2000
