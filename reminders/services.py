"""Writes of the reminders app: the one way to create a bill, and the one way to move it."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billers.models import Registration, User
from billers.selectors import registry_refusal
from core import audit
from core.audit import audit_record, audit_record_each
from core.bulk import insert_new_rows, insert_rows
from core.errors import Conflict, InsufficientQuota, NotAllowed
from fileformat.errors import CellError
from fileformat.headers import HeaderMap
from fileformat.rows import RowValues, validate_row
from quota.selectors import quota_available
from quota.services import quota_consume_each, quota_release_each, quota_reserve_each
from reminders import lifecycle, sql
from reminders.models import (
    ACTIVE_STATUSES,
    TERMINAL_STATUSES,
    TRANSITIONS,
    Bill,
    BillEvent,
    BillSource,
    BillStatus,
    PaymentChannel,
    Upload,
    UploadRow,
    new_reference_no,
)


def field_names(names: Mapping[str, str]) -> HeaderMap:
    """Names the bill columns as a caller's user knows them (API fields, form labels)."""
    columns = list(names)
    return HeaderMap(positions={c: i for i, c in enumerate(columns)}, headers=tuple(names[c] for c in columns))


def bill_validate(
    *, registration: Registration, values: Mapping[str, object], names: HeaderMap, now=None
) -> tuple[RowValues | None, list[CellError]]:
    """Checks one bill's values with the same rules (and messages) as an uploaded row."""
    return validate_row(values, names, row_number=1, now=now or timezone.now(), biller_code=registration.code)


def registration_accepts_bills(registration: Registration) -> None:
    """Refuses bills for a stopped biller code, a company that is not active, or a code the bank's
    registry no longer lets take them (inactive, or open payment): the registry is the truth."""
    if not registration.is_active:
        raise NotAllowed(_("Biller code %(code)s is stopped for Bill Reminder.") % {"code": registration.code})
    if not registration.company.is_active:
        raise NotAllowed(_("The company is not active."))
    refusal = registry_refusal(registration.biller_code)
    if refusal:
        raise NotAllowed(refusal)


def _conflicts(registration: Registration, refused: list[tuple]) -> dict[str, Conflict]:
    """Why each row the database refused was refused (by reference no.): its partner reference is
    used, or its bill key has an active reminder. Two look-ups for all of them."""
    references = {row[_PARTNER_REFERENCE] for row in refused if row[_PARTNER_REFERENCE]}
    keys = {row[_BILL_KEY] for row in refused}
    used = set(Bill.objects.filter(company=registration.company_id, partner_reference_no__any=list(references))
               .values_list("partner_reference_no", flat=True)) if references else set()
    active = dict(Bill.objects.filter(registration=registration, bill_key__any=list(keys), status__in=ACTIVE_STATUSES)
                  .values_list("bill_key", "reference_no"))
    found = {}
    for row in refused:
        partner_reference, key = row[_PARTNER_REFERENCE], row[_BILL_KEY]
        if partner_reference in used:
            found[row[_REFERENCE]] = Conflict(
                _("Partner reference %(ref)s is already used.") % {"ref": partner_reference},
                field="partner_reference_no", code="duplicate_partner_reference",
            )
        elif key in active:
            found[row[_REFERENCE]] = Conflict(
                _("Bill key %(key)s already has an active reminder (%(ref)s).") % {"key": key, "ref": active[key]},
                field="bill_key", code="active_reminder",
            )
        else:  # the bill it collided with is gone again (a racing call rolled back): sending it again works
            found[row[_REFERENCE]] = Conflict(
                _("Bill key %(key)s was being created by another call at the same moment; send it again.")
                % {"key": key}, field="bill_key", code="retry",
            )
    return found


def _actor_label(actor: User | None, source: str) -> str:
    if actor is not None:
        return str(actor)
    return {BillSource.API: "Open API"}.get(source, "system")


# The columns bills_create writes, in order; a new bill's other columns are NULL.
_NEW_BILL_FIELDS = ("reference_no", "company_id", "registration_id", "bill_key", "partner_reference_no",
                    "payer_phone", "payer_name", "amount", "description", "start_at", "end_at", "status", "source",
                    "created_by_id", "created_at", "updated_at", "push_attempts")
_REFERENCE, _BILL_KEY, _PARTNER_REFERENCE = 0, 3, 4


def bill_create(
    *, registration: Registration, row: RowValues, source: str, actor: User | None = None,
    actor_label: str | None = None, needs_approval: bool = False,
) -> Bill:
    """Creates one bill and reserves one quota unit, or refuses the whole thing (``bills_create``)."""
    (outcome,) = bills_create(registration=registration, rows=[row], source=source, actor=actor,
                              actor_label=actor_label, needs_approval=needs_approval)
    if isinstance(outcome, Conflict):
        raise outcome
    return outcome


def bills_create(
    *, registration: Registration, rows: list[RowValues], source: str, actor: User | None = None,
    actor_label: str | None = None, needs_approval: bool = False,
) -> list[Bill | Conflict]:
    """Creates a bill for each row, each with its timeline line, audit line and one reserved push;
    returns, in the order of ``rows``, each row's bill or the ``Conflict`` that refused it (its
    partner reference is used, or its bill key already has an active reminder).

    Runs in the caller's transaction, which must be rolled back if this raises: ``NotAllowed``
    when the code is stopped or the company suspended, ``InsufficientQuota`` when the code's
    available quota does not cover every bill created (a call's bills are reserved whole).
    """
    # A savepoint where the caller has a transaction: a refusal undoes this call's writes only,
    # and the caller (a console page) can go on reading.
    with transaction.atomic():
        outcomes, reservation = bills_insert(registration=registration, rows=rows, source=source, actor=actor,
                                             actor_label=actor_label, needs_approval=needs_approval)
        reservation.book()
    return outcomes


@dataclass
class Reservation:
    """The pushes the bills just inserted still need; ``book`` reserves them or raises. Until it
    is booked the transaction must not commit."""

    registration: Registration
    bill_ids: list[int]

    def book(self) -> None:
        if self.bill_ids and not quota_reserve_each(registration=self.registration,
                                                    references=[f"bill:{pk}" for pk in self.bill_ids]):
            _refuse_reservation(self.registration, len(self.bill_ids))


def bills_insert(
    *, registration: Registration, rows: list[RowValues], source: str, actor: User | None = None,
    actor_label: str | None = None, needs_approval: bool = False,
) -> tuple[list[Bill | Conflict], Reservation]:
    """``bills_create`` but for the reservation, which the caller books as the last change
    before its transaction commits (the Open API keeps its answer first).

    The Open API's hot path, so one statement per kind of change whatever the number of
    rows: the bills (the database's unique indexes refuse a used partner reference or a
    second active reminder for a bill key, and the refused rows are looked up once), their
    timeline lines, their audit lines; then the reservation, last, so that the code's quota
    account stays locked only from that statement to the commit (``quota_reserve_each``).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("bills_insert writes in the caller's transaction: call it inside transaction.atomic")
    registration_accepts_bills(registration)
    now = timezone.now()
    status = BillStatus.PENDING_APPROVAL if needs_approval else BillStatus.RECEIVED
    actor_id = actor.pk if actor else None
    values = [
        (new_reference_no(), registration.company_id, registration.pk, row.bill_key, row.partner_reference_no or None,
         row.payer_phone, row.payer_name, row.amount, row.description, row.start_at, row.end_at, status, source,
         actor_id, now, now, 0)
        for row in rows
    ]
    inserted = dict(insert_new_rows(Bill, _NEW_BILL_FIELDS, values, returning=("reference_no", "id")))
    refused = [value for value in values if value[_REFERENCE] not in inserted]
    conflicts = _conflicts(registration, refused) if refused else {}
    outcomes: list[Bill | Conflict] = []
    created: list[Bill] = []
    for value in values:
        pk = inserted.get(value[_REFERENCE])
        if pk is None:
            outcomes.append(conflicts[value[_REFERENCE]])
            continue
        bill = Bill(pk=pk, **dict(zip(_NEW_BILL_FIELDS, value)))
        bill.registration = registration
        created.append(bill)
        outcomes.append(bill)
    if created:
        label = actor_label or _actor_label(actor, source)
        with translation.override("en"):  # stored in English; reminders.timeline shows it in the reader's language
            received = f"Received through {BillSource(source).label}"
        insert_rows(BillEvent, ["bill", "at", "from_status", "to_status", "actor", "actor_label", "reason"],
                    ((bill.pk, now, "", status, actor_id, label, received) for bill in created))
        # Once, not once a bill: the Open API's hot path.
        who, shown_status = audit.who(actor, label), audit.label(BillStatus(status).label)
        audit_record_each(
            action="bill.created", actor=actor, actor_label=label, company=registration.company,
            sentence=gettext_noop("%(actor)s created bill %(reference)s for %(code)s/%(bill_key)s, %(amount)s, "
                                  "status %(status)s"),
            entries=((bill, {"actor": who, "reference": bill.reference_no, "code": registration.code,
                             "bill_key": bill.bill_key, "amount": audit.money(bill.amount), "status": shown_status})
                     for bill in created))
    return outcomes, Reservation(registration, [bill.pk for bill in created])


def _refuse_reservation(registration: Registration, needed: int) -> None:
    """Says why ``quota_reserve_each`` moved nothing: the code stopped meanwhile, or too little quota."""
    registration = Registration.objects.select_related("biller_code", "company").get(pk=registration.pk)
    registration_accepts_bills(registration)
    raise InsufficientQuota(
        _("Not enough quota for %(code)s: %(available)d available, %(needed)d needed.")
        % {"code": registration.code, "available": quota_available(registration=registration), "needed": needed}
    )


def _quota_effect(moved: list[Bill], to_status: str) -> None:
    """A delivered push is charged; a bill that ends without one gives its reserved unit back. One
    ledger entry per bill (``bill:<id>``, booked once), written at once for each biller code."""
    if to_status == BillStatus.DISPLAYED:
        book, counted = quota_consume_each, moved
    elif to_status in TERMINAL_STATUSES:
        book, counted = quota_release_each, [bill for bill in moved if bill.displayed_at is None]
    else:
        return
    by_code: dict[int, list[Bill]] = {}
    for bill in counted:
        by_code.setdefault(bill.registration_id, []).append(bill)
    for bills in by_code.values():
        book(registration=bills[0].registration, references=[bill.quota_reference for bill in bills])


@transaction.atomic
def bills_move(
    *, bills: list[Bill], to_status: str, reason: str, actor: User | None = None, actor_label: str = "system",
    **fields,
) -> list[Bill]:
    """Moves bills that share one status to ``to_status``, with their quota effect, timeline lines and
    lifecycle hooks; returns the ones moved (a bill that moved on meanwhile is left as it is).

    How a bill's status changes, for one bill or a delivery batch alike (an upload's bills
    waiting for approval move by ``bills_move_pending``): one statement per kind of change
    (the bills, their timeline lines, their quota entries, their callbacks), never one per
    bill. The bills are locked and moved only from the status the caller saw, so two workers
    racing for one bill cannot both move it. ``fields`` are set on every moved bill (plain
    values are copied onto the objects too; expressions such as ``F("start_at")`` only in
    the database).
    """
    if not bills:
        return []
    from_status = bills[0].status
    if any(bill.status != from_status for bill in bills):
        raise ValueError("bills_move moves bills of one status at a time")
    if to_status not in TRANSITIONS.get(from_status, set()):
        raise Conflict(
            _("A bill in status %(from)s cannot become %(to)s.") % {"from": from_status, "to": to_status},
            code="invalid_transition",
        )
    now = timezone.now()
    if to_status == BillStatus.DISPLAYED:
        fields.setdefault("displayed_at", now)
    by_pk = {bill.pk: bill for bill in bills}
    still = Bill.objects.select_for_update().filter(pk__any=list(by_pk), status=from_status).order_by("pk")
    ids = list(still.values_list("pk", flat=True))
    if not ids:
        return []
    Bill.objects.filter(pk__any=ids).update(status=to_status, updated_at=now, **fields)
    moved = [by_pk[pk] for pk in ids]
    label = str(actor) if actor else actor_label
    plain = {name: value for name, value in fields.items() if not hasattr(value, "resolve_expression")}
    for bill in moved:
        for name, value in plain.items():
            setattr(bill, name, value)
        bill.status, bill.updated_at = to_status, now
    actor_id = actor.pk if actor else None
    insert_rows(BillEvent, ["bill", "at", "from_status", "to_status", "actor", "actor_label", "reason"],
                ((bill.pk, now, from_status, to_status, actor_id, label, reason) for bill in moved))
    _quota_effect(moved, to_status)
    lifecycle.bills_moved(moved, from_status)  # the biller's callbacks, withdrawals (reminders.lifecycle)
    return moved


def bill_transition(
    *, bill: Bill, to_status: str, actor: User | None = None, actor_label: str = "system", reason: str = "",
    **fields,
) -> Bill:
    """Moves one bill (``bills_move``); ``Conflict`` if the lifecycle forbids it or it moved on meanwhile."""
    if not bills_move(bills=[bill], to_status=to_status, actor=actor, actor_label=actor_label, reason=reason,
                      **fields):
        bill.refresh_from_db()
        raise Conflict(
            _("The bill changed meanwhile; it is now %(status)s.") % {"status": bill.status}, code="stale_status"
        )
    return bill


@transaction.atomic
def bill_cancel(*, bill: Bill, actor: User | None = None, actor_label: str = "system", reason: str = "",
                request=None) -> Bill:
    """Cancels an active bill; its reserved quota is released if no push was delivered."""
    bill = Bill.objects.select_for_update().select_related("registration__biller_code").get(pk=bill.pk)
    if bill.status == BillStatus.PAID:
        raise Conflict(_("Bill %(ref)s is already paid.") % {"ref": bill.reference_no}, code="paid")
    if not bill.can_be_cancelled:
        raise Conflict(
            _("Bill %(ref)s is no longer active (%(status)s).") % {"ref": bill.reference_no, "status": bill.status},
            code="not_active",
        )
    typed, reason = reason, reason or "Cancelled"  # stored in English, shown translated (reminders.timeline)
    bill_transition(bill=bill, to_status=BillStatus.CANCELLED, actor=actor, actor_label=actor_label, reason=reason,
                    next_recheck_at=None)
    audit_record(action="bill.cancelled", actor=actor, actor_label=actor_label, company=bill.company,
                 request=request, obj=bill,
                 sentence=gettext_noop("%(actor)s cancelled bill %(reference)s (%(code)s/%(bill_key)s): %(reason)s"),
                 params={"actor": audit.who(actor, actor_label), "reference": bill.reference_no,
                         "code": bill.registration.code, "bill_key": bill.bill_key,
                         # What the user typed stays as typed; only the default word is translated.
                         "reason": typed if typed else audit.label(gettext_noop("Cancelled"))})
    return bill


def bills_cancel_for_stop(*, registration: Registration, actor: User | None = None) -> int:
    """Stopping a biller code cancels its active bills: shown ones are withdrawn, reserved quota released;
    its payers without Livin' are not looked up again."""
    Bill.objects.filter(registration=registration, status=BillStatus.NOT_LIVIN_USER,
                        next_recheck_at__isnull=False).update(next_recheck_at=None, updated_at=timezone.now())
    cancelled, refused = 0, set()
    active = Bill.objects.filter(registration=registration, status__in=ACTIVE_STATUSES).order_by("pk")
    while True:
        # A bill that refused to move is not picked again, or the loop would never end.
        batch = list(active.exclude(pk__in=refused).select_related("registration__biller_code")[:500])
        if not batch:
            return cancelled
        for bill in batch:
            with transaction.atomic():
                try:
                    bill_transition(bill=bill, to_status=BillStatus.CANCELLED, actor=actor,
                                    actor_label="service stop",
                                    reason=f"Bill Reminder stopped for biller code {registration.code}")
                except Conflict:
                    refused.add(bill.pk)  # moved on meanwhile (paid, expired): nothing to cancel
                    continue
                cancelled += 1


# --- Payment -------------------------------------------------------------------------------


class PaymentRefused(Conflict):
    """The bank reported a payment this bill cannot take (unknown, ended, another amount)."""

    code = "payment_refused"


@transaction.atomic
def bill_payment_received(*, reference: str, amount, channel: str, payment_reference: str, paid_at=None) -> Bill:
    """A payer paid a bill in Livin' (``LIVIN_PAYMENT_CALLBACK``): with the exact amount it is PAID,
    and withdrawn at once (``reminders.lifecycle``).

    A repeated notification of the same payment changes nothing.
    """
    bill = Bill.objects.select_for_update().filter(reference_no=reference).first()
    if bill is None:
        raise PaymentRefused(f"No bill {reference}.")
    if bill.status == BillStatus.PAID:
        return bill
    if bill.status not in (BillStatus.DISPLAYED, BillStatus.SCHEDULED):
        raise PaymentRefused(f"Bill {reference} is {bill.status}, not payable.")
    if amount != bill.amount:
        raise PaymentRefused(f"Closed payment: {amount} paid, exactly {bill.amount} due.")
    if channel not in PaymentChannel.values:
        raise PaymentRefused(f"Unknown payment channel {channel!r}: MBP or MVA.")
    payment_reference = (payment_reference or "").strip()
    if not payment_reference or len(payment_reference) > 64:
        raise PaymentRefused(f"A payment reference of 1 to 64 characters is required, not {payment_reference!r}.")
    bill_transition(
        bill=bill, to_status=BillStatus.PAID, actor_label=f"Livin' ({channel})",
        reason=f"Paid through {channel}, payment {payment_reference}",
        paid_at=paid_at or timezone.now(), paid_amount=amount, payment_channel=channel,
        payment_reference=payment_reference, lease_until=None,
    )
    return bill


# --- Many bills at once (a submitted upload) -------------------------------------------------
# The same bills and timeline lines as bill_create and bill_transition write one by one,
# written by a few set-based statements: a million rows cost seconds, not hours.


def bills_create_from_upload(upload: Upload, registration: Registration, *, status: str, actor: User, now) -> int:
    """The upload's clean rows as bills, each with its first timeline line; returns how many.

    On PostgreSQL one statement writes both: the events are made from the ids the bill
    insert returns, instead of reading a million new bills back through the upload's index.
    """
    row = lambda field: f"staged.{sql.column(UploadRow, field)}"  # noqa: E731
    # The staged row's id makes each reference unique without a lookup: "U" + 11 hex digits
    # never equals the 12 hex digits of new_reference_no().
    prefix = now.strftime("%y%m%d%H%M%S") + "U"
    if connection.vendor == "postgresql":
        reference = f"%s || lpad(upper(to_hex({row('id')})), 11, '0')"
    else:
        reference = f"%s || printf('%%011X', {row('id')})"
    at = sql.db_value(Bill, "created_at", now)
    copied = {field: (row(field), []) for field in (
        "bill_key", "payer_phone", "payer_name", "amount", "description", "start_at", "end_at",
        "partner_reference_no")}
    bills_sql, bills_params = sql.insert_select(
        Bill,
        {
            **copied,
            "reference_no": (reference, [prefix]),
            "company": ("%s", [upload.company_id]),
            "registration": ("%s", [registration.pk]),
            "status": ("%s", [status]),
            "source": ("%s", [BillSource.UPLOAD.value]),
            "upload": ("%s", [upload.pk]),
            "created_by": ("%s", [actor.pk]),
            "created_at": ("%s", [at]),
            "updated_at": ("%s", [at]),
            "livin_user": ("NULL", []),
        },
        f"FROM {sql.table(UploadRow)} AS staged WHERE {row('upload')} = %s AND {row('problem')} = ''",
        [upload.pk],
    )
    if connection.vendor == "postgresql":
        events_sql, events_params = _upload_received_events(upload, status=status, actor=actor, now=now,
                                                     source="FROM created AS bill", source_params=[])
        return sql.execute(f"WITH created AS ({bills_sql} RETURNING {sql.column(Bill, 'id')}) {events_sql}",
                        bills_params + events_params)
    # SQLite: one writer at a time, so the upload's bills in this status are the ones just made.
    created = sql.execute(bills_sql, bills_params)
    sql.execute(*_upload_received_events(
        upload, status=status, actor=actor, now=now,
        source=f"FROM {sql.table(Bill)} AS bill WHERE bill.{sql.column(Bill, 'upload')} = %s "
               f"AND bill.{sql.column(Bill, 'status')} = %s",
        source_params=[upload.pk, status],
    ))
    return created


def _upload_received_events(upload: Upload, *, status: str, actor: User, now, source: str,
                     source_params: list) -> tuple[str, list]:
    """INSERT of the "received" event of each bill that ``source`` selects as ``bill``."""
    return sql.insert_select(
        BillEvent,
        {
            "bill": (f"bill.{sql.column(Bill, 'id')}", []),
            "at": ("%s", [sql.db_value(BillEvent, "at", now)]),
            "from_status": ("''", []),
            "to_status": ("%s", [status]),
            "actor": ("%s", [actor.pk]),
            "actor_label": ("%s", [str(actor)]),
            "reason": ("%s", [f"Received through {BillSource.UPLOAD.label} (upload #{upload.pk})"]),
        },
        source,
        source_params,
    )


def bills_move_pending(upload: Upload, *, to_status: str, actor: User, reason: str, now) -> int:
    """Moves the upload's bills still waiting for approval to ``to_status``, each with its timeline line."""
    bills, events = sql.table(Bill), sql.table(BillEvent)
    pending = BillStatus.PENDING_APPROVAL
    event_columns = [sql.column(BillEvent, f)
                     for f in ("bill", "at", "from_status", "to_status", "actor", "actor_label", "reason")]
    event_values = [sql.db_value(BillEvent, "at", now), pending, to_status, actor.pk, str(actor), reason]
    if connection.vendor == "postgresql":
        # One statement: the rows moved are exactly the rows that get an event.
        return sql.execute(
            f"""
            WITH moved AS (
                UPDATE {bills} SET {sql.column(Bill, "status")} = %s, {sql.column(Bill, "updated_at")} = %s
                WHERE {sql.column(Bill, "upload")} = %s AND {sql.column(Bill, "status")} = %s
                RETURNING {sql.column(Bill, "id")}
            )
            INSERT INTO {events} ({", ".join(event_columns)})
            SELECT {sql.column(Bill, "id")}, %s, %s, %s, %s, %s, %s FROM moved
            """,
            [to_status, sql.db_value(Bill, "updated_at", now), upload.pk, pending, *event_values],
        )
    # SQLite: one writer at a time, so nothing moves these bills between the two statements.
    sql.execute(
        f"""
        INSERT INTO {events} ({", ".join(event_columns)})
        SELECT {sql.column(Bill, "id")}, %s, %s, %s, %s, %s, %s FROM {bills}
        WHERE {sql.column(Bill, "upload")} = %s AND {sql.column(Bill, "status")} = %s
        """,
        [*event_values, upload.pk, pending],
    )
    return Bill.objects.filter(upload=upload, status=pending).update(status=to_status, updated_at=now)


# --- Bills sent through the Open API that wait for an approver ------------------------------


def api_bills_decide(*, bills, approve: bool, actor: User, reason: str = "", request=None) -> tuple[int, object]:
    """An approver receives (``approve``) or rejects the API bills of ``bills`` (a queryset of bills
    waiting for approval); returns how many moved and their total amount. Rejected bills are
    cancelled, their pushes given back and their callbacks sent, as any cancelled bill's.

    The API credential, not a person, made these bills, so any approver of the company may
    decide them; the role is checked here, the company by the caller's queryset."""
    from billers.models import Role

    if not actor.has_role(Role.APPROVER):
        raise NotAllowed(_("Only a user with the approver role can approve this."))
    reason = (reason or "").strip()
    to_status = BillStatus.RECEIVED if approve else BillStatus.CANCELLED
    said = (f"Approved by {actor}" if approve else f"Rejected by {actor}" + (f": {reason}" if reason else ""))
    moved, total, code = 0, Decimal(0), ""
    waiting = bills.filter(status=BillStatus.PENDING_APPROVAL).select_related("registration__biller_code")
    while True:
        batch = list(waiting.order_by("pk")[:500])
        if not batch:
            break
        code = code or batch[0].registration.code
        with transaction.atomic():
            done = bills_move(bills=batch, to_status=to_status, reason=said, actor=actor)
        if not done:
            break
        moved += len(done)
        total += sum((bill.amount for bill in done), Decimal(0))
    if moved:
        audit_record(action="bills.api_approved" if approve else "bills.api_rejected", actor=actor,
                     company=actor.company, request=request,
                     sentence=(gettext_noop("%(actor)s approved %(bills)s bills sent through the Open API for "
                                            "%(code)s, %(total)s") if approve else
                               gettext_noop("%(actor)s rejected %(bills)s bills sent through the Open API for "
                                            "%(code)s, %(total)s%(reason)s")),
                     params={"actor": actor, "bills": moved, "code": code, "total": audit.money(total)}
                            | ({} if approve else {"reason": audit.because(reason)}),
                     details={"bills": moved, "total": str(total), "code": code})
    return moved, total
