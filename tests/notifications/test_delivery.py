"""Directory check, the display-window scheduler, retries, expiry, payment, cancel and stop."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone, translation

from livin import display
from livin.models import DisplayedBill, LivinUser, Notification
from notifications import services
from notifications.models import DeliveryAttempt
from quota.selectors import quota_summary
from reminders import services as reminder_services
from reminders.models import Bill, BillStatus
from reminders.services import bill_cancel, bills_cancel_for_stop
from tests.notifications.conftest import NON_USER_PHONE, USER_PHONE

pytestmark = pytest.mark.django_db


def quota(registration):
    summary = quota_summary(registration)
    return summary["balance"], summary["reserved"]


def run_scheduler():
    """One beat of every sweep, as Celery beat runs them."""
    services.directory_check(bill_ids=services.directory_claim(1000))
    ids = services.dispatch_claim(1000)
    if ids:
        services.push_bills(bill_ids=ids)
    services.expire_due_bills()


def test_a_livin_user_is_scheduled_and_a_non_user_is_released(make_bill, registration):
    user_bill = make_bill(start=timezone.now() + dt.timedelta(hours=1))
    other = make_bill(phone=NON_USER_PHONE)
    assert quota(registration) == (100, 2)

    services.directory_check(bill_ids=[user_bill.pk, other.pk])

    user_bill.refresh_from_db()
    other.refresh_from_db()
    assert (user_bill.status, user_bill.livin_user) == (BillStatus.SCHEDULED, True)
    assert (other.status, other.livin_user) == (BillStatus.NOT_LIVIN_USER, False)
    assert quota(registration) == (100, 1)


def test_a_bill_whose_start_has_come_is_pushed_shown_and_charged(make_bill, registration):
    bill = make_bill()
    run_scheduler()

    bill.refresh_from_db()
    assert bill.status == BillStatus.DISPLAYED and bill.displayed_at is not None
    assert quota(registration) == (99, 0)
    assert [b.reference for b in display.bills_shown(USER_PHONE)] == [bill.reference_no]
    assert Notification.objects.filter(phone=USER_PHONE, reference=bill.reference_no).count() == 1
    attempt = DeliveryAttempt.objects.get(bill=bill, operation="push")
    assert attempt.ok and attempt.lag_ms >= 0


def test_the_payer_reads_the_push_in_bahasa_indonesia_whatever_language_the_worker_runs_in(make_bill):
    bill = make_bill()
    with translation.override("en"):
        run_scheduler()
    notification = Notification.objects.get(reference=bill.reference_no)
    assert notification.title.startswith("Tagihan baru dari ")
    assert notification.body.endswith(f"Rp 150.000, nomor tagihan {bill.bill_key}. Bayar di Livin'.")


def test_a_payer_whose_livin_app_is_in_english_reads_the_push_in_english(make_bill):
    LivinUser.objects.filter(phone=USER_PHONE).update(language="en")
    bill = make_bill()
    with translation.override("id"):
        run_scheduler()
    notification = Notification.objects.get(reference=bill.reference_no)
    assert notification.title.startswith("New bill from ")
    assert notification.body.endswith(f"Rp 150.000, bill key {bill.bill_key}. Pay it in Livin'.")


def test_a_bill_is_not_pushed_before_its_start(make_bill):
    bill = make_bill(start=timezone.now() + dt.timedelta(hours=2))
    run_scheduler()
    bill.refresh_from_db()
    assert bill.status == BillStatus.SCHEDULED
    assert not DisplayedBill.objects.exists()
    with time_machine.travel(timezone.now() + dt.timedelta(hours=2, seconds=1)):
        run_scheduler()
    bill.refresh_from_db()
    assert bill.status == BillStatus.DISPLAYED


def test_pushing_the_same_batch_three_times_pushes_once_and_charges_once(make_bill, registration):
    bill = make_bill()
    services.directory_check(bill_ids=[bill.pk])
    Bill.objects.filter(pk=bill.pk).update(lease_until=None)
    for _ in range(3):
        services.push_bills(bill_ids=[bill.pk])
    # And a redelivered task after the bill moved on changes nothing either.
    Bill.objects.filter(pk=bill.pk).update(lease_until=None)
    services.push_bills(bill_ids=[bill.pk])
    assert Notification.objects.count() == 1 and DisplayedBill.objects.count() == 1
    assert quota(registration) == (99, 0)


def test_the_sandbox_pushes_a_reference_once_even_when_asked_twice(make_bill):
    bill = make_bill()
    request = services._push_request(bill)
    from livin.gateways import SandboxLivinGateway

    gateway = SandboxLivinGateway()
    assert gateway.push_bills([request]) == {bill.reference_no: "pushed"}
    assert gateway.push_bills([request]) == {bill.reference_no: "pushed"}
    assert Notification.objects.count() == 1


def test_an_outage_is_retried_with_backoff_and_delivered_once_after_recovery(make_bill, registration):
    bill = make_bill()
    display.fault_set(operation="push", outage=True)
    now = timezone.now()
    with time_machine.travel(now, tick=False) as clock:
        for _ in range(4):
            run_scheduler()
            clock.shift(dt.timedelta(minutes=10))
        bill.refresh_from_db()
        assert bill.status == BillStatus.SCHEDULED
        assert bill.push_attempts >= 3
        assert DeliveryAttempt.objects.filter(bill=bill, operation="push", ok=False).count() == bill.push_attempts

        display.fault_set(operation="push")  # recovered
        clock.shift(dt.timedelta(minutes=15))
        run_scheduler()
    bill.refresh_from_db()
    assert bill.status == BillStatus.DISPLAYED
    assert Notification.objects.count() == 1
    assert quota(registration) == (99, 0)


def test_retry_delays_grow_and_are_capped(settings):
    settings.PUSH_RETRY_BASE_SECONDS = 10
    settings.PUSH_RETRY_CAP_SECONDS = 600
    delays = [services._retry_delay(n) for n in range(1, 12)]
    assert 5 <= delays[0] <= 10
    assert 40 <= delays[3] <= 80
    assert all(300 <= d <= 600 for d in delays[8:])


def test_retries_stop_at_the_bills_end_and_the_bill_fails_with_its_quota_released(make_bill, registration):
    bill = make_bill(end=timezone.now() + dt.timedelta(minutes=30))
    display.fault_set(operation="push", outage=True)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(20):
            run_scheduler()
            clock.shift(dt.timedelta(minutes=3))
    bill.refresh_from_db()
    assert bill.status == BillStatus.FAILED
    assert not DisplayedBill.objects.exists()
    last_try = DeliveryAttempt.objects.filter(bill=bill).order_by("-at").first().at
    assert last_try < bill.end_at
    assert quota(registration) == (100, 0)


def test_a_refusal_is_not_retried(make_bill, registration, monkeypatch):
    from livin.gateways import SandboxLivinGateway
    from notifications.gateway import PermanentGatewayError

    def refuse(self, bills):
        raise PermanentGatewayError("400 bad bill")

    monkeypatch.setattr(SandboxLivinGateway, "push_bills", refuse)
    bill = make_bill()
    run_scheduler()
    bill.refresh_from_db()
    assert bill.status == BillStatus.FAILED and bill.push_attempts == 0
    assert quota(registration) == (100, 0)


def test_after_an_outage_missed_starts_are_caught_up_and_ended_bills_are_not_pushed(make_bill, registration):
    now = timezone.now()
    late = make_bill(start=now - dt.timedelta(hours=5), end=now + dt.timedelta(hours=5))
    gone = make_bill(start=now - dt.timedelta(hours=5), end=now + dt.timedelta(minutes=30))
    services.directory_check(bill_ids=[late.pk, gone.pk])
    # The scheduler was down for an hour: nothing ran.
    with time_machine.travel(now + dt.timedelta(hours=1)):
        run_scheduler()
    late.refresh_from_db()
    gone.refresh_from_db()
    assert late.status == BillStatus.DISPLAYED
    assert gone.status == BillStatus.FAILED
    assert list(DisplayedBill.objects.values_list("reference", flat=True)) == [late.reference_no]
    assert quota(registration) == (99, 0)


def test_a_displayed_bill_expires_at_its_end_and_is_withdrawn(make_bill, registration,
                                                               django_capture_on_commit_callbacks):
    bill = make_bill(end=timezone.now() + dt.timedelta(hours=1))
    run_scheduler()
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1, seconds=1)):
        with django_capture_on_commit_callbacks(execute=True):
            run_scheduler()
        bill.refresh_from_db()
        assert bill.status == BillStatus.EXPIRED
        assert bill.withdrawn_at is not None
        assert not display.bills_shown(USER_PHONE).exists()
    assert quota(registration) == (99, 0), "a delivered push stays charged"


def test_paying_the_exact_amount_marks_paid_and_withdraws_at_once(make_bill, django_capture_on_commit_callbacks):
    bill = make_bill()
    run_scheduler()
    with django_capture_on_commit_callbacks(execute=True):
        display.pay(reference=bill.reference_no, phone=USER_PHONE, amount=Decimal("150000.00"), channel="MBP")
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID
    assert bill.paid_amount == Decimal("150000.00") and bill.paid_at is not None
    assert bill.withdrawn_at is not None
    assert not display.bills_shown(USER_PHONE).exists()


def test_a_wrong_amount_is_refused_by_the_closed_payment(make_bill):
    bill = make_bill()
    run_scheduler()
    with pytest.raises(display.SandboxRefused, match="exactly"):
        display.pay(reference=bill.reference_no, phone=USER_PHONE, amount=Decimal("150001.00"), channel="MBP")
    with pytest.raises(reminder_services.PaymentRefused):
        reminder_services.bill_payment_received(reference=bill.reference_no, amount=Decimal("1.00"), channel="MVA",
                                  payment_reference="PAYX")
    bill.refresh_from_db()
    assert bill.status == BillStatus.DISPLAYED


def test_a_duplicate_payment_notification_changes_nothing(make_bill, registration):
    bill = make_bill()
    run_scheduler()
    for _ in range(3):
        reminder_services.bill_payment_received(reference=bill.reference_no, amount=Decimal("150000.00"), channel="MVA",
                                  payment_reference="PAY1")
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID
    assert bill.events.filter(to_status=BillStatus.PAID).count() == 1
    assert quota(registration) == (99, 0)


def test_a_scheduled_bill_paid_elsewhere_is_never_pushed_and_its_quota_released(make_bill, registration):
    bill = make_bill(start=timezone.now() + dt.timedelta(hours=1))
    services.directory_check(bill_ids=[bill.pk])
    reminder_services.bill_payment_received(reference=bill.reference_no, amount=Decimal("150000.00"), channel="MVA",
                              payment_reference="PAY2")
    with time_machine.travel(timezone.now() + dt.timedelta(hours=2)):
        run_scheduler()
    assert not DisplayedBill.objects.exists()
    assert quota(registration) == (100, 0)


def test_cancelling_a_displayed_bill_withdraws_it(make_bill, django_capture_on_commit_callbacks, registration):
    bill = make_bill()
    run_scheduler()
    with django_capture_on_commit_callbacks(execute=True):
        bill_cancel(bill=Bill.objects.get(pk=bill.pk), reason="sent twice")
    bill.refresh_from_db()
    assert bill.status == BillStatus.CANCELLED and bill.withdrawn_at is not None
    assert not display.bills_shown(USER_PHONE).exists()
    assert quota(registration) == (99, 0), "the push was delivered, so it stays charged"


def test_stopping_a_code_cancels_its_bills_withdraws_shown_ones_and_releases_quota(
    make_bill, registration, django_capture_on_commit_callbacks
):
    shown = make_bill()
    run_scheduler()
    waiting = make_bill(start=timezone.now() + dt.timedelta(days=1))
    unchecked = make_bill(start=timezone.now() + dt.timedelta(days=1))
    services.directory_check(bill_ids=[waiting.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert bills_cancel_for_stop(registration=registration) == 3
    statuses = set(Bill.objects.filter(pk__in=[shown.pk, waiting.pk, unchecked.pk]).values_list("status", flat=True))
    assert statuses == {BillStatus.CANCELLED}
    assert not display.bills_shown(USER_PHONE).exists()
    assert quota(registration) == (99, 0)
