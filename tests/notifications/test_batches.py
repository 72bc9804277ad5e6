"""Delivery moves bills by the batch: each bill of a batch keeps its own outcome, the work a batch
costs does not grow with its size, and a second worker takes its own share of the claims."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications import services
from notifications.models import CallbackEvent, DeliveryAttempt
from quota.models import LedgerEntry
from quota.selectors import quota_summary
from reminders.models import Bill, BillStatus
from tests import factories
from tests.factories import registered_code

pytestmark = pytest.mark.django_db

ANSWERS: dict[str, str] = {}
WITHOUT_APP = "+6289999999999"  # the one phone the scripted directory does not know


class ScriptedBank:
    """A Livin' gateway that answers each reference as the test says (no answer at all: a timeout)."""

    def lookup_users(self, phones):
        return {phone: phone != WITHOUT_APP for phone in phones}

    def push_bills(self, bills):
        return {bill.reference: ANSWERS[bill.reference] for bill in bills if ANSWERS.get(bill.reference)}

    def withdraw_bill(self, reference):
        return None


@pytest.fixture
def bank(settings):
    settings.LIVIN_GATEWAY = f"{__name__}.ScriptedBank"
    ANSWERS.clear()
    return ANSWERS


def scheduled_bills(company, count, *, code="89123", first=1):
    """``count`` bills of a new code, checked against the directory, due to be pushed now."""
    registration = registered_code(company, quota=1000, code=code)
    bills = [factories.make_bill(registration, number, start_at=timezone.now() - dt.timedelta(minutes=1))
             for number in range(first, first + count)]
    services.directory_check(bill_ids=[bill.pk for bill in bills])
    return registration, [Bill.objects.get(pk=bill.pk) for bill in bills]


def test_a_batch_with_mixed_answers_records_each_bills_own_outcome(company, bank):
    from notifications.callbacks import callback_setting_save

    callback_setting_save(company=company, url="https://acme.example/callback")
    registration, (shown, gone, silent, also_shown) = scheduled_bills(company, 4)
    bank.update({shown.reference_no: "pushed", gone.reference_no: "not_livin_user",
                 also_shown.reference_no: "pushed"})  # ``silent`` gets no answer: the call timed out for it

    services.push_bills(bill_ids=services.dispatch_claim(100))

    statuses = dict(Bill.objects.values_list("reference_no", "status"))
    assert statuses == {shown.reference_no: BillStatus.DISPLAYED, also_shown.reference_no: BillStatus.DISPLAYED,
                        gone.reference_no: BillStatus.FAILED, silent.reference_no: BillStatus.SCHEDULED}
    silent.refresh_from_db()
    assert silent.push_attempts == 1 and silent.lease_until is None and silent.next_push_at > shown.start_at
    # Charged once for each bill shown, released for the one without Livin', still reserved for the retry.
    charges = set(LedgerEntry.objects.filter(kind="consume").values_list("reference", flat=True))
    assert charges == {f"bill:{shown.pk}", f"bill:{also_shown.pk}"}
    assert set(LedgerEntry.objects.filter(kind="release").values_list("reference", flat=True)) == {f"bill:{gone.pk}"}
    summary = quota_summary(registration)
    assert (summary["balance"], summary["reserved"]) == (1000 - 2, 1)
    attempts = dict(DeliveryAttempt.objects.values_list("bill__reference_no", "ok"))
    assert attempts == {shown.reference_no: True, also_shown.reference_no: True, gone.reference_no: False,
                        silent.reference_no: False}
    assert sorted(CallbackEvent.objects.values_list("event", flat=True)) == [
        "bill.displayed", "bill.displayed", "bill.failed"]

    # The retry, once the bank answers, shows the last one; nothing is charged twice.
    bank[silent.reference_no] = "pushed"
    Bill.objects.filter(pk=silent.pk).update(next_push_at=shown.start_at)
    services.push_bills(bill_ids=services.dispatch_claim(100))
    services.push_bills(bill_ids=[shown.pk, silent.pk])  # a redelivered task changes nothing
    assert LedgerEntry.objects.filter(kind="consume").count() == 3
    summary = quota_summary(registration)
    assert (summary["balance"], summary["reserved"]) == (1000 - 3, 0)


def test_a_push_batch_costs_the_same_statements_for_10_bills_as_for_100(company, bank):
    """With a callback for each shown bill: its payload reads nothing more per bill."""
    from notifications.callbacks import callback_setting_save

    callback_setting_save(company=company, url="https://acme.example/callback")
    counts = []
    for count, code, first in ((10, "89123", 1), (100, "89124", 1000)):
        registration, bills = scheduled_bills(company, count, code=code, first=first)
        bank.update({bill.reference_no: "pushed" for bill in bills})
        ids = services.dispatch_claim(1000)
        with CaptureQueriesContext(connection) as queries:
            services.push_bills(bill_ids=ids)
        counts.append(len(queries))
        assert Bill.objects.filter(registration=registration, status=BillStatus.DISPLAYED).count() == count
        assert CallbackEvent.objects.filter(bill__registration=registration, event="bill.displayed").count() == count
    # 90 more bills, at most a few more statements: SQLite splits a bulk INSERT of many rows
    # into several (its limit on parameters per statement); per bill it would be ~90 x 10.
    assert counts[1] <= counts[0] + 3, counts


def test_a_directory_check_batch_costs_the_same_statements_for_10_bills_as_for_100(company, bank):
    """Every fifth payer without the app: those are released and their biller told by callback."""
    from notifications.callbacks import callback_setting_save

    callback_setting_save(company=company, url="https://acme.example/callback")
    counts = []
    for count, code, first in ((10, "89123", 1), (100, "89124", 1000)):
        registration = registered_code(company, quota=1000, code=code)
        bills = [factories.make_bill(registration, number, **({"payer_phone": WITHOUT_APP} if number % 5 == 0 else {}))
                 for number in range(first, first + count)]
        with CaptureQueriesContext(connection) as queries:
            services.directory_check(bill_ids=[bill.pk for bill in bills])
        counts.append(len(queries))
        assert Bill.objects.filter(registration=registration, status=BillStatus.SCHEDULED).count() == count * 4 // 5
        assert Bill.objects.filter(registration=registration, status=BillStatus.NOT_LIVIN_USER).count() == count // 5
        assert CallbackEvent.objects.filter(bill__registration=registration, event="bill.not_livin_user").count() == (
            count // 5)
    assert counts[1] <= counts[0] + 3, counts


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_second_worker_takes_its_own_share_of_the_claims(company, bank):
    registration, bills = scheduled_bills(company, 300)
    shares, ready = [], threading.Barrier(2)

    def worker():
        try:
            ready.wait()
            shares.append(services.dispatch_claim(200))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first, second = shares
    assert first and second and not set(first) & set(second)
    assert sorted(first + second) == sorted(bill.pk for bill in bills)
