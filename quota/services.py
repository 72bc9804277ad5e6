"""The only way quota moves (top-up orders, which credit through here, are ``quota.topups``).

Every movement is one ``LedgerEntry`` written in the same transaction as the change to
the account, under a row lock on the account (``SELECT ... FOR UPDATE`` on PostgreSQL;
on SQLite every transaction begins IMMEDIATE, so writers take turns). Each movement is
idempotent by ``(kind, reference)``: booking the same event again returns the entry
already booked and moves nothing. The sign of ``units`` per kind is in ``quota.models``.

Grants, top-ups and adjustments are also written to the audit log; reservations,
consumptions and releases are machine bookings per bill, and the ledger is their record.
"""

import functools
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billers.models import Company, Registration
from core import audit
from core.audit import audit_record
from core.bulk import insert_rows
from core.errors import Conflict, InsufficientQuota, InvalidInput
from quota.models import LedgerEntry, QuotaAccount

Kind = LedgerEntry.Kind


@dataclass(frozen=True)
class _Move:
    balance: int
    reserved: int


def _move_of(kind: str, units: int) -> _Move:
    """How ``units`` of ``kind`` (signed as stored) change balance and reserved."""
    if kind in (Kind.GRANT, Kind.TOPUP, Kind.ADJUST):
        return _Move(balance=units, reserved=0)
    if kind in (Kind.RESERVE, Kind.RELEASE):
        return _Move(balance=0, reserved=units)
    if kind == Kind.CONSUME:
        return _Move(balance=units, reserved=units)
    raise ValueError(kind)


def quota_account_open(*, registration: Registration) -> QuotaAccount:
    """The quota account of ``registration``, opened empty on first need."""
    account, _created = QuotaAccount.objects.get_or_create(
        registration=registration, defaults={"company_id": registration.company_id}
    )
    return account


def _locked_account(registration: Registration) -> QuotaAccount:
    locked = QuotaAccount.objects.select_for_update()
    account = locked.filter(registration=registration).first()
    if account is None:
        quota_account_open(registration=registration)
        account = locked.get(registration=registration)
    return account


def _positive(units: int) -> int:
    if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
        raise InvalidInput(_("The number of pushes must be a whole number above zero."), field="units")
    return units


def _book(
    *, registration: Registration, kind: str, units: int, reference: str, actor=None, reason: str = "",
    refuse=None,
) -> tuple[LedgerEntry, bool]:
    """Books one movement, or finds it booked; ``refuse(account, move)`` raises if the account cannot take it."""
    if not reference:
        raise InvalidInput(_("A quota movement needs a reference."), field="reference")
    with transaction.atomic():
        account = _locked_account(registration)
        existing = LedgerEntry.objects.filter(account=account, kind=kind, reference=reference).first()
        if existing is not None:
            if existing.units != units:
                raise Conflict(
                    _("%(kind)s %(reference)s was already booked with %(booked)d units, not %(units)d.")
                    % {"kind": kind, "reference": reference, "booked": existing.units, "units": units}
                )
            return existing, False
        move = _move_of(kind, units)
        if refuse is not None:
            refuse(account, move)
        account.balance += move.balance
        account.reserved += move.reserved
        # The CHECK constraints refuse a negative or over-reserved account even if a
        # refusal above were wrong.
        QuotaAccount.objects.filter(pk=account.pk).update(
            balance=account.balance, reserved=account.reserved, updated_at=timezone.now()
        )
        entry = LedgerEntry.objects.create(
            account=account, company_id=account.company_id, kind=kind, units=units,
            balance_after=account.balance, reserved_after=account.reserved,
            reference=reference, reason=reason, actor=actor,
        )
        return entry, True


# Stored in English, as the audit log is; the statement shows it in the reader's language
# (quota_tags.ledger_reason).
INITIAL_QUOTA_REASON = gettext_noop("Initial quota of the agreement")


def quota_grant(*, registration: Registration, units: int, reference: str, actor=None, reason: str = "",
                request=None) -> LedgerEntry:
    """Adds ``units`` pushes granted by the agreement (e.g. the initial quota)."""
    return _credit_audited(registration=registration, kind=Kind.GRANT, units=units, reference=reference,
                           actor=actor, reason=reason, request=request)


def quota_topup_credit(*, registration: Registration, units: int, reference: str, actor=None, reason: str = "",
                       request=None) -> LedgerEntry:
    """Adds ``units`` pushes bought by a paid top-up (reference ``topup:<order id>``)."""
    return _credit_audited(registration=registration, kind=Kind.TOPUP, units=units, reference=reference,
                           actor=actor, reason=reason, request=request)


def _credit_audited(*, registration, kind, units, reference, actor, reason, request) -> LedgerEntry:
    with transaction.atomic():
        entry, created = _book(registration=registration, kind=kind, units=_positive(units), reference=reference,
                               actor=actor, reason=reason)
        if created:
            audit_record(
                action=f"quota.{kind}", actor=actor, company=registration.company, request=request, obj=entry,
                sentence=gettext_noop("%(actor)s credited %(units)s pushes to %(code)s (%(kind)s, %(reference)s)"),
                params={"actor": audit.who(actor), "units": units, "code": registration.code, "kind": Kind(kind),
                        "reference": reference},
                details={"units": units, "reference": reference, "balance_after": entry.balance_after},
            )
    return entry


def quota_reserve(*, registration: Registration, units: int = 1, reference: str, actor=None) -> LedgerEntry:
    """Sets ``units`` pushes aside for a bill or an upload; refuses when fewer are available."""

    def refuse(account, move):
        if account.balance - account.reserved < move.reserved:
            raise InsufficientQuota(
                _("Not enough quota for %(code)s: %(available)d available, %(needed)d needed.")
                % {"code": registration.code, "available": account.balance - account.reserved,
                   "needed": move.reserved}
            )

    entry, _created = _book(registration=registration, kind=Kind.RESERVE, units=_positive(units),
                            reference=reference, actor=actor, refuse=refuse)
    return entry


def _refuse_beyond_reserved(registration, message):
    def refuse(account, move):
        if account.reserved + move.reserved < 0:
            raise Conflict(
                message % {"reserved": account.reserved, "code": registration.code, "units": -move.reserved}
            )

    return refuse


def quota_consume(*, registration: Registration, units: int = 1, reference: str, actor=None) -> LedgerEntry:
    """Spends ``units`` reserved pushes (a push was delivered): balance and reserved go down."""
    entry, _created = _book(registration=registration, kind=Kind.CONSUME, units=-_positive(units),
                            reference=reference, actor=actor, refuse=_refuse_beyond_reserved(
        registration, _("Only %(reserved)d pushes of %(code)s are reserved; %(units)d cannot be consumed.")))
    return entry


def quota_release(*, registration: Registration, units: int = 1, reference: str, actor=None) -> LedgerEntry:
    """Gives ``units`` reserved pushes back to the available quota (nothing was delivered)."""
    entry, _created = _book(registration=registration, kind=Kind.RELEASE, units=-_positive(units),
                            reference=reference, actor=actor, refuse=_refuse_beyond_reserved(
        registration, _("Only %(reserved)d pushes of %(code)s are reserved; %(units)d cannot be released.")))
    return entry


def _book_each(*, registration: Registration, kind: str, references: list[str], message) -> int:
    """Books one unit of ``kind`` for each reference not booked yet, at once: one entry per reference
    (so the unique constraint still refuses an event twice) written by one INSERT, and the
    account moved once. Returns how many were booked."""
    with transaction.atomic():
        account = _locked_account(registration)
        booked = set(LedgerEntry.objects.filter(account=account, kind=kind, reference__any=references)
                     .values_list("reference", flat=True))
        todo = [reference for reference in dict.fromkeys(references) if reference not in booked]
        if not todo:
            return 0
        _refuse_beyond_reserved(registration, message)(account, _move_of(kind, -len(todo)))
        step, now, rows = _move_of(kind, -1), timezone.now(), []
        for reference in todo:
            account.balance += step.balance
            account.reserved += step.reserved
            rows.append((account.pk, account.company_id, now, kind, -1, account.balance, account.reserved, reference,
                         ""))
        QuotaAccount.objects.filter(pk=account.pk).update(
            balance=account.balance, reserved=account.reserved, updated_at=now)
        insert_rows(LedgerEntry, ["account", "company", "created_at", "kind", "units", "balance_after",
                                  "reserved_after", "reference", "reason"], rows)
        return len(todo)


def quota_reserve_each(*, registration: Registration, references: list[str]) -> bool:
    """Sets one push aside for each reference (each new bill), all or none, if the code is still
    active and its company too; False (nothing moved) when it is not or fewer are available.

    The hot path of bill creation, so it holds the account's row lock for as short as it can:
    on PostgreSQL one statement checks the code (under a share lock on its registration, so a
    stop, which locks it for update, waits for reservations in flight and every later one sees
    the code stopped), moves the account by a conditional UPDATE and writes one ledger entry
    per reference. Call it as the last change before the transaction commits: the account
    stays locked until then. The references must be new (the ledger refuses one booked twice).
    """
    references = list(references)
    if not references:
        return True
    units, now = len(references), timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_reserve_each_sql(), {
                "registration": registration.pk, "active": Registration.Status.ACTIVE,
                "company_active": Company.Status.ACTIVE, "units": units, "now": now, "kind": Kind.RESERVE,
                "references": references,
            })
            return cursor.rowcount == units
    # SQLite: every transaction begins IMMEDIATE, so nothing moves between these statements.
    if not Registration.objects.filter(pk=registration.pk, status=Registration.Status.ACTIVE,
                                       company__status=Company.Status.ACTIVE).exists():
        return False
    moved = QuotaAccount.objects.filter(registration=registration, balance__gte=F("reserved") + units).update(
        reserved=F("reserved") + units, updated_at=now)
    if not moved:
        return False
    account = QuotaAccount.objects.get(registration=registration)
    first = account.reserved - units
    insert_rows(LedgerEntry, ["account", "company", "created_at", "kind", "units", "balance_after",
                              "reserved_after", "reference", "reason"],
                ((account.pk, account.company_id, now, Kind.RESERVE, 1, account.balance, first + number, reference,
                  "") for number, reference in enumerate(references, start=1)))
    return True


@functools.cache
def _reserve_each_sql() -> str:
    """The statement of ``quota_reserve_each`` on PostgreSQL, named from the models' metadata."""
    account, ledger = QuotaAccount._meta, LedgerEntry._meta
    registration, company = Registration._meta, Company._meta

    def col(meta, name):
        return connection.ops.quote_name(meta.get_field(name).column)

    def tab(meta):
        return connection.ops.quote_name(meta.db_table)

    return f"""
        WITH code AS (
            SELECT r.{col(registration, "id")} AS id
            FROM {tab(registration)} r
            JOIN {tab(company)} c ON c.{col(company, "id")} = r.{col(registration, "company")}
            WHERE r.{col(registration, "id")} = %(registration)s AND r.{col(registration, "status")} = %(active)s
              AND c.{col(company, "status")} = %(company_active)s
            FOR SHARE OF r
        ), moved AS (
            UPDATE {tab(account)} a
            SET {col(account, "reserved")} = a.{col(account, "reserved")} + %(units)s,
                {col(account, "updated_at")} = %(now)s
            FROM code
            WHERE a.{col(account, "registration")} = code.id
              AND a.{col(account, "balance")} - a.{col(account, "reserved")} >= %(units)s
            RETURNING a.{col(account, "id")} AS id, a.{col(account, "company")} AS company,
                      a.{col(account, "balance")} AS balance, a.{col(account, "reserved")} AS reserved
        )
        INSERT INTO {tab(ledger)} ({col(ledger, "account")}, {col(ledger, "company")}, {col(ledger, "created_at")},
            {col(ledger, "kind")}, {col(ledger, "units")}, {col(ledger, "balance_after")},
            {col(ledger, "reserved_after")}, {col(ledger, "reference")}, {col(ledger, "reason")})
        SELECT moved.id, moved.company, %(now)s, %(kind)s, 1, moved.balance,
               moved.reserved - %(units)s + item.number, item.reference, ''
        FROM moved, unnest(%(references)s::text[]) WITH ORDINALITY AS item(reference, number)
    """


def quota_consume_each(*, registration: Registration, references: list[str]) -> int:
    """Spends one reserved push for each reference (each bill delivered), all at once; a reference
    already consumed is not consumed again. Returns how many were consumed."""
    return _book_each(registration=registration, kind=Kind.CONSUME, references=references, message=_(
        "Only %(reserved)d pushes of %(code)s are reserved; %(units)d cannot be consumed."))


def quota_release_each(*, registration: Registration, references: list[str]) -> int:
    """Gives one reserved push back for each reference (each bill ended undelivered), all at once; a
    reference already released is not released again. Returns how many were released."""
    return _book_each(registration=registration, kind=Kind.RELEASE, references=references, message=_(
        "Only %(reserved)d pushes of %(code)s are reserved; %(units)d cannot be released."))


def quota_adjust(*, registration: Registration, units: int, reason: str, actor, reference: str,
                 request=None) -> LedgerEntry:
    """A bank correction of ``units`` (either sign) with a mandatory reason; never below what is reserved."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why the quota is adjusted."), field="reason")
    if not isinstance(units, int) or isinstance(units, bool) or units == 0:
        raise InvalidInput(_("An adjustment is a whole number of pushes, not zero."), field="units")

    def refuse(account, move):
        if account.balance + move.balance < account.reserved:
            raise Conflict(
                _("An adjustment of %(units)d would leave %(code)s with %(balance)d pushes "
                  "while %(reserved)d are reserved.")
                % {"units": units, "code": registration.code, "balance": account.balance + move.balance,
                   "reserved": account.reserved},
                field="units",
            )

    with transaction.atomic():
        entry, created = _book(registration=registration, kind=Kind.ADJUST, units=units, reference=reference,
                               actor=actor, reason=reason, refuse=refuse)
        if created:
            audit_record(
                action="quota.adjust", actor=actor, company=registration.company, request=request, obj=entry,
                sentence=gettext_noop("%(actor)s adjusted the quota of %(code)s by %(units)s: %(reason)s"),
                params={"actor": audit.who(actor), "code": registration.code, "units": f"{units:+d}",
                        "reason": reason},
                details={"units": units, "reference": reference, "balance_after": entry.balance_after},
            )
    return entry


def quota_low_crossings(*, limit: int = 500) -> list[QuotaAccount]:
    """The accounts of active codes whose available quota has fallen below their threshold since it
    was last said, each marked as said (in the caller's transaction) so it is said once per
    crossing; accounts back at or above their threshold are unmarked, to be said again when they
    next fall. Runs from a sweep: the hot paths that move quota do not pay for it."""
    below = Q(balance__lt=F("reserved") + F("registration__low_quota_threshold"))
    QuotaAccount.objects.filter(~below, low_said_at__isnull=False).update(low_said_at=None)
    candidates = list(QuotaAccount.objects.filter(below, low_said_at__isnull=True,
                                                  registration__status=Registration.Status.ACTIVE)
                      .values_list("pk", flat=True)[:limit])
    now = timezone.now()
    # One conditional update each: of two sweeps at once, one says it.
    crossed = [pk for pk in candidates if QuotaAccount.objects.filter(pk=pk, low_said_at__isnull=True).update(
        low_said_at=now)]
    return list(QuotaAccount.objects.filter(pk__in=crossed).select_related("registration__biller_code"))
