"""Reads of the settlement app, always for one company."""

from django.db.models import Q, QuerySet

from billers.models import Company, Registration
from reminders.models import Bill, BillStatus
from settlement.models import SettledPayment, Settlement
from settlement.services import day_bounds

EXPORT_HEADER = ["settlement_date", "biller_code", "collection_account", "bank_statement", "reference_no",
                 "partner_reference_no", "bill_key", "payer_name", "payment_channel", "payment_reference", "amount",
                 "paid", "credited"]


def settlements_of(company: Company, *, registration: Registration | None = None) -> QuerySet[Settlement]:
    found = Settlement.objects.filter(company=company).select_related("registration__biller_code")
    if registration is not None:
        found = found.filter(registration=registration)
    return found.order_by("-day", "registration_id")


def settlement_lines(settlement: Settlement) -> QuerySet[SettledPayment]:
    return (SettledPayment.objects.filter(settlement=settlement, company_id=settlement.company_id)
            .select_related("bill").order_by("credited_at", "id"))


def not_credited(settlement: Settlement) -> QuerySet[Bill]:
    """The code's bills paid on the settlement's day that no statement has credited yet."""
    start, end = day_bounds(settlement.day)
    return (Bill.objects.filter(company_id=settlement.company_id, registration_id=settlement.registration_id,
                                status=BillStatus.PAID, paid_at__gte=start, paid_at__lt=end)
            .filter(Q(settled_payment__isnull=True)).order_by("paid_at", "id"))


def bill_settlement(bill: Bill) -> SettledPayment | None:
    return SettledPayment.objects.filter(bill=bill).select_related("settlement").first()


def export_rows(settlement: Settlement):
    code = settlement.registration.code
    for line in settlement_lines(settlement):
        bill = line.bill
        yield [settlement.day, code, settlement.account_number, settlement.statement_reference, bill.reference_no,
               bill.partner_reference_no or "", bill.bill_key, bill.payer_name, bill.payment_channel,
               line.payment_reference, line.amount, bill.paid_at, line.credited_at]
