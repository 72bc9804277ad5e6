"""The sandbox bank's side of top-up payments: core-account debits and closed virtual accounts.

Only ``quota.payments.SandboxPaymentsGateway`` (the portal's side) and the sandbox
payment page call these, as a real bank's interfaces would be called.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.money import rupiah
from core.plugins import plugin
from livin.models import CoreAccount, CoreCredit, CoreDebit, VirtualAccountBill

# Where the bank reports a paid top-up virtual account (setting LIVIN_TOPUP_PAYMENT_CALLBACK).


class PaymentRefused(Exception):
    """The sandbox bank refuses a payment; ``message`` says why, as a bank would."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = str(message)


def _transaction_id() -> str:
    return "SBX" + secrets.token_hex(8).upper()


@dataclass(frozen=True)
class Debit:
    transaction_id: str
    amount: Decimal


@transaction.atomic
def core_debit(*, account_number: str, amount: Decimal, reference: str, description: str = "") -> Debit:
    """Debits ``amount`` at once; the same ``reference`` again returns the first debit."""
    done = CoreDebit.objects.filter(reference=reference).first()
    if done is not None:
        return Debit(transaction_id=done.transaction_id, amount=done.amount)
    account = CoreAccount.objects.select_for_update().filter(account_number=account_number).first()
    if account is None:
        raise PaymentRefused(_("Account %(account)s is not known to the bank.") % {"account": account_number})
    if account.balance < amount:
        raise PaymentRefused(
            _("Insufficient funds in account %(account)s: %(amount)s could not be debited.")
            % {"account": account_number, "amount": rupiah(amount)}
        )
    CoreAccount.objects.filter(pk=account.pk).update(balance=F("balance") - amount)
    debit = CoreDebit.objects.create(account=account, amount=amount, reference=reference,
                                     transaction_id=_transaction_id(), description=description,
                                     balance_after=account.balance - amount)
    return Debit(transaction_id=debit.transaction_id, amount=debit.amount)


def _va_number() -> str:
    # Mandiri VAs start with the 5-digit company code; 88908 is the sandbox's.
    return "88908" + "".join(secrets.choice("0123456789") for _ in range(11))


def va_open(*, reference: str, amount: Decimal, expires_at, name: str) -> VirtualAccountBill:
    """Opens a one-time closed VA for exactly ``amount``; the same ``reference`` returns the same VA."""
    existing = VirtualAccountBill.objects.filter(reference=reference).first()
    if existing is not None:
        return existing
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return VirtualAccountBill.objects.create(va_number=_va_number(), reference=reference,
                                                         amount=amount, expires_at=expires_at, name=name)
        except IntegrityError:
            existing = VirtualAccountBill.objects.filter(reference=reference).first()
            if existing is not None:
                return existing
    raise RuntimeError("No free virtual account number after 5 attempts.")


def va_find(va_number: str) -> VirtualAccountBill | None:
    return VirtualAccountBill.objects.filter(va_number=(va_number or "").strip()).first()


def va_pay(*, va_number: str, amount: Decimal) -> VirtualAccountBill:
    """Pays an open VA with exactly its amount, then reports the payment to the portal."""
    with transaction.atomic():
        va = VirtualAccountBill.objects.select_for_update().filter(va_number=(va_number or "").strip()).first()
        if va is None:
            raise PaymentRefused(_("There is no virtual account %(va)s.") % {"va": va_number})
        if va.status == VirtualAccountBill.Status.PAID:
            raise PaymentRefused(_("Virtual account %(va)s is already paid.") % {"va": va.va_number})
        if va.expires_at <= timezone.now():
            raise PaymentRefused(_("Virtual account %(va)s has expired.") % {"va": va.va_number})
        if amount != va.amount:
            raise PaymentRefused(
                _("This virtual account takes exactly %(due)s; %(paid)s was refused.")
                % {"due": rupiah(va.amount), "paid": rupiah(amount)}
            )
        va.status, va.paid_at, va.payment_reference = VirtualAccountBill.Status.PAID, timezone.now(), _transaction_id()
        va.save(update_fields=["status", "paid_at", "payment_reference"])
    va_report_payment(va)
    return va


def va_report_payment(va: VirtualAccountBill) -> None:
    """Tells the portal that ``va`` was paid (a bank repeats this until it is acknowledged)."""
    callback = plugin("PAYMENTS_VA_CALLBACK")
    callback(va_number=va.va_number, amount=va.amount, payment_reference=va.payment_reference)


def collection_credit(*, biller_code: str, amount: Decimal, payment_reference: str, description: str = ""):
    """Credits a bill payment to the collection account of ``biller_code`` (once per payment
    reference), as the bank's switch does when a payer pays; None if the code has no account."""
    from billers.models import BillerCode

    code = BillerCode.objects.select_related("collection_account").filter(code=biller_code).first()
    if code is None or code.collection_account is None:
        return None
    number = code.collection_account.account_number
    credit, created = CoreCredit.objects.get_or_create(
        payment_reference=payment_reference,
        defaults={"account_number": number, "amount": amount, "description": description[:200]})
    if created:
        account, _created = CoreAccount.objects.get_or_create(account_number=number)
        CoreAccount.objects.filter(pk=account.pk).update(balance=F("balance") + amount)
    return credit


def collection_statement(*, account_number: str, day):
    """The credits of ``day`` (WIB) to a collection account, and whether the day has ended (then
    the statement is final: nothing more is credited to it)."""
    from core.time import WIB

    start = datetime.combine(day, time.min, tzinfo=WIB)
    end = start + timedelta(days=1)
    credits = list(CoreCredit.objects.filter(account_number=account_number, credited_at__gte=start,
                                             credited_at__lt=end).order_by("credited_at", "pk"))
    return credits, timezone.now() >= end
