"""The demo's biller codes: one registered with quota, one to register, one that is refused."""

from decimal import Decimal

import pytest

from billers.models import BillerCode, Registration
from billers.selectors import registration_refusal
from demo import seed as demo
from livin.models import CoreAccount
from quota.models import LedgerEntry
from quota.selectors import agreement_in_force, topup_quote

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _demo_files_in_tmp(settings, tmp_path):
    """The demo's credential files go to a scratch folder, never over a developer's var/demo/."""
    settings.VAR_DIR = tmp_path / "var"


def test_the_demo_seeds_codes_a_user_can_try_and_seeding_again_changes_nothing():
    first = demo.seed()
    second = demo.seed()

    assert first["biller_codes"] == second["biller_codes"] == [
        {"code": "89123", "name": "Tagihan Air Bersih", "payment": "closed", "registered": True,
         "available_quota": 1000},
        {"code": "89124", "name": "Tagihan Air Industri", "payment": "closed", "registered": False,
         "available_quota": None},
        {"code": "89125", "name": "Donasi Air Bersih", "payment": "open", "registered": False,
         "available_quota": None},
    ]
    assert LedgerEntry.objects.filter(kind="grant").count() == 1  # the initial quota, once
    company = Registration.objects.get().company
    assert registration_refusal(company=company, biller_code=BillerCode.objects.get(code="89124")) is None
    assert "open payment" in registration_refusal(company=company, biller_code=BillerCode.objects.get(code="89125"))
    quote = topup_quote(registration=Registration.objects.get(), units=100)
    assert (quote.total, agreement_in_force(company=company).packages.count()) == (Decimal("38850.00"), 2)
    assert CoreAccount.objects.get(account_number=demo.COLLECTION_ACCOUNT).balance == Decimal("50000000.00")
