"""Indonesian mobile numbers in any common writing, normalised to E.164 (``+6281234567890``).

This is the one normaliser for payer phone numbers: uploads and the API both call
``normalise_phone``. Clean writings take a regex fast path; everything else goes through
``phonenumbers``. The fast path only accepts what ``phonenumbers`` accepts, with the same
answer (proved by a hypothesis test in tests/reminders/test_fileformat_phones.py).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

import phonenumbers
from django.utils.translation import gettext_lazy as _
from phonenumbers import NumberParseException, PhoneNumberType

from .errors import CellError

# Indonesian mobile national numbers, as in phonenumbers' metadata for region ID
# ("8[1-35-9]\d{7,10}"); no fixed-line, toll-free or premium pattern starts with 8[1-35-9].
# An optional 0 (trunk prefix), 62 or +62 (country code) may precede it; a bare national
# number is a number cell that lost its leading zero.
# Digits are ASCII only: phonenumbers reads other scripts' digits ("٠٨١٢...") as their ASCII
# values, which the pattern's group would copy as they are.
_FAST = re.compile(r"(?:\+?62|0)?(8[1-35-9][0-9]{7,10})")

# What may appear in a phone number besides digits; letters are refused rather than
# read as a vanity number, which phonenumbers would otherwise do.
_SEPARATORS = re.compile(r"[\s().\-/]")
_ALLOWED = re.compile(r"\+?[0-9]+")  # ASCII digits only: \d would take the digits of any script

# A number cell written out as text by a program: "81234567890.0" or "8.1234567890E+10".
_WHOLE_NUMBER_TEXT = re.compile(r"(\d+)\.0+")
_SCIENTIFIC = re.compile(r"(\d)(?:[.,](\d+))?[eE]\+?(\d{1,2})")

_MOBILE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
_MAX_TEXT = 40

_EXAMPLE = "081234567890"


def normalise_phone(value: object) -> str:
    """Return the Indonesian mobile number in ``value`` as E.164, or raise ``CellError``."""
    if type(value) is str and len(value) <= _MAX_TEXT:
        # Nearly every cell is written one of these ways: digits with an optional 0, 62 or +62
        # in front, perhaps spaced or hyphenated. Then the cell is its own clean text and the
        # pattern alone answers, before any other work.
        match = _FAST.fullmatch(value) or _FAST.fullmatch(value.replace(" ", "").replace("-", ""))
        if match is not None:
            return "+62" + match.group(1)
    text = _phone_text(value)
    fast = _fast_path(text)
    if fast is not None:
        return fast
    return _normalise_with_phonenumbers(text)


def _fast_path(text: str) -> str | None:
    """E.164 for a clean writing (separators removed as the reference path removes them);
    None where it does not decide."""
    compact = text if text.isdigit() else _SEPARATORS.sub("", text)
    match = _FAST.fullmatch(compact)
    return "+62" + match.group(1) if match is not None else None


def _normalise_with_phonenumbers(text: str) -> str:
    """The reference path: separators removed, then phonenumbers decides."""
    compact = _SEPARATORS.sub("", text)
    if not _ALLOWED.fullmatch(compact):
        raise _invalid(text)
    if compact.startswith("62"):
        # 62 at the start is the country code written without "+". phonenumbers would read
        # a short one (62812345678) as a landline number in area 0628; no mobile number
        # starts with 6, so for a mobile-only field the country code is the only sensible
        # reading.
        compact = "+" + compact
    try:
        number = phonenumbers.parse(compact, "ID")
    except NumberParseException:
        raise _invalid(text) from None
    if number.country_code != 62:
        if phonenumbers.is_valid_number(number):
            raise CellError(
                "phone_not_indonesian",
                _("%(text)s is not an Indonesian number; only Indonesian mobile numbers (+62) can be used."),
                text=text,
            )
        raise _invalid(text)
    number_type = phonenumbers.number_type(number)
    if number_type in _MOBILE_TYPES:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if number_type == PhoneNumberType.FIXED_LINE:
        raise CellError(
            "phone_not_mobile",
            _("%(text)s is a landline number; a mobile number is needed to reach the payer."),
            text=text,
        )
    raise _invalid(text)


def _phone_text(value: object) -> str:
    """The number as text: number cells and text that a program made of a number included."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("'"):
            # Typed in Excel as '0812... to keep the leading zero.
            text = text[1:].strip()
        if len(text) > _MAX_TEXT:
            raise _invalid(text[:_MAX_TEXT] + "…")
        whole = _WHOLE_NUMBER_TEXT.fullmatch(text)
        if whole is not None:
            return whole.group(1)
        if "e" in text or "E" in text:
            scientific = _SCIENTIFIC.fullmatch(text)
            if scientific is not None:
                return _from_scientific(text, scientific)
        return text
    if isinstance(value, bool) or value is None:
        raise _invalid("" if value is None else str(value))
    if isinstance(value, int):
        if value <= 0:
            raise _invalid(str(value))
        return str(value)
    if isinstance(value, float):
        # A number cell: the leading zero is lost, the digits are exact up to 2**53.
        if not math.isfinite(value) or not value.is_integer() or not 0 < value < 2**53:
            raise _invalid(format(value, ".15g"))
        return str(int(value))
    if isinstance(value, Decimal):
        if not value.is_finite() or value != value.to_integral_value() or value <= 0:
            raise _invalid(str(value))
        return str(int(value))
    raise _invalid(str(value))


def _from_scientific(text: str, match: re.Match[str]) -> str:
    """Digits of "8.1234567890E+10"; refuse one whose last digits were rounded away."""
    lead, fraction, exponent = match.group(1), match.group(2) or "", int(match.group(3))
    if len(fraction) < exponent:
        # Excel shows 81234567890 as 8.12346E+10 and a CSV saved from it keeps only
        # what was shown: the missing digits cannot be recovered.
        raise CellError(
            "phone_shortened",
            _(
                "%(text)s is a phone number shortened to scientific notation; its last digits are "
                "lost. Format the column as Text and type the number again (e.g. %(example)s)."
            ),
            text=text,
            example=_EXAMPLE,
        )
    try:
        number = Decimal(f"{lead}.{fraction}E{exponent}")
    except InvalidOperation:  # pragma: no cover - the regex admits only valid numbers
        raise _invalid(text) from None
    if number != number.to_integral_value():
        raise _invalid(text)
    return str(int(number))


def _invalid(text: str) -> CellError:
    return CellError(
        "invalid_phone",
        _("%(text)s is not an Indonesian mobile number; write it like %(example)s or +6281234567890."),
        text=text or '""',
        example=_EXAMPLE,
    )
