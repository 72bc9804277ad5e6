"""The sandbox Livin' app: directory lookup, push and display, withdraw, and the payer's payment.

The portal reaches these only through ``notifications.gateway`` (in-process or over the
sandbox's signed HTTP API). Every operation is idempotent by the bill's reference, and
each one can be made to fail or slow down (``Fault``) to test the portal's retries.
"""

import random
import secrets
import time
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.money import rupiah
from core.plugins import plugin
from livin.models import DisplayedBill, Fault, LivinUser, Notification


class SandboxUnavailable(Exception):
    """An injected fault: the sandbox answers 503 (a temporary error)."""


class SandboxRefused(Exception):
    """A permanent refusal (the sandbox answers 4xx); ``message`` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = str(message)


def apply_fault(operation: str) -> Fault | None:
    """Fails as the operation's fault setting says, and sleeps for its latency."""
    fault = Fault.objects.filter(operation=operation).first()
    if fault is None:
        return None
    if fault.outage or (fault.error_rate and random.random() < fault.error_rate):
        raise SandboxUnavailable(f"sandbox {operation} unavailable (injected fault)")
    if fault.latency_ms and operation != Fault.Operation.PUSH:
        time.sleep(fault.latency_ms / 1000)
    return fault


def fault_set(*, operation: str, error_rate: float = 0, latency_ms: int = 0, outage: bool = False) -> Fault:
    """Switches a fault on (or off, with the defaults); used by the admin and by tests."""
    fault, _created = Fault.objects.update_or_create(
        operation=operation, defaults={"error_rate": error_rate, "latency_ms": latency_ms, "outage": outage}
    )
    return fault


def lookup(phones: list[str]) -> dict[str, bool]:
    """Which of ``phones`` have the Livin' app."""
    apply_fault(Fault.Operation.LOOKUP)
    known = set(LivinUser.objects.filter(phone__in=phones).values_list("phone", flat=True))
    return {phone: phone in known for phone in phones}


@dataclass(frozen=True)
class PushedBill:
    reference: str
    phone: str
    biller_code: str
    biller_name: str
    bill_key: str
    payer_name: str
    amount: Decimal
    description: str
    start_at: object
    end_at: object


def push(bills: list[PushedBill]) -> dict[str, str]:
    """Notifies each phone and shows its bill from start to end; per reference ``pushed`` or a refusal.

    A reference pushed before is answered ``pushed`` again without a second notification.
    The notification reads in the language of the payer's app, whatever language the caller speaks.
    """
    fault = apply_fault(Fault.Operation.PUSH)
    languages = dict(LivinUser.objects.filter(phone__in={bill.phone for bill in bills})
                     .values_list("phone", "language"))
    results = {}
    for bill in bills:
        if fault is not None and fault.latency_ms:
            time.sleep(fault.latency_ms / 1000)  # a slow bank: each bill of the batch takes this long
        if bill.phone not in languages:
            results[bill.reference] = "not_livin_user"
            continue
        with transaction.atomic():
            try:
                with transaction.atomic():
                    DisplayedBill.objects.create(
                        reference=bill.reference, phone=bill.phone, biller_code=bill.biller_code,
                        biller_name=bill.biller_name, bill_key=bill.bill_key, payer_name=bill.payer_name,
                        amount=bill.amount, description=bill.description, start_at=bill.start_at,
                        end_at=bill.end_at,
                    )
            except IntegrityError:
                results[bill.reference] = "pushed"  # pushed before: once is enough
                continue
            with translation.override(languages[bill.phone]):
                Notification.objects.create(
                    phone=bill.phone, reference=bill.reference,
                    title=_("New bill from %(biller)s") % {"biller": bill.biller_name or bill.biller_code},
                    body=_("%(description)s: %(amount)s, bill key %(key)s. Pay it in Livin'.") % {
                        "description": bill.description or _("Bill"), "amount": rupiah(bill.amount),
                        "key": bill.bill_key,
                    },
                )
        results[bill.reference] = "pushed"
    return results


def withdraw(reference: str) -> bool:
    """Stops showing the bill; True if it was shown (a repeat changes nothing)."""
    apply_fault(Fault.Operation.WITHDRAW)
    return bool(
        DisplayedBill.objects.filter(reference=reference, withdrawn_at__isnull=True).update(
            withdrawn_at=timezone.now()
        )
    )


def bills_shown(phone: str):
    """What the phone's Livin' app shows now."""
    now = timezone.now()
    return DisplayedBill.objects.filter(
        phone=phone, start_at__lte=now, end_at__gt=now, withdrawn_at__isnull=True, paid_at__isnull=True
    ).order_by("end_at")


def inbox(phone: str):
    return Notification.objects.filter(phone=phone).order_by("-at")


@transaction.atomic
def pay(*, reference: str, phone: str, amount: Decimal, channel: str) -> DisplayedBill:
    """The payer pays a shown bill through MBP or MVA: the exact amount only (closed payment).

    The payment is reported to the portal at once, as the bank's payment switch would.
    """
    bill = DisplayedBill.objects.select_for_update().filter(reference=reference, phone=phone).first()
    if bill is None or not bill.shown_at(timezone.now()):
        raise SandboxRefused(_("This bill is not shown in Livin' now."))
    if amount != bill.amount:
        raise SandboxRefused(
            _("Closed payment: the amount must be exactly %(amount)s.") % {"amount": rupiah(bill.amount)}
        )
    if channel not in DisplayedBill.Channel.values:
        raise SandboxRefused(_("Choose Mandiri Bill Payment or Mandiri Virtual Account."))
    bill.paid_at = timezone.now()
    bill.paid_amount = amount
    bill.channel = channel
    bill.payment_reference = "PAY" + secrets.token_hex(8).upper()
    bill.save(update_fields=["paid_at", "paid_amount", "channel", "payment_reference"])
    report = plugin("LIVIN_PAYMENT_CALLBACK")
    # After commit, like a switch that reports a settled payment; the portal's side is
    # idempotent by payment reference, so a repeated report changes nothing.
    transaction.on_commit(lambda: report(
        reference=bill.reference, amount=amount, channel=channel, payment_reference=bill.payment_reference,
        paid_at=bill.paid_at,
    ))
    return bill
