"""How the console marks a bill's or an upload's status."""

from django import template

register = template.Library()

BILL_TONES = {
    "PENDING_APPROVAL": "badge-warn", "RECEIVED": "", "SCHEDULED": "badge-info", "DISPLAYED": "badge-info",
    "PAID": "badge-ok", "EXPIRED": "badge-off", "CANCELLED": "badge-off", "FAILED": "badge-err",
    "NOT_LIVIN_USER": "badge-err",
}
UPLOAD_TONES = {
    "queued": "badge-info", "validating": "badge-info", "validated": "badge-warn", "refused": "badge-err",
    "pending_approval": "badge-warn", "submitted": "badge-ok", "discarded": "badge-off", "rejected": "badge-err",
}


@register.filter
def bill_tone(status: str) -> str:
    """``<span class="badge {{ bill.status|bill_tone }}">``: the colour of a bill status."""
    return BILL_TONES.get(str(status), "")


@register.filter
def upload_tone(status: str) -> str:
    """The colour of an upload status."""
    return UPLOAD_TONES.get(str(status), "")


@register.filter
def bill_status_label(status: str) -> str:
    """A stored status code (``DISPLAYED``) as the page's language names it."""
    from reminders.models import BillStatus

    try:
        return BillStatus(status).label
    except ValueError:
        return status
