"""The quota services: the only way quota moves, each movement booked once."""

import pytest
from django.db import IntegrityError, connection, transaction

from core.errors import Conflict, InsufficientQuota, InvalidInput
from core.models import AuditEvent
from quota import selectors
from quota.models import LedgerEntry, QuotaAccount
from quota.services import (
    quota_adjust,
    quota_consume,
    quota_grant,
    quota_release,
    quota_reserve,
    quota_topup_credit,
)
from tests.factories import RegistrationFactory, StaffFactory, registration_with_quota

pytestmark = pytest.mark.django_db


@pytest.fixture
def code(company):
    return registration_with_quota(company, 10, biller_code__code="89123")


def test_a_reservation_sets_pushes_aside_and_lowers_what_is_available(code):
    entry = quota_reserve(registration=code, units=3, reference="bill:1")

    assert selectors.quota_summary(code) == {"balance": 10, "reserved": 3, "available": 7, "low": True}
    assert (entry.kind, entry.units, entry.balance_after, entry.reserved_after) == ("reserve", 3, 10, 3)


def test_a_reservation_beyond_what_is_available_is_refused_with_the_figures(code):
    quota_reserve(registration=code, units=7, reference="bill:1")

    with pytest.raises(InsufficientQuota) as refused:
        quota_reserve(registration=code, units=5, reference="upload:9")

    assert refused.value.message == "Not enough quota for 89123: 3 available, 5 needed."
    assert refused.value.code == "insufficient_quota"
    assert selectors.quota_available(code) == 3
    assert not LedgerEntry.objects.filter(reference="upload:9").exists()


def test_the_same_reservation_twice_is_booked_once(code):
    first = quota_reserve(registration=code, units=2, reference="bill:1")
    second = quota_reserve(registration=code, units=2, reference="bill:1")

    assert first.pk == second.pk
    assert selectors.quota_available(code) == 8


def test_the_same_reference_with_other_units_is_a_conflict_not_a_silent_second_booking(code):
    quota_reserve(registration=code, units=2, reference="bill:1")

    with pytest.raises(Conflict):
        quota_reserve(registration=code, units=3, reference="bill:1")
    assert selectors.quota_available(code) == 8


def test_consuming_spends_reserved_pushes_from_the_balance(code):
    quota_reserve(registration=code, units=1, reference="bill:1")

    quota_consume(registration=code, units=1, reference="bill:1")
    quota_consume(registration=code, units=1, reference="bill:1")  # the push task ran twice

    assert selectors.quota_summary(code) == {"balance": 9, "reserved": 0, "available": 9, "low": True}


def test_releasing_gives_reserved_pushes_back(code):
    quota_reserve(registration=code, units=4, reference="upload:1")

    quota_release(registration=code, units=4, reference="upload:1")

    assert selectors.quota_summary(code)["available"] == 10
    assert LedgerEntry.objects.get(kind="release").units == -4


@pytest.mark.parametrize("move", [quota_consume, quota_release])
def test_nothing_is_consumed_or_released_beyond_what_is_reserved(code, move):
    quota_reserve(registration=code, units=1, reference="bill:1")

    with pytest.raises(Conflict) as refused:
        move(registration=code, units=2, reference="bill:1")

    assert "Only 1 pushes of 89123 are reserved" in refused.value.message
    assert selectors.quota_summary(code)["reserved"] == 1


@pytest.mark.parametrize("units", [0, -1, 1.5, True])
def test_a_movement_needs_a_positive_whole_number_of_pushes(code, units):
    with pytest.raises(InvalidInput):
        quota_reserve(registration=code, units=units, reference="bill:1")


def test_grants_and_top_ups_add_to_the_balance_once_and_are_audited(code):
    quota_topup_credit(registration=code, units=100, reference="topup:1")
    quota_topup_credit(registration=code, units=100, reference="topup:1")
    quota_grant(registration=code, units=5, reference="promo:1")

    assert selectors.quota_available(code) == 115
    assert AuditEvent.objects.filter(action="quota.topup").count() == 1
    assert AuditEvent.objects.filter(action="quota.grant").count() == 2  # the fixture's and the promo


def test_an_adjustment_needs_a_reason(code):
    staff = StaffFactory()
    with pytest.raises(InvalidInput) as refused:
        quota_adjust(registration=code, units=5, reason="  ", actor=staff, reference="adjust:1")
    assert refused.value.field == "reason"


def test_an_adjustment_never_takes_the_balance_below_what_is_reserved(code):
    staff = StaffFactory()
    quota_reserve(registration=code, units=6, reference="bill:1")

    with pytest.raises(Conflict) as refused:
        quota_adjust(registration=code, units=-5, reason="duplicate grant", actor=staff, reference="adjust:1")

    assert refused.value.message == ("An adjustment of -5 would leave 89123 with 5 pushes while 6 are reserved.")
    quota_adjust(registration=code, units=-4, reason="duplicate grant", actor=staff, reference="adjust:2")
    assert selectors.quota_summary(code) == {"balance": 6, "reserved": 6, "available": 0, "low": True}
    event = AuditEvent.objects.get(action="quota.adjust")
    assert "by -4: duplicate grant" in event.text and event.actor_id == staff.pk


def test_a_code_without_an_account_has_nothing_to_reserve_until_granted(company):
    registration = RegistrationFactory(company=company, biller_code__code="89999")
    QuotaAccount.objects.filter(registration=registration).delete()

    with pytest.raises(InsufficientQuota):
        quota_reserve(registration=registration, units=1, reference="bill:1")
    quota_grant(registration=registration, units=1, reference="grant:1")
    assert selectors.quota_available(registration) == 1


def test_the_database_refuses_an_account_reserved_beyond_its_balance(code):
    with pytest.raises(IntegrityError), transaction.atomic():
        QuotaAccount.objects.filter(registration=code).update(reserved=11)


def test_the_database_refuses_a_second_row_for_the_same_event(code):
    entry = quota_reserve(registration=code, units=1, reference="bill:1")
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(account=entry.account, company=entry.company, kind="reserve", units=1,
                                   balance_after=10, reserved_after=2, reference="bill:1")


def test_ledger_rows_cannot_be_updated_or_deleted(code):
    """Triggers refuse it on SQLite and on PostgreSQL alike (this runs on both)."""
    entry = LedgerEntry.objects.get(account__registration=code)
    for statement in (
        f"UPDATE {LedgerEntry._meta.db_table} SET units = 999 WHERE id = %s",
        f"DELETE FROM {LedgerEntry._meta.db_table} WHERE id = %s",
    ):
        with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [entry.pk])
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(reason="rewritten")
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    assert LedgerEntry.objects.get(pk=entry.pk).units == 10


def test_ledger_statement_sums_to_the_account(code):
    quota_reserve(registration=code, units=3, reference="bill:1")
    quota_consume(registration=code, units=2, reference="bill:1")
    quota_release(registration=code, units=1, reference="bill:1")

    assert selectors.ledger_mismatches() == []
    assert [e.kind for e in selectors.ledger_entries(code.company, registration=code)] == [
        "release", "consume", "reserve", "grant"
    ]
