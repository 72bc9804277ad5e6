"""Bill amounts in rupiah: number cells or text as people and programs write it."""

from __future__ import annotations

import math
import re
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from .errors import CellError

MAX_AMOUNT = Decimal("999999999999.99")
CENT = Decimal("0.01")

# "Rp 150.000", "Rp150.000,00", "IDR 150000", "Rp. 150.000,-": the currency and the
# Indonesian ",-" (no cents) are dropped before the number is read.
_CURRENCY = re.compile(r"(?i)(?:rp\.?|idr)\s*")
_NO_CENTS = re.compile(r"[.,]-$")
# Digits with no thousands separator and an optional decimal mark of 1-2 digits.
_PLAIN = re.compile(r"(\d{1,15})(?:[.,](\d{1,2}))?")
# Thousands groups of exactly three digits, all with one separator, then an optional
# decimal mark that must be the other separator ("1.500.000,50", "1,500,000.50").
_GROUPED = re.compile(r"(\d{1,3})([.,])(\d{3}(?:\2\d{3})*)(?:([.,])(\d{1,2}))?")
_MAX_TEXT = 40


def parse_amount(value: object) -> Decimal:
    """Return the amount in ``value`` as a Decimal with 2 places, or raise ``CellError``."""
    if type(value) is str:
        text = value.strip()
        if text.isdigit() and text.isascii() and len(text) <= 12:
            amount = Decimal(text)
        else:
            amount = _from_text(text)
    elif isinstance(value, bool) or value is None:
        raise _invalid("" if value is None else str(value))
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _invalid(str(value))
        # A spreadsheet keeps 15 significant digits and shows them; reading the float at
        # that precision gives what the user sees (a formula's 0.30000000000000004 is
        # 0.3) and never a binary artefact.
        amount = Decimal(format(value, ".15g"))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise _invalid(str(value))
        amount = value
    else:
        raise _invalid(str(value))
    return _checked(amount, value)


def _from_text(text: str) -> Decimal:
    shown = text
    if text.startswith("'"):
        text = text[1:].lstrip()
    if len(text) > _MAX_TEXT:
        raise _invalid(shown[:_MAX_TEXT] + "…")
    negative = text.startswith("-")
    if negative:
        text = text[1:].lstrip()
    currency = _CURRENCY.match(text)
    if currency is not None:
        text = text[currency.end() :]
    if text.startswith("-") and not negative:
        negative = True
        text = text[1:].lstrip()
    text = _NO_CENTS.sub("", text)
    plain = _PLAIN.fullmatch(text)
    if plain is not None:
        whole, cents = plain.group(1), plain.group(2)
    else:
        grouped = _GROUPED.fullmatch(text)
        if grouped is None or grouped.group(4) == grouped.group(2):
            raise _invalid(shown)
        whole = grouped.group(1) + grouped.group(3).replace(grouped.group(2), "")
        cents = grouped.group(5)
    amount = Decimal(f"{whole}.{cents}" if cents else whole)
    if negative:
        # Kept so the user is told "must be more than 0" rather than "not a number".
        amount = -amount
    return amount


def _checked(amount: Decimal, value: object) -> Decimal:
    if amount <= 0:
        raise CellError(
            "amount_not_positive",
            _("The amount must be more than 0 (got %(text)s)."),
            text=_shown(value),
        )
    if amount > MAX_AMOUNT:
        raise CellError(
            "amount_too_large",
            _("The amount %(text)s is above the maximum of Rp 999.999.999.999,99."),
            text=_shown(value),
        )
    rounded = amount.quantize(CENT)
    if rounded != amount:
        raise CellError(
            "amount_too_precise",
            _("The amount %(text)s has more than 2 decimals."),
            text=_shown(value),
        )
    return rounded


def _shown(value: object) -> str:
    if isinstance(value, float):
        return format(value, ".15g")
    return str(value).strip()


def _invalid(text: str) -> CellError:
    return CellError(
        "invalid_amount",
        _(
            "%(text)s is not an amount; write it like 150000, 150.000, Rp 150.000 or 150000,50 "
            "(a dot or comma before three digits separates thousands; before one or two digits "
            "it marks the decimals)."
        ),
        text=text or '""',
    )
