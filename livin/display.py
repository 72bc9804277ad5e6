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

from core.bulk import insert_rows
from core.money import rupiah
from core.plugins import plugin
from livin.models import DisplayedBill, Fault, LivinUser, Notification
from livin.services import collection_credit


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
    known = set(LivinUser.objects.filter(phone__any=list(phones)).values_list("phone", flat=True))
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
    The notification reads in the language of the payer's app, whatever language the caller
    speaks. A batch is shown at once (its display and notification rows each written by one
    statement); a bank slowed down by a fault shows one bill after another instead.
    """
    fault = apply_fault(Fault.Operation.PUSH)
    languages = dict(LivinUser.objects.filter(phone__any=list({bill.phone for bill in bills}))
                     .values_list("phone", "language"))
    if fault is not None and fault.latency_ms:
        results = {}
        for bill in bills:
            time.sleep(fault.latency_ms / 1000)  # a slow bank: each bill of the batch takes this long
            results.update(_show([bill], languages))
        return results
    return _show(bills, languages)


def _notifications(bills: list[PushedBill], languages: dict[str, str], at) -> list[tuple]:
    """The notification rows of ``bills``, each in its payer's language (one language switch each)."""
    rows = []
    for language in set(languages[bill.phone] for bill in bills):
        with translation.override(language):
            title, body, nameless = _("New bill from %(biller)s"), _(
                "%(description)s: %(amount)s, bill key %(key)s. Pay it in Livin'."), _("Bill")
        for bill in bills:
            if languages[bill.phone] == language:
                rows.append((bill.phone, bill.reference, title % {"biller": bill.biller_name or bill.biller_code},
                             body % {"description": bill.description or nameless, "amount": rupiah(bill.amount),
                                     "key": bill.bill_key}, at))
    return rows


def _show(bills: list[PushedBill], languages: dict[str, str]) -> dict[str, str]:
    """Shows the bills whose phone has Livin' and notifies each once, at once (core.bulk)."""
    results = {bill.reference: "pushed" if bill.phone in languages else "not_livin_user" for bill in bills}
    shown_before = set(DisplayedBill.objects.filter(reference__any=list(results)).values_list("reference", flat=True))
    new = {bill.reference: bill for bill in bills if bill.phone in languages and bill.reference not in shown_before}
    if new:
        now = timezone.now()
        try:
            with transaction.atomic():
                insert_rows(DisplayedBill, ["reference", "phone", "biller_code", "biller_name", "bill_key",
                                            "payer_name", "amount", "description", "start_at", "end_at", "pushed_at",
                                            "channel"],
                            ((bill.reference, bill.phone, bill.biller_code, bill.biller_name, bill.bill_key,
                              bill.payer_name, bill.amount, bill.description, bill.start_at, bill.end_at, now, "")
                             for bill in new.values()))
                insert_rows(Notification, ["phone", "reference", "title", "body", "at"],
                            _notifications(list(new.values()), languages, now))
        except IntegrityError as exc:
            # The same reference pushed by another call meanwhile: ask again, it is then "pushed".
            raise SandboxUnavailable(f"sandbox push raced another push of the same bill: {exc}") from exc
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
    # The money lands in the biller's collection account at once; the day's statement lists it.
    collection_credit(biller_code=bill.biller_code, amount=amount, payment_reference=bill.payment_reference,
                      description=f"{channel} {bill.biller_code}/{bill.bill_key} {bill.reference}")
    report = plugin("LIVIN_PAYMENT_CALLBACK")
    # After commit, like a switch that reports a settled payment; the portal's side is
    # idempotent by payment reference, so a repeated report changes nothing.
    transaction.on_commit(lambda: report(
        reference=bill.reference, amount=amount, channel=channel, payment_reference=bill.payment_reference,
        paid_at=bill.paid_at,
    ))
    return bill
