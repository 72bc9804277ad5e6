"""Start and end of a bill's display window, from date cells, serial numbers or text.

Every result is an aware datetime in UTC (what the database stores). A value without an
offset is Jakarta time (WIB). A date without a time starts at 00:00:00 and ends at
23:59:59. Text dates are day first (dd/mm/yyyy) or ISO (yyyy-mm-dd); month-first is never
guessed.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from functools import lru_cache

from django.utils.translation import gettext_lazy as _

from core.time import WIB

from .errors import CellError

UTC = dt.UTC
MAX_WINDOW = dt.timedelta(days=90)
# A bill is shown between these years (in Jakarta); outside them a date is a typing error,
# and near the ends of the calendar the 90-day window cannot even be computed.
FIRST_YEAR, LAST_YEAR = 2000, 2099

# Excel's 1900 date system counts days from 1899-12-30 (its 1900-02-29 bug included).
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
# Serial numbers are only taken as dates between 2000-01-01 and 2099-12-31, so that an
# amount or a bill key in the wrong column is not silently read as a date.
_SERIAL_MIN, _SERIAL_MAX = 36526, 73050

_DAY_FIRST = re.compile(
    r"(\d{1,2})([/-])(\d{1,2})\2(\d{4})"
    # Indonesian settings write times as 13.30 as often as 13:30.
    r"(?:[ T]+(\d{1,2})([:.])(\d{2})(?:\6(\d{2}))?)?"
)
_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?"
)
_SERIAL_TEXT = re.compile(r"\d{5}(?:[.,]\d+)?")

_END_OF_DAY = dt.time(23, 59, 59)


def parse_start(value: object) -> dt.datetime:
    """When the bill is first shown: ``value`` as an aware UTC datetime (a bare date: 00:00:00 WIB)."""
    return _parse(value, False)


def parse_end(value: object) -> dt.datetime:
    """When the bill stops being shown: ``value`` as an aware UTC datetime (a bare date: 23:59:59 WIB)."""
    return _parse(value, True)


@lru_cache(maxsize=1024)
def latest_end(start_at: dt.datetime) -> dt.datetime:
    """The latest allowed end: the end (23:59:59 WIB) of the day 90 days after the start."""
    last_day = (start_at.astimezone(WIB) + MAX_WINDOW).date()
    return dt.datetime.combine(last_day, _END_OF_DAY, tzinfo=WIB).astimezone(UTC)


def _parse(value: object, end: bool) -> dt.datetime:
    try:
        return _parse_cached(value, end)
    except TypeError:  # an unhashable value cannot be cached, nor is it a date
        raise _invalid(str(value)) from None


# Files repeat the same few dates on every row: caching makes the common case a lookup.
# typed=True keeps 1, 1.0 and True apart.
@lru_cache(maxsize=4096, typed=True)
def _parse_cached(value: object, end: bool) -> dt.datetime:
    try:
        moment = _parse_value(value, end)
    except OverflowError:  # year 1 west of UTC, year 9999 east of it: no date a bill can have
        raise _out_of_range(value) from None
    if not FIRST_YEAR <= moment.astimezone(WIB).year <= LAST_YEAR:
        raise _out_of_range(value)
    return moment


def _out_of_range(value: object) -> CellError:
    shown = value.isoformat() if isinstance(value, dt.date) else str(value).strip()
    return CellError(
        "date_out_of_range",
        _("%(text)s is outside the years %(first)s to %(last)s that a bill can be shown in."),
        text=shown, first=FIRST_YEAR, last=LAST_YEAR,
    )


def _parse_value(value: object, end: bool) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=WIB)
        return moment.astimezone(UTC)
    if isinstance(value, dt.date):
        return _day(value, end)
    if isinstance(value, str):
        return _from_text(value.strip(), end)
    if isinstance(value, bool) or value is None:
        raise _invalid("" if value is None else str(value))
    if isinstance(value, (int, float, Decimal)):
        return _from_serial(value, str(value), end)
    raise _invalid(str(value))


def _from_text(text: str, end: bool) -> dt.datetime:
    match = _DAY_FIRST.fullmatch(text)
    if match is not None:
        day, _sep, month, year, hour, _tsep, minute, second = match.groups()
        return _moment(text, end, int(year), int(month), int(day), hour, minute, second)
    match = _ISO.fullmatch(text)
    if match is not None:
        year, month, day, hour, minute, second, fraction, offset = match.groups()
        return _moment(text, end, int(year), int(month), int(day), hour, minute, second, fraction, offset)
    if _SERIAL_TEXT.fullmatch(text):
        return _from_serial(Decimal(text.replace(",", ".")), text, end)
    raise _invalid(text)


def _moment(
    text: str,
    end: bool,
    year: int,
    month: int,
    day: int,
    hour: str | None,
    minute: str | None,
    second: str | None,
    fraction: str | None = None,
    offset: str | None = None,
) -> dt.datetime:
    try:
        date = dt.date(year, month, day)
        if hour is None:
            return _day(date, end)
        time = dt.time(int(hour), int(minute or 0), int(second or 0), int((fraction or "0").ljust(6, "0")))
        zone = _zone(offset)
    except ValueError:
        raise CellError(
            "invalid_date",
            _("%(text)s is not a real date or time; dates are written day/month/year, e.g. 31/01/2026."),
            text=text,
        ) from None
    return dt.datetime.combine(date, time, tzinfo=zone).astimezone(UTC)


def _zone(offset: str | None) -> dt.tzinfo:
    if offset is None:
        return WIB
    if offset == "Z":
        return UTC
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0)))


def _from_serial(serial: int | float | Decimal, shown: str, end: bool) -> dt.datetime:
    if isinstance(serial, float) and not math.isfinite(serial):
        raise _invalid(shown)
    if not _SERIAL_MIN <= serial <= _SERIAL_MAX:
        raise _invalid(shown)
    days = int(serial)
    seconds = round((float(serial) - days) * 86400)
    if seconds == 0:
        return _day((_EXCEL_EPOCH + dt.timedelta(days=days)).date(), end)
    naive = _EXCEL_EPOCH + dt.timedelta(days=days, seconds=seconds)
    return naive.replace(tzinfo=WIB).astimezone(UTC)


def _day(date: dt.date, end: bool) -> dt.datetime:
    time = _END_OF_DAY if end else dt.time(0, 0)
    return dt.datetime.combine(date, time, tzinfo=WIB).astimezone(UTC)


def _invalid(text: str) -> CellError:
    return CellError(
        "invalid_date",
        _(
            "%(text)s is not a date; write it as dd/mm/yyyy (e.g. 31/01/2026), "
            "dd/mm/yyyy HH:MM or yyyy-mm-dd, or use a date cell."
        ),
        text=text or '""',
    )
