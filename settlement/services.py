"""Reading the bank's settlement of bill payments into the portal.

The bank credits each bill payment to the biller code's collection account and states each
account's credits per day (``quota.payments.PaymentsGateway.collection_statement``; the
sandbox bank's while the sandbox is enabled). ``settlements_sync`` reads the statements of
the days that still have something to settle (today, a day not yet closed at the bank, the
day of a paid bill not yet credited and the day after it) and records, per biller code and
day, each credit that is one of its paid bills (by payment reference; other credits of the
account are the biller's other collections, not ours). Reading a statement again records
nothing twice. A paid bill that no statement lists yet shows as *not yet credited*.
"""

import logging
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from billers.models import Registration
from core.time import WIB
from quota.payments import BankUnavailable, payments_gateway
from reminders.models import Bill, BillStatus
from reminders.selectors import day_start
from settlement.models import SettledPayment, Settlement

logger = logging.getLogger(__name__)

LOOK_BACK_DAYS = 8  # a paid bill is looked for on the statements of this many days


def today() -> date:
    return timezone.now().astimezone(WIB).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = day_start(day)
    return start, start + timedelta(days=1)


def _days_to_read(registration_ids=None) -> dict[int, set[date]]:
    """Per registration, the days whose statement may still bring something."""
    since = timezone.now() - timedelta(days=LOOK_BACK_DAYS)
    codes = Registration.objects.all() if registration_ids is None else Registration.objects.filter(
        pk__in=registration_ids)
    # By company, so the database walks each company's paid bills (bill_paid), not every bill.
    companies = sorted(set(codes.values_list("company_id", flat=True)))
    unsettled = Bill.objects.filter(company_id__in=companies, paid_at__gte=since, status=BillStatus.PAID,
                                    settled_payment__isnull=True)
    open_days = Settlement.objects.filter(final=False, day__gte=since.astimezone(WIB).date())
    if registration_ids is not None:
        unsettled = unsettled.filter(registration_id__in=registration_ids)
        open_days = open_days.filter(registration_id__in=registration_ids)
    days: dict[int, set[date]] = {}
    rows = unsettled.annotate(day=TruncDate("paid_at", tzinfo=WIB)).values_list("registration_id", "day").distinct()
    for registration_id, day in rows:
        # Paid late in the evening, a payment may be credited after midnight: the next day too.
        days.setdefault(registration_id, set()).update({day, day + timedelta(days=1)})
    for registration_id, day in open_days.values_list("registration_id", "day"):
        days.setdefault(registration_id, set()).add(day)
    last = today()
    return {pk: {day for day in found if day <= last} for pk, found in days.items()}


def settlements_sync(*, registration_ids=None) -> int:
    """Reads the statements of every day that may still bring a credit; returns the payments recorded."""
    wanted = _days_to_read(registration_ids)
    if not wanted:
        return 0
    registrations = (Registration.objects.filter(pk__in=wanted)
                     .select_related("biller_code__collection_account", "company"))
    by_account: dict[str, list[Registration]] = {}
    for registration in registrations:
        account = registration.biller_code.collection_account
        if account is None:
            continue
        by_account.setdefault(account.account_number, []).append(registration)
    gateway = payments_gateway()
    recorded = 0
    for number, codes in by_account.items():
        for day in sorted(set().union(*(wanted[code.pk] for code in codes))):
            try:
                statement = gateway.collection_statement(account_number=number, day=day)
            except BankUnavailable as exc:
                logger.warning("statement of %s for %s not read, tried again later: %s", number, day, exc)
                continue
            recorded += _record(statement, [code for code in codes if day in wanted[code.pk]])
    return recorded


@transaction.atomic
def _record(statement, codes: list[Registration]) -> int:
    """Records the credits of ``statement`` that are paid bills of ``codes``, and each code's day."""
    credits = {credit.payment_reference: credit for credit in statement.credits}
    bills = list(Bill.objects.filter(company_id__in={code.company_id for code in codes},
                                     paid_at__isnull=False, payment_reference__any=list(credits),
                                     registration__in=codes,
                                     status=BillStatus.PAID).only(
        "id", "company_id", "registration_id", "payment_reference"))
    now, recorded = timezone.now(), 0
    for code in codes:
        Settlement.objects.get_or_create(
            registration=code, day=statement.day,
            defaults={"company_id": code.company_id, "account_number": statement.account_number,
                      "statement_reference": statement.reference})
        # Locked until the commit: two readings of one day (after a payment, and the beat) add
        # their lines and count them one after the other, so the totals count every line.
        settlement = Settlement.objects.select_for_update().get(registration=code, day=statement.day)
        lines = [SettledPayment(company_id=code.company_id, settlement=settlement, bill_id=bill.pk,
                                payment_reference=bill.payment_reference,
                                amount=credits[bill.payment_reference].amount,
                                credited_at=credits[bill.payment_reference].credited_at)
                 for bill in bills if bill.registration_id == code.pk]
        before = settlement.lines.count()
        SettledPayment.objects.bulk_create(lines, ignore_conflicts=True)
        totals = settlement.lines.aggregate(n=Count("id"), rp=Sum("amount"))
        recorded += totals["n"] - before
        Settlement.objects.filter(pk=settlement.pk).update(
            payments=totals["n"], amount=totals["rp"] or 0, final=statement.final, synced_at=now,
            statement_reference=statement.reference, account_number=statement.account_number)
    return recorded


SYNC_AFTER_PAYMENT_EVERY = 10  # seconds: at most one reading a code after payments; the beat reads the rest


def sync_when_paid(bills, from_status: str) -> None:
    """Bills just paid: their codes' settlements are read once the payment commits (a
    ``reminders.lifecycle`` hook), at most once every few seconds a code, so a stream of
    payments does not read the same statement for each one."""
    from django.core.cache import cache

    paid = sorted({bill.registration_id for bill in bills if bill.status == BillStatus.PAID})
    due = [pk for pk in paid if cache.add(f"settlement:read-after-payment:{pk}", 1, SYNC_AFTER_PAYMENT_EVERY)]
    if due:
        from settlement.tasks import sync_settlements

        transaction.on_commit(lambda: sync_settlements.delay(registration_ids=due))
