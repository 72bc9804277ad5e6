"""Delivery: the directory check, the display-window scheduler, pushes with retries, expiry,
withdrawal and payment.

Work is claimed from the database with a short lease (``Bill.lease_until``), never held
in long Celery countdowns: a task lost with its worker, or never queued because the
broker was down, is claimed again by the next sweep. Every step is idempotent: a push is
idempotent by the bill's reference at Livin', a status move is a conditional UPDATE, and
a quota movement is booked once per reference.
"""

import logging
import random
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.errors import Conflict
from core.observability import current_request_id
from core.plugins import configured
from core.selectors import created_by_requests
from notifications.gateway import (
    PermanentGatewayError,
    PushRequest,
    TemporaryGatewayError,
    livin_gateway,
)
from notifications.models import DeliveryAttempt
from reminders.models import TERMINAL_STATUSES, Bill, BillStatus
from reminders.services import bill_transition

logger = logging.getLogger(__name__)

SYSTEM = "scheduler"


def _ms(seconds: float) -> int:
    return max(0, int(seconds * 1000))


def _attempt(bill: Bill, operation: str, *, ok: bool, started: float, error: str = "", lag_ms=None) -> None:
    DeliveryAttempt.objects.create(
        company_id=bill.company_id, bill=bill, operation=operation, ok=ok, error=error[:300],
        latency_ms=_ms(time.monotonic() - started), lag_ms=lag_ms,
    )


def _move(bill: Bill, to_status: str, reason: str, **fields) -> bool:
    """Moves the bill if nobody moved it meanwhile; False if it had already moved on."""
    try:
        bill_transition(bill=bill, to_status=to_status, actor_label=SYSTEM, reason=reason, **fields)
    except Conflict:
        return False
    return True


_unconfigured_said_at = 0.0  # when the missing gateway was last said in the log (monotonic)


def gateway_ready() -> bool:
    """False while no Livin' gateway is configured: bills then wait in RECEIVED or SCHEDULED
    (and end at their end) instead of failing one by one. Said in the log once a minute, not
    at every sweep."""
    global _unconfigured_said_at
    if configured("LIVIN_GATEWAY"):
        return True
    if not _unconfigured_said_at or time.monotonic() - _unconfigured_said_at >= 60:
        _unconfigured_said_at = time.monotonic()
        logger.error("Bills are not checked or pushed: no Livin' gateway is configured (setting LIVIN_GATEWAY).")
    return False


def claim(queryset, *, limit: int, lease_seconds: int | None = None) -> list[int]:
    """Leases up to ``limit`` rows of ``queryset`` whose lease is free; returns their ids.

    ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL lets several schedulers claim side
    by side; on SQLite the write transaction is exclusive, which is just as safe.
    """
    now = timezone.now()
    lease = timedelta(seconds=lease_seconds or settings.DELIVERY_LEASE_SECONDS)
    with transaction.atomic(durable=True):
        ids = list(
            queryset.filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            queryset.model.objects.filter(pk__in=ids).update(lease_until=now + lease)
    return ids


# --- Directory check ---------------------------------------------------------------------


def directory_claim(limit: int) -> list[int]:
    """Received bills not yet checked against the Livin' directory."""
    due = Bill.objects.filter(status=BillStatus.RECEIVED).order_by("start_at", "pk")
    return claim(due, limit=limit)


def directory_check(*, bill_ids: list[int]) -> None:
    """Asks Livin' which payers have the app: users are scheduled, others released."""
    bills = list(Bill.objects.filter(pk__in=bill_ids, status=BillStatus.RECEIVED))
    if not bills:
        return
    started = time.monotonic()
    try:
        users = livin_gateway().lookup_users(sorted({bill.payer_phone for bill in bills}))
    except TemporaryGatewayError as exc:
        logger.warning("directory lookup failed, %d bills wait for the next sweep: %s", len(bills), exc)
        _attempt(bills[0], DeliveryAttempt.Operation.LOOKUP, ok=False, started=started, error=str(exc))
        Bill.objects.filter(pk__in=[b.pk for b in bills]).update(lease_until=None)
        return
    for bill in bills:
        with transaction.atomic(durable=True):
            if users.get(bill.payer_phone):
                _move(bill, BillStatus.SCHEDULED, "The payer's phone has Livin'", livin_user=True,
                      next_push_at=bill.start_at, lease_until=None)
            else:
                _move(bill, BillStatus.NOT_LIVIN_USER, "The payer's phone has no Livin' app", livin_user=False,
                      lease_until=None)


# --- Pushes --------------------------------------------------------------------------------


def dispatch_claim(limit: int) -> list[int]:
    """Scheduled bills whose start (or retry time) has come and whose end has not."""
    now = timezone.now()
    due = Bill.objects.filter(status=BillStatus.SCHEDULED, next_push_at__lte=now, end_at__gt=now)
    return claim(due.order_by("next_push_at", "pk"), limit=limit)


def _push_request(bill: Bill) -> PushRequest:
    code = bill.registration.biller_code
    return PushRequest(
        reference=bill.reference_no, phone=bill.payer_phone, biller_code=code.code, biller_name=code.name,
        bill_key=bill.bill_key, payer_name=bill.payer_name, amount=bill.amount, description=bill.description,
        start_at=bill.start_at, end_at=bill.end_at,
    )


def _retry_delay(attempts: int) -> float:
    """Capped exponential backoff with jitter (half fixed, half random)."""
    ceiling = min(settings.PUSH_RETRY_CAP_SECONDS, settings.PUSH_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def _retry_later(bill: Bill, error: str) -> None:
    attempts = bill.push_attempts + 1
    next_push_at = timezone.now() + timedelta(seconds=_retry_delay(attempts))
    if next_push_at >= bill.end_at:
        tries = f"{attempts} attempt" if attempts == 1 else f"{attempts} attempts"
        _move(bill, BillStatus.FAILED, f"Not delivered before its end after {tries}: {error}",
              lease_until=None, push_attempts=attempts)
        return
    Bill.objects.filter(pk=bill.pk, status=BillStatus.SCHEDULED).update(
        push_attempts=F("push_attempts") + 1, next_push_at=next_push_at, lease_until=None
    )


def push_bills(*, bill_ids: list[int]) -> None:
    """Pushes due bills to Livin' in one batch; delivered ones are displayed and charged."""
    now = timezone.now()
    bills = list(
        Bill.objects.filter(pk__in=bill_ids, status=BillStatus.SCHEDULED, next_push_at__lte=now, end_at__gt=now)
        .select_related("registration__biller_code", "registration__company")
        .order_by("pk")
    )
    if not bills:
        return
    started = time.monotonic()
    try:
        results = livin_gateway().push_bills([_push_request(bill) for bill in bills])
    except TemporaryGatewayError as exc:
        for bill in bills:
            _attempt(bill, DeliveryAttempt.Operation.PUSH, ok=False, started=started, error=str(exc))
            _retry_later(bill, str(exc))
        return
    except PermanentGatewayError as exc:
        for bill in bills:
            _attempt(bill, DeliveryAttempt.Operation.PUSH, ok=False, started=started, error=str(exc))
            _move(bill, BillStatus.FAILED, f"Livin' refused the push: {exc}", lease_until=None)
        return
    delivered_at = timezone.now()
    origins = created_by_requests(Bill._meta.label, [bill.pk for bill in bills])
    for bill in bills:
        outcome = results.get(bill.reference_no, "missing")
        with transaction.atomic(durable=True):
            if outcome == "pushed":
                lag = delivered_at - max(bill.start_at, bill.created_at)
                _attempt(bill, DeliveryAttempt.Operation.PUSH, ok=True, started=started,
                         lag_ms=int(lag.total_seconds() * 1000))
                if _move(bill, BillStatus.DISPLAYED, "Pushed to Livin' and shown", displayed_at=delivered_at,
                         lease_until=None, push_attempts=bill.push_attempts + 1):
                    # One line per delivered bill, under the id of the request that created it,
                    # so the bill can be followed from the API call to its push.
                    logger.info("bill %s pushed to Livin', %d ms after its start", bill.reference_no,
                                int(lag.total_seconds() * 1000),
                                extra={"request_id": origins.get(str(bill.pk), "-"),
                                       "company": bill.registration.company.company_id,
                                       "pushed_by": current_request_id()})
            elif outcome == "not_livin_user":
                _attempt(bill, DeliveryAttempt.Operation.PUSH, ok=False, started=started, error=outcome)
                _move(bill, BillStatus.FAILED, "The payer's phone no longer has Livin'", lease_until=None)
            else:
                _attempt(bill, DeliveryAttempt.Operation.PUSH, ok=False, started=started, error=outcome)
                _retry_later(bill, f"no answer for this bill ({outcome})")


# --- End of the window, withdrawal ----------------------------------------------------------


def expire_due_bills(*, limit: int = 1000) -> int:
    """Ends the bills whose end has passed: displayed ones expire and are withdrawn,
    undelivered ones fail (their quota is released), and none is pushed any more."""
    now = timezone.now()
    ended = Bill.objects.filter(end_at__lte=now)
    moved = 0
    for status, to_status, reason in (
        (BillStatus.DISPLAYED, BillStatus.EXPIRED, "The display window ended"),
        (BillStatus.SCHEDULED, BillStatus.FAILED, "Not delivered before its end"),
        (BillStatus.RECEIVED, BillStatus.EXPIRED, "Ended before the Livin' directory check"),
        (BillStatus.PENDING_APPROVAL, BillStatus.CANCELLED, "Ended while waiting for approval"),
    ):
        ids = claim(ended.filter(status=status).order_by("end_at", "pk"), limit=limit)
        for bill in Bill.objects.filter(pk__in=ids, status=status):
            with transaction.atomic(durable=True):
                if _move(bill, to_status, reason, lease_until=None):
                    moved += 1
    return moved


def _queue_withdraw(bill_id: int) -> None:
    from notifications.tasks import withdraw_bill

    withdraw_bill.delay(bill_id)


def withdraw_when_ended(bill: Bill, from_status: str) -> None:
    """A bill shown in Livin' that has just ended (paid, cancelled, expired) is withdrawn
    once the move commits (a ``reminders.lifecycle`` hook)."""
    if bill.status in TERMINAL_STATUSES and bill.displayed_at is not None:
        transaction.on_commit(lambda: _queue_withdraw(bill.pk))


def withdraw(*, bill_id: int) -> bool:
    """Stops Livin' showing the bill; True once done (a repeat is harmless)."""
    bill = Bill.objects.filter(pk=bill_id, displayed_at__isnull=False, withdrawn_at__isnull=True).first()
    if bill is None:
        return True
    started = time.monotonic()
    try:
        livin_gateway().withdraw_bill(bill.reference_no)
    except TemporaryGatewayError as exc:
        _attempt(bill, DeliveryAttempt.Operation.WITHDRAW, ok=False, started=started, error=str(exc))
        return False
    _attempt(bill, DeliveryAttempt.Operation.WITHDRAW, ok=True, started=started)
    Bill.objects.filter(pk=bill.pk, withdrawn_at__isnull=True).update(withdrawn_at=timezone.now())
    return True


def withdraw_sweep(*, limit: int = 500) -> int:
    """Withdraws ended bills whose withdrawal did not get through (outage, lost task)."""
    pending = Bill.objects.filter(
        status__in=[BillStatus.PAID, BillStatus.CANCELLED, BillStatus.EXPIRED],
        displayed_at__isnull=False, withdrawn_at__isnull=True,
    ).order_by("pk")
    done = 0
    for bill_id in claim(pending, limit=limit):
        done += withdraw(bill_id=bill_id)
        Bill.objects.filter(pk=bill_id).update(lease_until=None)
    return done
