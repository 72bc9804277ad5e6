"""Any sequence of quota movements keeps the account and its ledger in agreement.

Hypothesis drives grants, top-ups, reservations, consumptions, releases, adjustments and
repeated events against the services, and a plain model of what should happen. Each
example runs in its own transaction, rolled back at its end.
"""

import itertools

import pytest
from django.db import transaction
from django.db.models import Q, Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from core.errors import Conflict, InsufficientQuota
from quota import services
from quota.models import LedgerEntry, QuotaAccount
from quota.selectors import BALANCE_KINDS, RESERVED_KINDS
from tests.factories import RegistrationFactory, StaffFactory

pytestmark = pytest.mark.django_db

units = st.integers(min_value=1, max_value=60)
_serial = itertools.count()


class QuotaLedgerMachine(RuleBasedStateMachine):
    booked = Bundle("booked")
    examples = 0

    def __init__(self):
        super().__init__()
        self._transaction = transaction.atomic()
        self._transaction.__enter__()
        self.registration = RegistrationFactory()
        self.staff = StaffFactory(user_id=f"staff{next(_serial)}")
        self.balance = 0
        self.reserved = 0
        self.entries = 0
        QuotaLedgerMachine.examples += 1

    def teardown(self):
        transaction.set_rollback(True)
        self._transaction.__exit__(None, None, None)

    def _reference(self, kind: str) -> str:
        return f"{kind}:{next(_serial)}"

    def _booked(self, kind, units_signed, entry):
        self.entries += 1
        assert entry.units == units_signed
        return (kind, entry.reference, units_signed, entry.pk)

    @initialize(target=booked, amount=st.integers(min_value=0, max_value=200))
    def initial_grant(self, amount):
        if amount == 0:
            return ("none", "", 0, None)
        entry = services.quota_grant(registration=self.registration, units=amount, reference="registration:initial")
        self.balance += amount
        return self._booked("grant", amount, entry)

    @rule(target=booked, amount=units)
    def grant(self, amount):
        entry = services.quota_grant(registration=self.registration, units=amount, reference=self._reference("grant"))
        self.balance += amount
        return self._booked("grant", amount, entry)

    @rule(target=booked, amount=units)
    def top_up(self, amount):
        entry = services.quota_topup_credit(registration=self.registration, units=amount,
                                            reference=self._reference("topup"))
        self.balance += amount
        return self._booked("topup", amount, entry)

    @rule(target=booked, amount=units)
    def reserve(self, amount):
        reference = self._reference("bill")
        if amount > self.balance - self.reserved:
            with pytest.raises(InsufficientQuota):
                services.quota_reserve(registration=self.registration, units=amount, reference=reference)
            return ("none", "", 0, None)
        entry = services.quota_reserve(registration=self.registration, units=amount, reference=reference)
        self.reserved += amount
        return self._booked("reserve", amount, entry)

    def _spend(self, move, kind, amount):
        reference = self._reference("bill")
        if amount > self.reserved:
            with pytest.raises(Conflict):
                move(registration=self.registration, units=amount, reference=reference)
            return ("none", "", 0, None)
        entry = move(registration=self.registration, units=amount, reference=reference)
        self.reserved -= amount
        if kind == "consume":
            self.balance -= amount
        return self._booked(kind, -amount, entry)

    @rule(target=booked, amount=units)
    def consume(self, amount):
        return self._spend(services.quota_consume, "consume", amount)

    @rule(target=booked, amount=units)
    def release(self, amount):
        return self._spend(services.quota_release, "release", amount)

    @rule(target=booked, amount=st.integers(min_value=-80, max_value=80).filter(bool))
    def adjust(self, amount):
        reference = self._reference("adjust")
        if self.balance + amount < self.reserved:
            with pytest.raises(Conflict):
                services.quota_adjust(registration=self.registration, units=amount, reason="correction",
                                      actor=self.staff, reference=reference)
            return ("none", "", 0, None)
        entry = services.quota_adjust(registration=self.registration, units=amount, reason="correction",
                                      actor=self.staff, reference=reference)
        self.balance += amount
        return self._booked("adjust", amount, entry)

    @rule(event=booked)
    def the_same_event_again_moves_nothing(self, event):
        kind, reference, units_signed, pk = event
        if pk is None:
            return
        again = {
            "grant": lambda: services.quota_grant(registration=self.registration, units=units_signed,
                                                  reference=reference),
            "topup": lambda: services.quota_topup_credit(registration=self.registration, units=units_signed,
                                                         reference=reference),
            "reserve": lambda: services.quota_reserve(registration=self.registration, units=units_signed,
                                                      reference=reference),
            "consume": lambda: services.quota_consume(registration=self.registration, units=-units_signed,
                                                      reference=reference),
            "release": lambda: services.quota_release(registration=self.registration, units=-units_signed,
                                                      reference=reference),
            "adjust": lambda: services.quota_adjust(registration=self.registration, units=units_signed,
                                                    reason="correction", actor=self.staff, reference=reference),
        }[kind]
        assert again().pk == pk

    @invariant()
    def the_account_agrees_with_the_model_and_the_ledger(self):
        account = QuotaAccount.objects.get(registration=self.registration)
        sums = LedgerEntry.objects.filter(account=account).aggregate(
            balance=Sum("units", filter=Q(kind__in=BALANCE_KINDS), default=0),
            reserved=Sum("units", filter=Q(kind__in=RESERVED_KINDS), default=0),
            reservations=Sum("units", filter=Q(kind="reserve"), default=0),
            spent=Sum("units", filter=Q(kind__in=["consume", "release"]), default=0),
            rows=Sum(1, default=0),
        )
        assert account.balance >= account.reserved >= 0
        assert (account.balance, account.reserved) == (self.balance, self.reserved)
        assert (sums["balance"], sums["reserved"]) == (account.balance, account.reserved)
        assert sums["reservations"] + sums["spent"] == account.reserved  # spent units are stored negative
        assert sums["rows"] == self.entries


QuotaLedgerMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=50, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_quota_ledger_holds_its_invariants_under_any_sequence_of_movements(db):
    QuotaLedgerMachine.examples = 0
    QuotaLedgerMachine.TestCase().runTest()
    assert QuotaLedgerMachine.examples >= 200
