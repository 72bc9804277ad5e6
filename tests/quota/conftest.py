"""A company with a tariff, a registered code 89123 and a user per role, as the demo has."""

from decimal import Decimal

import pytest

from billers.registrations import registration_create
from tests.conftest import sign_in
from tests.factories import AgreementFactory, BillerCodeFactory, PackageFactory, UserFactory


@pytest.fixture
def agreement(company):
    """Rp 350 per push, 11% tax, 1,000 pushes on registration, top-ups of 100 or more."""
    agreement = AgreementFactory(company=company)
    PackageFactory(agreement=agreement, name="1,000 pushes", units=1000, price=Decimal("350000.00"))
    PackageFactory(agreement=agreement, name="10,000 pushes", units=10000, price=Decimal("3250000.00"))
    return agreement


@pytest.fixture
def maker(company):
    return UserFactory(company=company, user_id="made", full_name="Made Maker", is_maker=True)


@pytest.fixture
def approver(company):
    return UserFactory(company=company, user_id="putri", full_name="Putri Approver", is_maker=False,
                       is_approver=True)


@pytest.fixture
def viewer(company):
    return UserFactory(company=company, user_id="vino", is_maker=False, is_viewer=True)


@pytest.fixture
def registration(company, agreement, company_admin):
    """89123, registered through the service: 1,000 pushes granted."""
    code = BillerCodeFactory(company=company, code="89123", name="Tagihan Air Bersih")
    return registration_create(company=company, biller_code=code, actor=company_admin)


@pytest.fixture
def core_account(registration):
    """The company's account at the sandbox bank, with Rp 1,000,000."""
    from livin.models import CoreAccount

    return CoreAccount.objects.create(account_number=registration.biller_code.collection_account.account_number,
                                      balance=Decimal("1000000.00"))


@pytest.fixture
def as_user(client_factory):
    """A signed-in browser for ``user``: ``as_user(maker).get(...)``."""

    def browser(user):
        return sign_in(client_factory(), user)

    return browser
