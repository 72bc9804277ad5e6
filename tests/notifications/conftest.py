import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests import factories
from tests.factories import registered_code

USER_PHONE = "+6281234567890"
OTHER_USER_PHONE = "+6281111111111"
NON_USER_PHONE = "+6289999999999"


@pytest.fixture
def registration(company):
    return registered_code(company, quota=100, code="89123")


@pytest.fixture
def livin_users(db):
    from livin.models import LivinUser

    for phone in (USER_PHONE, OTHER_USER_PHONE):
        LivinUser.objects.create(phone=phone, name="Budi")


@pytest.fixture
def make_bill(registration, livin_users):
    counter = iter(range(1, 10_000))

    def make(*, phone=USER_PHONE, start=None, end=None, amount="150000.00", registration_=None):
        now = timezone.now()
        return factories.make_bill(
            registration_ or registration, next(counter), payer_phone=phone, amount=Decimal(amount),
            start_at=start or now - dt.timedelta(minutes=1), end_at=end or now + dt.timedelta(days=3),
        )

    return make
