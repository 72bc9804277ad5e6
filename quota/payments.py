"""How a top-up is paid, and how bill payments are settled: the payments gateway interface,
and the bank's callback.

The portal asks the gateway to debit the company's account or to open a one-time closed
virtual account; the bank reports a paid VA through ``va_payment_received``
(``PAYMENTS_VA_CALLBACK``). ``PAYMENTS_GATEWAY`` names the implementation (``core.plugins``):
the sandbox bank's while the sandbox is enabled, a real bank's in production.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from django.utils.translation import gettext as _

from core.errors import NotConfigured
from core.plugins import configured, plugin


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


@dataclass(frozen=True)
class Credit:
    """One bill payment credited to a collection account."""

    payment_reference: str
    amount: Decimal
    credited_at: datetime


@dataclass(frozen=True)
class CollectionStatement:
    """A collection account's credits of one day (WIB), as the bank states them; ``final`` once
    the day has ended at the bank and nothing more will be credited to it."""

    account_number: str
    day: date
    reference: str
    credits: list[Credit]
    final: bool


class PaymentsGateway(Protocol):
    def debit(self, *, account_number: str, amount: Decimal, reference: str, description: str) -> DebitResult:
        """Debits at once; the same ``reference`` is never debited twice (asked again, the bank
        answers with the first debit). Raises ``BankUnavailable`` when no answer came."""

    def open_virtual_account(self, *, reference: str, amount: Decimal, expires_at: datetime,
                             name: str) -> VirtualAccount:
        """A one-time closed VA for exactly ``amount`` until ``expires_at``; idempotent by ``reference``."""

    def collection_statement(self, *, account_number: str, day: date) -> CollectionStatement:
        """The bill payments credited to a biller's collection account on ``day`` so far (all of
        them once ``final``). Raises ``BankUnavailable`` when no answer came."""


def payments_ready() -> None:
    """Refuses top-ups (``NotConfigured``, naming the setting) while no payments gateway is configured."""
    if not configured("PAYMENTS_GATEWAY"):
        raise NotConfigured(
            _("Top-ups are not available: this installation has no payments gateway to the bank yet "
              "(setting %(setting)s). Please contact the bank.") % {"setting": "PAYMENTS_GATEWAY"}
        )


def payments_gateway() -> PaymentsGateway:
    """The gateway ``PAYMENTS_GATEWAY`` names; ``NotConfigured`` (naming the setting) if none is."""
    return plugin("PAYMENTS_GATEWAY")()


def va_payment_received(*, va_number: str, amount: Decimal, payment_reference: str) -> None:
    """The bank's report that a virtual account was paid; repeating it credits nothing more."""
    from quota.topups import topup_payment_confirmed

    topup_payment_confirmed(va_number=va_number, amount=amount, payment_reference=payment_reference)
