import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from fileformat.rows import RowValues
from reminders.models import BillSource
from reminders.services import bill_create
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
        number = next(counter)
        row = RowValues(
            row_number=1, bill_key=f"KEY{number}", payer_phone=phone, payer_name="Budi", amount=Decimal(amount),
            description="Tagihan air", start_at=start or now - dt.timedelta(minutes=1),
            end_at=end or now + dt.timedelta(days=3), partner_reference_no=f"INV-{number}",
        )
        return bill_create(registration=registration_ or registration, row=row, source=BillSource.CONSOLE)

    return make
