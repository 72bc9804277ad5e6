"""python manage.py quota_reconcile: every account against the sum of its ledger."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from quota.models import QuotaAccount
from quota.services import quota_consume, quota_reserve
from tests.factories import registration_with_quota

pytestmark = pytest.mark.django_db


def test_reconcile_passes_when_every_account_matches_its_ledger(company, capsys):
    registration = registration_with_quota(company, 10, biller_code__code="89123")
    quota_reserve(registration=registration, units=2, reference="bill:1")
    quota_consume(registration=registration, units=1, reference="bill:1")

    call_command("quota_reconcile")

    assert "All 1 quota accounts match their ledger." in capsys.readouterr().out


def test_reconcile_names_each_mismatch_and_fails(company, capsys):
    registration_with_quota(company, 10, biller_code__code="89123")
    registration_with_quota(company, 10, biller_code__code="89124")
    # A write that bypassed the services (the ledger itself cannot be edited).
    QuotaAccount.objects.filter(registration__biller_code__code="89124").update(balance=12, reserved=1)

    with pytest.raises(CommandError) as failed:
        call_command("quota_reconcile")

    assert failed.value.returncode == 1
    assert "1 of 2 quota accounts do not match their ledger" in str(failed.value)
    err = capsys.readouterr().err
    assert "MISMATCH 89124" in err and "balance 12 but ledger 10; reserved 1 but ledger 0" in err
    assert "89123" not in err
