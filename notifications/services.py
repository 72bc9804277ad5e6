"""Delivery: the directory check, the display-window scheduler, pushes with retries, expiry
and withdrawal, each batch recorded at once through ``reminders.services.bills_move``.

Work is claimed from the database with a short lease (``Bill.lease_until``), never held
in long Celery countdowns: a task lost with its worker, or never queued because the
broker was down, is claimed again by the next sweep. Every step is idempotent: a push is
idempotent by the bill's reference at Livin', a status move is a conditional UPDATE, and
a quota movement is booked once per reference.
"""

import logging
import random
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, DateTimeField, F, Q, Value, When
from django.utils import timezone

from billers.models import Registration
from core.bulk import insert_rows
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
from quota.services import quota_reserve_each
from reminders.models import ACTIVE_STATUSES, TERMINAL_STATUSES, Bill, BillEvent, BillStatus
from reminders.services import bills_move

logger = logging.getLogger(__name__)

SYSTEM = "scheduler"


def _ms(seconds: float) -> int:
    return max(0, int(seconds * 1000))


def _attempts(bills: list[Bill], operation: str, *, ok: bool, started: float, error: str = "",
              lags: dict[int, int] | None = None) -> None:
    """One delivery attempt per bill, all written by one statement."""
    latency, at, lags = _ms(time.monotonic() - started), timezone.now(), lags or {}
    insert_rows(DeliveryAttempt, ["company", "bill", "operation", "at", "ok", "error", "latency_ms", "lag_ms"],
                ((bill.company_id, bill.pk, operation, at, ok, error[:300], latency, lags.get(bill.pk))
                 for bill in bills))


def _batch_name(kind: str) -> str:
    """Names one batch of delivery work in its log line."""
    return f"{kind}:{uuid.uuid4().hex[:16]}"


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


def _with_registrations(bills) -> list[Bill]:
    """The bills, each with its registration, biller code and company, these read once for the
    batch (a batch is mostly one code's bills): ``select_related`` would build them once a bill."""
    bills = list(bills)
    registrations = (Registration.objects.select_related("biller_code", "company")
                     .in_bulk({bill.registration_id for bill in bills}))
    for bill in bills:
        Bill.registration.field.set_cached_value(bill, registrations[bill.registration_id])
    return bills


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
            queryset.model.objects.filter(pk__any=ids).update(lease_until=now + lease)
    return ids


# --- Directory check ---------------------------------------------------------------------


def _lookup(bills: list[Bill], started: float) -> dict | None:
    """Which of the bills' payers have Livin' (one look-up for the batch); None, with the attempt
    recorded and the bills' lease let go for the next sweep, if the directory did not answer."""
    try:
        return livin_gateway().lookup_users(sorted({bill.payer_phone for bill in bills}))
    except TemporaryGatewayError as exc:
        logger.warning("directory look-up failed, %d bills wait for the next sweep: %s", len(bills), exc)
        with transaction.atomic(durable=True):
            _attempts([bills[0]], DeliveryAttempt.Operation.LOOKUP, ok=False, started=started, error=str(exc))
            Bill.objects.filter(pk__any=[b.pk for b in bills]).update(lease_until=None)
        return None


def directory_claim(limit: int) -> list[int]:
    """Received bills not yet checked against the Livin' directory."""
    due = Bill.objects.filter(status=BillStatus.RECEIVED).order_by("start_at", "pk")
    return claim(due, limit=limit)


def directory_check(*, bill_ids: list[int]) -> None:
    """Asks Livin' which payers have the app, for a batch of bills at once: users are scheduled,
    the others released, each group by one move (``bills_move``)."""
    started = time.monotonic()
    # What the look-up and the move to SCHEDULED need: most bills go there, and a whole bill
    # costs ten times as much to read. The payers without the app are read whole below.
    bills = list(Bill.objects.filter(pk__any=bill_ids, status=BillStatus.RECEIVED)
                 .only("id", "company_id", "registration_id", "status", "payer_phone").order_by("pk"))
    if not bills:
        return
    users = _lookup(bills, started)
    if users is None:
        return
    batch = _batch_name("directory")
    with_app = [bill for bill in bills if users.get(bill.payer_phone)]
    without = [bill.pk for bill in bills if not users.get(bill.payer_phone)]
    with transaction.atomic(durable=True):
        scheduled = bills_move(bills=with_app, to_status=BillStatus.SCHEDULED, actor_label=SYSTEM,
                               reason="The payer's phone has Livin'",
                               livin_user=True, next_push_at=F("start_at"), lease_until=None)
        # Whole, with their codes: their unit is released and their biller told by callback.
        without = _with_registrations(Bill.objects.filter(pk__any=without, status=BillStatus.RECEIVED)
                                      .order_by("pk")) if without else []
        released = bills_move(bills=without, to_status=BillStatus.NOT_LIVIN_USER, actor_label=SYSTEM,
                              reason="The payer's phone has no Livin' app",
                              livin_user=False, lease_until=None, next_recheck_at=_next_recheck(0, timezone.now()))
    logger.info("directory check %s: %d bills, %d with Livin', %d without, in %d ms", batch, len(bills),
                len(scheduled), len(released), _ms(time.monotonic() - started))


# --- A second look for payers without Livin' -------------------------------------------------


def _next_recheck(done: int, now):
    """When a non-user's bill is looked up again after ``done`` look-ups again, as an expression on
    the bill (none once NON_USER_RECHECKS are done, or when that would be past its end)."""
    if done >= settings.NON_USER_RECHECKS:
        return None
    at = now + timedelta(hours=settings.NON_USER_RECHECK_HOURS)
    return Case(When(end_at__gt=at, then=Value(at)), default=None, output_field=DateTimeField())


def recheck_claim(limit: int) -> list[int]:
    """Bills of payers without Livin' whose next look-up has come, while their window is open."""
    now = timezone.now()
    due = Bill.objects.filter(status=BillStatus.NOT_LIVIN_USER, next_recheck_at__lte=now, end_at__gt=now,
                              registration__status=Registration.Status.ACTIVE)
    return claim(due.order_by("next_recheck_at", "pk"), limit=limit)


def recheck_non_users(*, bill_ids: list[int]) -> None:
    """Looks the payers of these NOT_LIVIN_USER bills up in the Livin' directory again, at once.

    Found: the bill's push is reserved anew (the first reservation was released when the payer
    was not found), under ``bill:<id>:found``, and the bill moves to SCHEDULED, to be pushed and
    charged as any other; its biller hears ``bill.displayed``. Not found: looked up again later,
    up to NON_USER_RECHECKS times. A bill whose key has another active reminder by now, or whose
    code has no quota left, is not moved: the first is not looked up again, the second is, later.
    """
    now = timezone.now()
    bills = _with_registrations(Bill.objects.filter(pk__any=bill_ids, status=BillStatus.NOT_LIVIN_USER,
                                                    end_at__gt=now).order_by("pk"))
    if not bills:
        return
    started = time.monotonic()
    users = _lookup(bills, started)
    if users is None:
        return
    checks = settings.NON_USER_RECHECKS
    found = [bill for bill in bills if users.get(bill.payer_phone)]
    missing = [bill for bill in bills if not users.get(bill.payer_phone)]
    moved = kept = taken = 0
    with transaction.atomic(durable=True):
        found, taken_keys = _without_active_twin(found)
        events = [(bill.pk, f"Bill key {bill.bill_key} has another active or newer reminder: not looked up again")
                  for bill in taken_keys]
        taken = Bill.objects.filter(pk__any=[bill.pk for bill in taken_keys]).update(
            next_recheck_at=None, lease_until=None)
        for (_code, check), group in _grouped(found).items():
            for bill in group:
                bill.found_late_at = now
            if not quota_reserve_each(registration=group[0].registration,
                                      references=[bill.quota_reference for bill in group]):
                # No quota (or the code stopped): the payer is looked up again a while later,
                # and this look-up is not counted.
                for bill in group:
                    bill.found_late_at = None
                Bill.objects.filter(pk__any=[bill.pk for bill in group]).update(
                    lease_until=None, next_recheck_at=_next_recheck(0, now))
                events += [(bill.pk, f"Found in Livin', but biller code {bill.registration.code} has no "
                                     f"quota left: looked up again later") for bill in group]
                kept += len(group)
                continue
            moved += len(bills_move(
                bills=group, to_status=BillStatus.SCHEDULED, actor_label=SYSTEM,
                reason=f"Found in Livin' on look-up {check} of {checks} after the first",
                livin_user=True, found_late_at=now, next_push_at=F("start_at"), next_recheck_at=None,
                rechecks=F("rechecks") + 1, lease_until=None))
        for bill in missing:
            events.append((bill.pk, f"Not in Livin' on look-up {bill.rechecks + 1} of {checks} after the first"))
        for (_code, done), group in _grouped(missing).items():
            Bill.objects.filter(pk__any=[bill.pk for bill in group], status=BillStatus.NOT_LIVIN_USER).update(
                rechecks=done, next_recheck_at=_next_recheck(done, now), lease_until=None)
        insert_rows(BillEvent, ["bill", "at", "from_status", "to_status", "actor", "actor_label", "reason"],
                    ((pk, now, "", BillStatus.NOT_LIVIN_USER, None, SYSTEM, reason) for pk, reason in events))
    logger.info("directory look-up again: %d bills, %d found and scheduled, %d found without quota, "
                "%d with another active reminder, %d still without Livin', in %d ms", len(bills), moved, kept,
                taken, len(missing), _ms(time.monotonic() - started))


def _without_active_twin(bills: list[Bill]) -> tuple[list[Bill], list[Bill]]:
    """``bills`` split by whether their bill key has no other reminder that is active or newer: an
    active one would break one active reminder per bill key, and a newer one (sent again to
    another phone, perhaps paid already) replaced this one, which must not come back."""
    if not bills:
        return [], []
    others = Bill.objects.filter(
        registration_id__in={bill.registration_id for bill in bills}, bill_key__in={bill.bill_key for bill in bills},
    ).exclude(pk__in=[bill.pk for bill in bills]).values_list("registration_id", "bill_key", "status", "created_at")
    newest: dict[tuple[int, str], object] = {}
    active: set[tuple[int, str]] = set()
    for registration_id, bill_key, status, created_at in others:
        key = (registration_id, bill_key)
        newest[key] = max(newest.get(key, created_at), created_at)
        if status in ACTIVE_STATUSES:
            active.add(key)

    def replaced(bill):
        key = (bill.registration_id, bill.bill_key)
        return key in active or (key in newest and newest[key] > bill.created_at)

    return [bill for bill in bills if not replaced(bill)], [bill for bill in bills if replaced(bill)]


def _grouped(bills: list[Bill]) -> dict[tuple[int, int], list[Bill]]:
    """``bills`` by biller code and by the number of this look-up again (one reservation a code,
    one status move or update a look-up number)."""
    groups: dict[tuple[int, int], list[Bill]] = {}
    for bill in bills:
        groups.setdefault((bill.registration_id, bill.rechecks + 1), []).append(bill)
    return groups


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


def _retry_later(bills: list[Bill], error: str) -> tuple[int, int]:
    """Bills the bank did not take now: tried again after a backoff, or failed if that would be past
    their end; by attempt count, one statement each. Returns (to retry, failed)."""
    retrying = failed = 0
    by_attempts: dict[int, list[Bill]] = {}
    for bill in bills:
        by_attempts.setdefault(bill.push_attempts + 1, []).append(bill)
    for attempts, group in by_attempts.items():
        next_push_at = timezone.now() + timedelta(seconds=_retry_delay(attempts))
        ending = [bill for bill in group if next_push_at >= bill.end_at]
        later = [bill for bill in group if next_push_at < bill.end_at]
        if ending:
            tries = f"{attempts} attempt" if attempts == 1 else f"{attempts} attempts"
            failed += len(bills_move(bills=ending, to_status=BillStatus.FAILED, actor_label=SYSTEM,
                                     reason=f"Not delivered before its end after {tries}: {error}",
                                     lease_until=None, push_attempts=attempts))
        if later:
            retrying += Bill.objects.filter(pk__any=[bill.pk for bill in later], status=BillStatus.SCHEDULED).update(
                push_attempts=attempts, next_push_at=next_push_at, lease_until=None)
    return retrying, failed


def push_bills(*, bill_ids: list[int]) -> None:
    """Pushes due bills to Livin' in one batch, and records the whole batch's outcome at once.

    The bank answers per bill: the ones shown become DISPLAYED and are charged (one ledger
    entry per bill, all written at once), a payer who no longer has Livin' fails the bill (its unit
    released), the others are tried again later; a refusal of the whole call fails them all,
    an outage retries them all. One transaction, one statement per kind of change, one log line.
    """
    now = timezone.now()
    bills = _with_registrations(
        Bill.objects.filter(pk__any=bill_ids, status=BillStatus.SCHEDULED, next_push_at__lte=now, end_at__gt=now)
        # Not what the push, its outcome or the biller's callback reads (timestamps cost most to read).
        .defer("updated_at", "lease_until", "next_push_at", "withdrawn_at", "created_by", "upload", "source")
        .order_by("pk")
    )
    if not bills:
        return
    started = time.monotonic()
    batch = _batch_name("push")
    refused = outage = ""
    try:
        results = livin_gateway().push_bills([_push_request(bill) for bill in bills])
    except TemporaryGatewayError as exc:
        results, outage = {}, str(exc)
    except PermanentGatewayError as exc:
        results, refused = {}, str(exc)
    delivered_at = timezone.now()
    pushed = [bill for bill in bills if results.get(bill.reference_no) == "pushed"]
    gone = [bill for bill in bills if results.get(bill.reference_no) == "not_livin_user"]
    unanswered = [bill for bill in bills if results.get(bill.reference_no) not in ("pushed", "not_livin_user")]
    lags = {bill.pk: int((delivered_at - max(bill.start_at, bill.created_at)).total_seconds() * 1000)
            for bill in pushed}
    push = DeliveryAttempt.Operation.PUSH
    with transaction.atomic(durable=True):
        _attempts(pushed, push, ok=True, started=started, lags=lags)
        _attempts(gone, push, ok=False, started=started, error="not_livin_user")
        shown = bills_move(bills=pushed, to_status=BillStatus.DISPLAYED, actor_label=SYSTEM,
                           reason="Pushed to Livin' and shown",
                           displayed_at=delivered_at, lease_until=None, push_attempts=F("push_attempts") + 1)
        lost = bills_move(bills=gone, to_status=BillStatus.FAILED, actor_label=SYSTEM,
                          reason="The payer's phone no longer has Livin'", lease_until=None)
        if refused:
            _attempts(unanswered, push, ok=False, started=started, error=refused)
            failed = len(bills_move(bills=unanswered, to_status=BillStatus.FAILED, actor_label=SYSTEM,
                                    reason=f"Livin' refused the push: {refused}",
                                    lease_until=None))
            retrying = 0
        else:
            error = outage or "no answer for this bill"
            _attempts(unanswered, push, ok=False, started=started, error=error if outage else "missing")
            retrying, failed = _retry_later(unanswered, error)
    logger.info("push %s: %d bills, %d shown, %d without Livin', %d to retry, %d failed, in %d ms%s",
                batch, len(bills), len(shown), len(lost), retrying, failed, _ms(time.monotonic() - started),
                f" ({outage or refused})" if outage or refused else "")
    if logger.isEnabledFor(logging.DEBUG) and shown:
        # Each shown bill under the id of the request that created it, so a bill can be
        # followed from the API call to its push (LOG_LEVEL=DEBUG).
        origins = created_by_requests(Bill._meta.label, [bill.pk for bill in shown])
        for bill in shown:
            logger.debug("bill %s pushed to Livin', %d ms after its start", bill.reference_no, lags[bill.pk],
                         extra={"request_id": origins.get(str(bill.pk), "-"),
                                "company": bill.registration.company.company_id, "pushed_by": current_request_id()})


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
        bills = _with_registrations(Bill.objects.filter(pk__any=ids, status=status))
        with transaction.atomic(durable=True):
            moved += len(bills_move(bills=bills, to_status=to_status, actor_label=SYSTEM, reason=reason,
                                    lease_until=None))
    return moved


def _queue_withdraw(bill_id: int) -> None:
    from notifications.tasks import withdraw_bill

    withdraw_bill.delay(bill_id)


def withdraw_when_ended(bills, from_status: str) -> None:
    """Bills shown in Livin' that have just ended (paid, cancelled, expired) are withdrawn once
    the move commits (a ``reminders.lifecycle`` hook)."""
    ended = [bill.pk for bill in bills if bill.status in TERMINAL_STATUSES and bill.displayed_at is not None]
    if ended:
        transaction.on_commit(lambda: [_queue_withdraw(pk) for pk in ended])


def withdraw(*, bill_id: int) -> bool:
    """Stops Livin' showing the bill; True once done (a repeat is harmless)."""
    bill = Bill.objects.filter(pk=bill_id, displayed_at__isnull=False, withdrawn_at__isnull=True).first()
    if bill is None:
        return True
    started = time.monotonic()
    try:
        livin_gateway().withdraw_bill(bill.reference_no)
    except TemporaryGatewayError as exc:
        _attempts([bill], DeliveryAttempt.Operation.WITHDRAW, ok=False, started=started, error=str(exc))
        return False
    _attempts([bill], DeliveryAttempt.Operation.WITHDRAW, ok=True, started=started)
    now = timezone.now()
    Bill.objects.filter(pk=bill.pk, withdrawn_at__isnull=True).update(withdrawn_at=now, updated_at=now)
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
