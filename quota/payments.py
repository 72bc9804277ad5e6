"""How a top-up is paid: the payments gateway interface, its sandbox, and the bank's callback.

The portal asks the gateway to debit the company's account or to open a one-time closed
virtual account; the bank reports a paid VA through ``va_payment_received``. Choose the
implementation with ``KOPRA_PAYMENTS_GATEWAY`` (a dotted path); the sandbox bank in the
``livin`` app is the default, so a real bank replaces it without touching the services.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class BankUnavailable(Exception):
    """The bank did not answer (no connection, a timeout): whether it acted is unknown.

    Asking again with the same reference is safe, since the bank acts once per reference:
    ``topups_settle_debits`` does so until the bank gives an answer.
    """


@dataclass(frozen=True)
class DebitResult:
    """``ok`` with the bank's transaction id, or not ``ok`` with the bank's reason."""

    ok: bool
    transaction_id: str = ""
    reason: str = ""


@dataclass(frozen=True)
class VirtualAccount:
    number: str
    amount: Decimal
    expires_at: datetime


class PaymentsGateway(Protocol):
    def debit(self, *, account_number: str, amount: Decimal, reference: str, description: str) -> DebitResult:
        """Debits at once; the same ``reference`` is never debited twice (asked again, the bank
        answers with the first debit). Raises ``BankUnavailable`` when no answer came."""

    def open_virtual_account(self, *, reference: str, amount: Decimal, expires_at: datetime,
                             name: str) -> VirtualAccount:
        """A one-time closed VA for exactly ``amount`` until ``expires_at``; idempotent by ``reference``."""


class SandboxPaymentsGateway:
    """The sandbox bank of the ``livin`` app: answers at once, in the same database."""

    def debit(self, *, account_number, amount, reference, description):
        from livin.services import PaymentRefused, core_debit

        try:
            debit = core_debit(account_number=account_number, amount=amount, reference=reference,
                               description=description)
        except PaymentRefused as refused:
            return DebitResult(ok=False, reason=refused.message)
        return DebitResult(ok=True, transaction_id=debit.transaction_id)

    def open_virtual_account(self, *, reference, amount, expires_at, name):
        from livin.services import va_open

        va = va_open(reference=reference, amount=amount, expires_at=expires_at, name=name)
        return VirtualAccount(number=va.va_number, amount=va.amount, expires_at=va.expires_at)


@cache
def _gateway_class(path: str):
    return import_string(path)


def payments_gateway() -> PaymentsGateway:
    return _gateway_class(getattr(settings, "KOPRA_PAYMENTS_GATEWAY", "quota.payments.SandboxPaymentsGateway"))()


def va_payment_received(*, va_number: str, amount: Decimal, payment_reference: str) -> None:
    """The bank's report that a virtual account was paid; repeating it credits nothing more."""
    from quota.services import topup_payment_confirmed

    topup_payment_confirmed(va_number=va_number, amount=amount, payment_reference=payment_reference)
