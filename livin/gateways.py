"""The sandbox bank behind the product's gateway interfaces, called in this process.

Settings name these by dotted path (``LIVIN_GATEWAY``, ``PAYMENTS_GATEWAY``) while the
sandbox is enabled; the product only knows the interfaces (``notifications.gateway``,
``quota.payments``).
"""

from livin import display
from livin.services import PaymentRefused, collection_statement, core_debit, va_open
from notifications.gateway import TemporaryGatewayError
from quota.payments import CollectionStatement, Credit, DebitResult, VirtualAccount


class SandboxLivinGateway:
    """The sandbox Livin' app, called directly."""

    def lookup_users(self, phones):
        try:
            return display.lookup(list(phones))
        except display.SandboxUnavailable as exc:
            raise TemporaryGatewayError(str(exc)) from exc

    def push_bills(self, bills):
        try:
            return display.push([display.PushedBill(**bill.__dict__) for bill in bills])
        except display.SandboxUnavailable as exc:
            raise TemporaryGatewayError(str(exc)) from exc

    def withdraw_bill(self, reference):
        try:
            display.withdraw(reference)
        except display.SandboxUnavailable as exc:
            raise TemporaryGatewayError(str(exc)) from exc


class SandboxPaymentsGateway:
    """The sandbox bank's core banking: answers at once, in the same database."""

    def debit(self, *, account_number, amount, reference, description):
        try:
            debit = core_debit(account_number=account_number, amount=amount, reference=reference,
                               description=description)
        except PaymentRefused as refused:
            return DebitResult(ok=False, reason=refused.message)
        return DebitResult(ok=True, transaction_id=debit.transaction_id)

    def open_virtual_account(self, *, reference, amount, expires_at, name):
        va = va_open(reference=reference, amount=amount, expires_at=expires_at, name=name)
        return VirtualAccount(number=va.va_number, amount=va.amount, expires_at=va.expires_at)

    def collection_statement(self, *, account_number, day):
        credits, final = collection_statement(account_number=account_number, day=day)
        return CollectionStatement(
            account_number=account_number, day=day, reference=f"SBX-{account_number}-{day:%Y%m%d}", final=final,
            credits=[Credit(payment_reference=credit.payment_reference, amount=credit.amount,
                            credited_at=credit.credited_at) for credit in credits])
