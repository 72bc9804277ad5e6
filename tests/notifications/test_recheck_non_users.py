"""A second look for payers without Livin': looked up again on the bank's schedule while the window is
open; found, reserved anew, pushed and charged once; never past the count, the end, a twin or the quota."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from livin.models import LivinUser
from notifications import services
from notifications.models import CallbackEvent
from quota.models import LedgerEntry
from quota.selectors import ledger_mismatches, quota_summary
from reminders.models import Bill, BillStatus
from tests.factories import registered_code
from tests.notifications.conftest import NON_USER_PHONE
from tests.notifications.test_delivery import run_scheduler

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]


def look_again():
    """One beat of the look-up-again sweep, as Celery beat runs it."""
    services.recheck_non_users(bill_ids=services.recheck_claim(1000))


def later(hours):
    return time_machine.travel(timezone.now() + dt.timedelta(hours=hours), tick=False)


def timeline(bill):
    return [event.reason for event in bill.events.order_by("at", "id")]


@pytest.fixture
def listening(company, settings):
    from notifications import callbacks

    settings.OUTBOUND_ALLOW_LOCAL = True
    callbacks.callback_setting_save(company=company, url="http://127.0.0.1:9/kopra")


def test_a_payer_who_installs_livin_later_is_found_pushed_and_charged_once(make_bill, registration, listening,
                                                                           settings, client, viewer):
    from django.urls import reverse

    from tests.conftest import sign_in

    settings.NON_USER_RECHECKS, settings.NON_USER_RECHECK_HOURS = 3, 24
    bill = make_bill(phone=NON_USER_PHONE, end=timezone.now() + dt.timedelta(days=10))
    run_scheduler()
    bill.refresh_from_db()
    assert (bill.status, bill.rechecks) == (BillStatus.NOT_LIVIN_USER, 0)
    assert quota_summary(registration)["reserved"] == 0, "released at the first check"

    look_again()  # not yet due: nothing happens before NON_USER_RECHECK_HOURS
    assert timeline(Bill.objects.get(pk=bill.pk))[-1] == "The payer's phone has no Livin' app"

    with later(25):
        look_again()
        bill.refresh_from_db()
        assert (bill.status, bill.rechecks) == (BillStatus.NOT_LIVIN_USER, 1)
        assert timeline(bill)[-1] == "Not in Livin' on look-up 1 of 3 after the first"
        assert bill.next_recheck_at > timezone.now() + dt.timedelta(hours=23)
        page = sign_in(client, viewer).get(reverse("bill_detail", args=[bill.reference_no])).content.decode()
        assert 'id="bill-next-recheck"' in page and "looked up again 1 time so far" in page

    LivinUser.objects.create(phone=NON_USER_PHONE, name="Sari")
    with later(50):
        look_again()
        bill.refresh_from_db()
        assert (bill.status, bill.rechecks, bill.livin_user) == (BillStatus.SCHEDULED, 2, True)
        assert bill.found_late_at is not None and bill.next_recheck_at is None
        assert timeline(bill)[-1] == "Found in Livin' on look-up 2 of 3 after the first"
        assert quota_summary(registration)["reserved"] == 1, "reserved again only now that the payer is found"
        look_again()  # a second run (a redelivered task) finds nothing to do
        run_scheduler()
        run_scheduler()
        bill.refresh_from_db()
        assert bill.status == BillStatus.DISPLAYED
        page = sign_in(client, viewer).get(reverse("bill_detail", args=[bill.reference_no])).content.decode()
        assert 'id="bill-found-late"' in page and "Found in Livin&#x27; on look-up 2 of 3" in page

    summary = quota_summary(registration)
    assert (summary["balance"], summary["reserved"]) == (99, 0), "charged exactly once"
    entries = sorted(LedgerEntry.objects.filter(reference__startswith=f"bill:{bill.pk}")
                     .values_list("kind", "reference"))
    assert entries == [("consume", f"bill:{bill.pk}:found"), ("release", f"bill:{bill.pk}"),
                       ("reserve", f"bill:{bill.pk}"), ("reserve", f"bill:{bill.pk}:found")]
    assert ledger_mismatches() == []
    assert list(CallbackEvent.objects.filter(bill=bill).order_by("id").values_list("event", flat=True)) == [
        "bill.not_livin_user", "bill.displayed"]


def test_a_payer_is_looked_up_at_most_the_set_number_of_times_and_never_past_the_end(make_bill, settings):
    settings.NON_USER_RECHECKS, settings.NON_USER_RECHECK_HOURS = 2, 24
    counted = make_bill(phone=NON_USER_PHONE, end=timezone.now() + dt.timedelta(days=10))
    ending = make_bill(phone="+6289999999998", end=timezone.now() + dt.timedelta(hours=40))
    run_scheduler()
    ending.refresh_from_db()
    assert ending.next_recheck_at is not None  # 24 h after the check is before its end
    for hours in (25, 50, 75, 100):
        with later(hours):
            look_again()
    counted.refresh_from_db()
    ending.refresh_from_db()
    assert (counted.rechecks, counted.next_recheck_at) == (2, None)
    assert (ending.rechecks, ending.next_recheck_at) == (1, None), "the next look-up would be past its end"

    LivinUser.objects.create(phone=NON_USER_PHONE, name="Sari")
    with later(125):
        look_again()
    assert Bill.objects.get(pk=counted.pk).status == BillStatus.NOT_LIVIN_USER

    settings.NON_USER_RECHECKS = 0  # the bank switched the second look off
    off = make_bill(phone="+6289999999997")
    run_scheduler()
    assert Bill.objects.get(pk=off.pk).next_recheck_at is None


def test_a_found_payer_whose_bill_key_has_a_new_reminder_or_whose_code_has_no_quota_stays(make_bill, company,
                                                                                        settings):
    from tests import factories

    settings.NON_USER_RECHECKS, settings.NON_USER_RECHECK_HOURS = 3, 24
    twin_code = registered_code(company, quota=10, code="77001")
    poor_code = registered_code(company, quota=1, code="77002")
    replaced = make_bill(phone=NON_USER_PHONE, registration_=twin_code)
    poor = make_bill(phone=NON_USER_PHONE, registration_=poor_code)
    run_scheduler()
    # The biller sent the bill again (another phone), and the poor code spent its last unit.
    factories.make_bill(twin_code, 101, bill_key=replaced.bill_key)
    factories.make_bill(poor_code, 102)
    LivinUser.objects.create(phone=NON_USER_PHONE, name="Sari")
    with later(25):
        look_again()
        replaced.refresh_from_db()
        poor.refresh_from_db()
        assert (replaced.status, replaced.next_recheck_at) == (BillStatus.NOT_LIVIN_USER, None)
        assert timeline(replaced)[-1] == (f"Bill key {replaced.bill_key} has another active or newer reminder: "
                                          "not looked up again")
        assert poor.status == BillStatus.NOT_LIVIN_USER and poor.rechecks == 0
        assert timeline(poor)[-1] == "Found in Livin', but biller code 77002 has no quota left: looked up again later"
        assert poor.next_recheck_at > timezone.now() + dt.timedelta(hours=23), "not again every minute"
        assert quota_summary(poor_code)["available"] == 0
    assert ledger_mismatches() == []


def test_a_found_bill_that_ends_unpushed_gives_back_the_push_reserved_when_found(make_bill, registration, settings):
    from reminders.services import bill_cancel

    settings.NON_USER_RECHECKS, settings.NON_USER_RECHECK_HOURS = 3, 24
    bill = make_bill(phone=NON_USER_PHONE, start=timezone.now() + dt.timedelta(days=3),
                     end=timezone.now() + dt.timedelta(days=10))
    run_scheduler()
    LivinUser.objects.create(phone=NON_USER_PHONE, name="Sari")
    with later(25):
        look_again()
        bill.refresh_from_db()
        assert bill.status == BillStatus.SCHEDULED and quota_summary(registration)["reserved"] == 1
        bill_cancel(bill=bill, reason="Paid at the counter")  # before its start: never pushed
    assert quota_summary(registration)["reserved"] == 0
    assert LedgerEntry.objects.filter(reference=f"bill:{bill.pk}:found", kind="release").count() == 1
    assert ledger_mismatches() == []


def test_a_newer_reminder_for_the_key_or_a_stopped_code_ends_the_look_ups_and_a_biller_can_cancel_them(
        make_bill, registration, company, settings):
    from billers.models import Registration
    from core.errors import Conflict
    from reminders.services import bill_cancel, bill_payment_received, bills_cancel_for_stop
    from tests import factories

    settings.NON_USER_RECHECKS, settings.NON_USER_RECHECK_HOURS = 3, 24
    resent = make_bill(phone=NON_USER_PHONE)
    cancelled = make_bill(phone=NON_USER_PHONE)
    stopped_code = registered_code(company, quota=10, code="77003")
    on_stopped = make_bill(phone=NON_USER_PHONE, registration_=stopped_code)
    run_scheduler()
    # The biller sent the first bill again to another phone, and that payer paid it.
    again = factories.make_bill(registration, 201, bill_key=resent.bill_key)
    run_scheduler()
    run_scheduler()
    bill_payment_received(reference=again.reference_no, amount=again.amount, channel="MBP",
                          payment_reference="PAYAGAIN1")
    # The second one the biller cancels: paid at the counter.
    assert bill_cancel(bill=Bill.objects.get(pk=cancelled.pk), reason="Paid at the counter").status == "CANCELLED"
    # The third one's code is stopped.
    Registration.objects.filter(pk=stopped_code.pk).update(status=Registration.Status.STOPPED)
    bills_cancel_for_stop(registration=stopped_code)

    LivinUser.objects.create(phone=NON_USER_PHONE, name="Sari")
    with later(25):
        look_again()
    resent.refresh_from_db()
    on_stopped.refresh_from_db()
    assert (resent.status, resent.next_recheck_at) == (BillStatus.NOT_LIVIN_USER, None), "never shown again"
    assert (on_stopped.status, on_stopped.next_recheck_at) == (BillStatus.NOT_LIVIN_USER, None)
    assert Bill.objects.get(pk=cancelled.pk).status == BillStatus.CANCELLED
    with pytest.raises(Conflict):  # no longer looked up: nothing left to cancel
        bill_cancel(bill=resent)
    assert ledger_mismatches() == []
