"""Reads of the reminders app, always for one company."""

from billers.models import Company
from reminders.models import Bill


def bill_lookup(company: Company, *, reference_no: str | None = None, partner_reference_no: str | None = None):
    """The company's bill by the portal's or the biller's reference, or None."""
    bills = Bill.objects.filter(company=company).select_related("registration__biller_code")
    if reference_no:
        return bills.filter(reference_no=reference_no).first()
    if partner_reference_no:
        return bills.filter(partner_reference_no=partner_reference_no).first()
    return None
