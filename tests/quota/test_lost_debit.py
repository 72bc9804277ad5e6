"""A debit whose answer from the bank is lost: asked again until the bank answers, credited once."""

from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from livin.gateways import SandboxPaymentsGateway
from livin.models import CoreAccount, CoreDebit
from quota import selectors
from quota.models import LedgerEntry, TopUpOrder
from quota.payments import BankUnavailable
from quota.tasks import settle_debits
from quota.topups import topup_request, topups_expire, topups_settle_debits

pytestmark = pytest.mark.django_db


class FlakyBank(SandboxPaymentsGateway):
    """The sandbox bank behind a line that drops answers: ``lost`` replies after debiting, ``down`` before."""

    lost = 0
    down = 0

    def debit(self, **kwargs):
        if FlakyBank.down:
            FlakyBank.down -= 1
            raise BankUnavailable("connection refused")
        result = super().debit(**kwargs)
        if FlakyBank.lost:
            FlakyBank.lost -= 1
            raise BankUnavailable("read timed out")
        return result


@pytest.fixture
def flaky_bank(settings, company):
    settings.PAYMENTS_GATEWAY = f"{__name__}.FlakyBank"
    FlakyBank.lost = FlakyBank.down = 0
    company.approval_for_topup = False
    company.save()
    yield FlakyBank
    FlakyBank.lost = FlakyBank.down = 0


def _later(minutes):
    return time_machine.travel(timezone.now() + timezone.timedelta(minutes=minutes))


def test_a_debit_made_but_unanswered_is_credited_once_when_asked_again(flaky_bank, registration, maker,
                                                                       core_account, as_user):
    flaky_bank.lost = 1
    package = selectors.agreement_in_force(company=registration.company).packages.get(units=1000)

    response = as_user(maker).post(f"/quota/{registration.pk}/top-up/", {
        "package": str(package.pk), "method": "debit", "debit_account": core_account.account_number, "confirm": "1",
    }, follow=True)

    order = TopUpOrder.objects.get()
    page = response.content.decode()
    assert f"Top-up #{order.pk}: the bank has not answered the debit yet." in page
    assert "It is asked again every minute" in page
    assert order.status == TopUpOrder.Status.AWAITING_PAYMENT
    # The bank did take the money; nothing is credited yet.
    assert CoreAccount.objects.get(pk=core_account.pk).balance == Decimal("1000000.00") - order.total
    assert selectors.quota_available(registration) == 1000

    assert topups_settle_debits() == 0  # the bank gets a minute to answer
    with _later(2):
        assert settle_debits() == 1
        assert topups_settle_debits() == 0

    order.refresh_from_db()
    assert order.status == TopUpOrder.Status.PAID
    assert order.payment_reference == CoreDebit.objects.get(reference=order.reference).transaction_id
    assert CoreDebit.objects.filter(reference=order.reference).count() == 1
    assert CoreAccount.objects.get(pk=core_account.pk).balance == Decimal("1000000.00") - order.total
    assert selectors.quota_available(registration) == 2000
    assert LedgerEntry.objects.filter(account__registration=registration, kind="topup").count() == 1


def test_a_bank_down_for_a_while_is_asked_each_minute_until_it_answers(flaky_bank, registration, maker,
                                                                       core_account):
    flaky_bank.down = 3  # the first ask and two retries fail before the bank does anything
    order = topup_request(registration=registration, actor=maker, method="debit", units=100,
                          debit_account=core_account.account_number)
    assert order.status == TopUpOrder.Status.AWAITING_PAYMENT
    assert not CoreDebit.objects.exists()

    for minutes in (2, 4):
        with _later(minutes):
            assert topups_settle_debits() == 0
    assert flaky_bank.down == 0 and not CoreDebit.objects.exists()
    with _later(6):
        assert topups_settle_debits() == 1

    order.refresh_from_db()
    assert order.status == TopUpOrder.Status.PAID
    assert CoreDebit.objects.filter(reference=order.reference).count() == 1
    assert selectors.quota_available(registration) == 1100


def test_a_debit_order_waiting_for_the_bank_never_expires_uncredited(flaky_bank, registration, maker, core_account):
    flaky_bank.lost = 1
    order = topup_request(registration=registration, actor=maker, method="debit", units=100,
                          debit_account=core_account.account_number)

    with _later(25 * 60):
        assert topups_expire() == 0
        assert topups_settle_debits() == 1

    order.refresh_from_db()
    assert order.status == TopUpOrder.Status.PAID
    assert selectors.quota_available(registration) == 1100


def test_a_refusal_that_arrives_late_ends_the_order_refused(flaky_bank, registration, maker, core_account):
    flaky_bank.down = 1
    order = topup_request(registration=registration, actor=maker, method="debit", units=100,
                          debit_account=core_account.account_number)
    CoreAccount.objects.filter(pk=core_account.pk).update(balance=Decimal("10.00"))

    with _later(2):
        assert topups_settle_debits() == 1

    order.refresh_from_db()
    assert order.status == TopUpOrder.Status.REFUSED
    assert order.refusal_reason.startswith("Insufficient funds")
    assert selectors.quota_available(registration) == 1000
