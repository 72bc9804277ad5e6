"""Any interleaving of the bill lifecycle keeps bills, pushes and the quota ledger consistent.

Hypothesis receives bills, checks the Livin' directory, starts display windows with the
sandbox succeeding or failing, pays, cancels, stops the service and lets time pass, all
through the real services, and after every step checks what must always hold:

* balance >= reserved >= 0, and the ledger sums to both (quota_reconcile's check);
* each bill has one status, reached through allowed moves only, and its key has at most
  one active reminder;
* reserved = the bills still waiting for their push; no push after payment;
* one charge per delivered push, and none without one.

Each example runs in its own transaction (rolled back) with the clock frozen and moved by hand.
"""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.db.models import Count
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from core.errors import Conflict, InsufficientQuota
from fileformat.rows import RowValues
from livin import display
from livin.models import DisplayedBill, LivinUser
from notifications import services as delivery
from quota.models import LedgerEntry, QuotaAccount
from quota.selectors import ledger_mismatches
from quota.services import quota_grant
from reminders.models import ACTIVE_STATUSES, TRANSITIONS, Bill, BillEvent, BillSource, BillStatus
from reminders.services import PaymentRefused, bill_cancel, bill_create, bill_payment_received, bills_cancel_for_stop
from tests.factories import CompanyFactory, registration_with_quota

pytestmark = pytest.mark.django_db

BASE = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)
USERS = ("+6281234567890", "+6281111111111")
NOT_A_USER = "+6289999999999"
KEYS = ("K1", "K2", "K3", "K4")
WAITING = (BillStatus.PENDING_APPROVAL, BillStatus.RECEIVED, BillStatus.SCHEDULED)
AMOUNT = Decimal("150000.00")
_serial = itertools.count()


class BillLifecycleMachine(RuleBasedStateMachine):
    examples = 0

    def __init__(self):
        super().__init__()
        self._clock = time_machine.travel(BASE, tick=False)
        self._time = self._clock.start()
        self._transaction = transaction.atomic()
        self._transaction._from_testcase = True  # as TestCase does: the services' durable blocks may run inside
        self._transaction.__enter__()
        serial = next(_serial)
        self.company = CompanyFactory(company_id=f"SM{serial:05d}")
        self.registration = registration_with_quota(self.company, 6)
        for phone in USERS:
            LivinUser.objects.get_or_create(phone=phone, defaults={"name": "Payer"})
        self.granted = 6
        self.bills: list[int] = []
        BillLifecycleMachine.examples += 1

    def teardown(self):
        transaction.set_rollback(True)
        self._transaction.__exit__(None, None, None)
        self._clock.stop()

    def now(self):
        from django.utils import timezone

        return timezone.now()

    def account(self) -> QuotaAccount:
        return QuotaAccount.objects.get(registration=self.registration)

    def bill(self, index: int) -> Bill | None:
        if not self.bills:
            return None
        return Bill.objects.get(pk=self.bills[index % len(self.bills)])

    # --- What happens -------------------------------------------------------------------

    @rule(key=st.sampled_from(KEYS), phone=st.sampled_from(USERS + (NOT_A_USER,)),
          starts_in=st.integers(min_value=-30, max_value=120), lasts=st.integers(min_value=10, max_value=240))
    def receive(self, key, phone, starts_in, lasts):
        start = self.now() + dt.timedelta(minutes=starts_in)
        row = RowValues(row_number=1, bill_key=key, payer_phone=phone, payer_name="Budi", amount=AMOUNT,
                        description="Tagihan", start_at=start,
                        end_at=max(start, self.now()) + dt.timedelta(minutes=lasts),
                        partner_reference_no=f"INV-{next(_serial)}")
        active = Bill.objects.filter(registration=self.registration, bill_key=key, status__in=ACTIVE_STATUSES)
        account = self.account()
        if active.exists():
            with pytest.raises(Conflict):
                bill_create(registration=self.registration, row=row, source=BillSource.API)
        elif account.balance - account.reserved < 1:
            with pytest.raises(InsufficientQuota):
                bill_create(registration=self.registration, row=row, source=BillSource.API)
        else:
            self.bills.append(bill_create(registration=self.registration, row=row, source=BillSource.API).pk)

    @rule(lookup_fails=st.booleans())
    def check_directory(self, lookup_fails):
        display.fault_set(operation="lookup", outage=lookup_fails)
        received = list(Bill.objects.filter(registration=self.registration, status=BillStatus.RECEIVED)
                        .values_list("pk", flat=True))
        delivery.directory_check(bill_ids=received)
        if lookup_fails:
            assert Bill.objects.filter(pk__in=received).exclude(status=BillStatus.RECEIVED).count() == 0

    @rule(push_fails=st.booleans())
    def start_due_windows(self, push_fails):
        display.fault_set(operation="push", outage=push_fails)
        ids = delivery.dispatch_claim(100)
        delivery.push_bills(bill_ids=ids)
        if push_fails:
            assert not DisplayedBill.objects.filter(reference__in=Bill.objects.filter(pk__in=ids)
                                                    .values("reference_no")).exists()

    @rule(index=st.integers(min_value=0, max_value=50), exact=st.booleans())
    def pay(self, index, exact):
        bill = self.bill(index)
        if bill is None:
            return
        amount = AMOUNT if exact else AMOUNT + 1
        payable = bill.status in (BillStatus.DISPLAYED, BillStatus.SCHEDULED)
        if bill.status == BillStatus.PAID:
            bill_payment_received(reference=bill.reference_no, amount=amount, channel="MBP",
                                      payment_reference=f"P{bill.pk}")
        elif not payable or not exact:
            with pytest.raises(PaymentRefused):
                bill_payment_received(reference=bill.reference_no, amount=amount, channel="MBP",
                                          payment_reference=f"P{bill.pk}")
        else:
            paid = bill_payment_received(reference=bill.reference_no, amount=amount, channel="MBP",
                                             payment_reference=f"P{bill.pk}")
            assert paid.status == BillStatus.PAID

    @rule(index=st.integers(min_value=0, max_value=50))
    def cancel(self, index):
        bill = self.bill(index)
        if bill is None:
            return
        if bill.status in ACTIVE_STATUSES:
            assert bill_cancel(bill=bill, reason="test").status == BillStatus.CANCELLED
        else:
            with pytest.raises(Conflict):
                bill_cancel(bill=bill, reason="test")

    @rule()
    def stop_service(self):
        active = Bill.objects.filter(registration=self.registration, status__in=ACTIVE_STATUSES).count()
        assert bills_cancel_for_stop(registration=self.registration) == active
        assert not Bill.objects.filter(registration=self.registration, status__in=ACTIVE_STATUSES).exists()

    @rule(minutes=st.integers(min_value=1, max_value=180))
    def time_passes(self, minutes):
        self._time.shift(dt.timedelta(minutes=minutes))
        delivery.expire_due_bills()
        assert not Bill.objects.filter(registration=self.registration, end_at__lte=self.now(),
                                       status__in=ACTIVE_STATUSES).exists()

    @precondition(lambda self: self.granted < 40)
    @rule(units=st.integers(min_value=1, max_value=5))
    def top_up(self, units):
        quota_grant(registration=self.registration, units=units, reference=f"grant:{next(_serial)}")
        self.granted += units

    # --- What always holds --------------------------------------------------------------

    @invariant()
    def the_ledger_balances(self):
        account = self.account()
        assert account.balance >= account.reserved >= 0
        assert ledger_mismatches() == []
        bills = Bill.objects.filter(registration=self.registration)
        consumed = LedgerEntry.objects.filter(account=account, kind="consume").count()
        assert account.balance == self.granted - consumed
        assert account.reserved == bills.filter(status__in=WAITING).count()

    @invariant()
    def each_bill_has_one_status_reached_by_allowed_moves(self):
        bills = Bill.objects.filter(registration=self.registration)
        doubled = bills.filter(status__in=ACTIVE_STATUSES).values("bill_key").annotate(n=Count("pk")).filter(n__gt=1)
        assert not doubled.exists()
        timelines: dict[int, list] = {}
        for event in BillEvent.objects.filter(bill__registration=self.registration).order_by("at", "id"):
            timelines.setdefault(event.bill_id, []).append(event)
        for pk, status in bills.values_list("pk", "status"):
            events = timelines[pk]
            assert events[0].from_status == "" and events[0].to_status == BillStatus.RECEIVED
            for before, after in itertools.pairwise(events):
                assert after.from_status == before.to_status
                assert after.to_status in TRANSITIONS[before.to_status]
            assert events[-1].to_status == status

    @invariant()
    def one_charge_per_delivered_push_and_no_push_after_payment(self):
        bills = list(Bill.objects.filter(registration=self.registration))
        shown = {d.reference: d for d in DisplayedBill.objects.filter(reference__in=[b.reference_no for b in bills])}
        charges = dict(LedgerEntry.objects.filter(account__registration=self.registration, kind="consume")
                       .values("reference").annotate(n=Count("pk")).values_list("reference", "n"))
        for bill in bills:
            pushed = shown.get(bill.reference_no)
            assert charges.get(f"bill:{bill.pk}", 0) == (1 if pushed else 0), bill.status
            assert (pushed is not None) == (bill.displayed_at is not None)
            if pushed is not None and bill.paid_at is not None:
                assert pushed.pushed_at <= bill.paid_at, "pushed after it was paid"
            if bill.status in WAITING:
                assert pushed is None


BillLifecycleMachine.TestCase.settings = settings(
    max_examples=100, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_the_bill_lifecycle_and_the_ledger_hold_their_invariants_under_any_sequence(db):
    BillLifecycleMachine.examples = 0
    BillLifecycleMachine.TestCase().runTest()
    assert BillLifecycleMachine.examples >= 100
