"""How the console shows money and time: one filter each, the same in English and Indonesian."""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.formats import number_format

from core import money
from core.time import WIB

register = template.Library()

# WIB is Jakarta time by definition, whatever TIME_ZONE a deployment sets.

WIB_FORMAT = "d M Y H:i"
WIB_FORMAT_SECONDS = "d M Y H:i:s"

# Between "Rp" and the number: a line never breaks there, leaving "Rp" alone at a line's end.
NO_BREAK_SPACE = "\u00a0"


@register.filter
def rupiah(amount) -> str:
    """``{{ bill.amount|rupiah }}`` → ``Rp 150.000`` (``Rp 150.000,50`` when not whole, ``—`` for nothing).

    The space after ``Rp`` does not break, so a narrow column or a sentence never splits an amount.
    """
    return money.rupiah(amount, space=NO_BREAK_SPACE)


@register.filter
def percent(rate) -> str:
    """``{{ order.tax_rate|percent }}`` → ``11%`` for a rate of ``0.1100``; ``12,5%`` in Indonesian,
    ``12.5%`` in English.
    """
    if rate in (None, ""):
        return money.NOTHING
    try:
        value = (Decimal(str(rate)) * 100).normalize()
    except (InvalidOperation, ValueError, TypeError):
        return str(rate)
    # normalize() writes 10 as 1E+1: only the trailing zeros of a fraction are dropped.
    value = value.quantize(Decimal(1)) if value == value.to_integral_value() else value
    return f"{number_format(value)}%"


@register.filter
def wib(value, precision: str = "") -> str:
    """``{{ bill.start_at|wib }}`` → ``05 Mar 2026 14:30 WIB`` (``|wib:"s"`` adds seconds); ``—`` for nothing.

    Times are stored in UTC and shown in Jakarta time; the month name follows the page's
    language. A naive datetime is taken as already in WIB.
    """
    if value in (None, ""):
        return money.NOTHING
    if not isinstance(value, datetime):
        return date_filter(value, "d M Y") if isinstance(value, date) else str(value)
    if timezone.is_aware(value):
        value = value.astimezone(WIB)
    return f"{date_filter(value, WIB_FORMAT_SECONDS if precision == 's' else WIB_FORMAT)} WIB"


@register.filter
def said(text: str) -> str:
    """A word the system stored in English and marked for translation (``core.outbound.failure``'s
    categories), in the reader's language; anything else as stored."""
    from django.utils.translation import gettext

    return gettext(text) if text else text


@register.filter
def masked_phone(phone: str) -> str:
    """``{{ row.payer_phone|masked_phone }}`` → ``+62812****7890``, as the logs write a payer's number:
    enough to recognise it, not to call it."""
    from core.observability import mask_phone

    if not phone:
        return money.NOTHING
    masked = mask_phone(phone)
    if masked == phone and len(phone) > 8:
        return phone[:4] + "*" * (len(phone) - 8) + phone[-4:]
    return masked
