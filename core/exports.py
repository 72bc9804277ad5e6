"""Files the console hands out (reports, error files): CSV and XLSX, safe to open in a spreadsheet.

Every text cell that a spreadsheet would run as a formula (beginning with ``=``, ``+``,
``-``, ``@``, tab or carriage return) is prefixed with ``'`` so it shows as text: the
values come from uploads and API callers, and must never become formulas on a user's PC.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook

from core.time import WIB

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Times are shown as the console shows them, in Jakarta time (the project's TIME_ZONE).


def neutralise_cell(value: Any) -> Any:
    """``value`` with ``'`` in front if it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_csv(rows: Iterable[Sequence[Any]], stream: IO[bytes]) -> None:
    """Write ``rows`` as UTF-8 CSV with a BOM (so Excel reads the accents right), cells neutralised."""
    stream.write(codecs.BOM_UTF8)
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=True)
    try:
        writer = csv.writer(text)
        for row in rows:
            writer.writerow([_csv_text(value) for value in row])
    finally:
        text.detach()


def write_xlsx(rows: Iterable[Sequence[Any]], stream: IO[bytes], *, sheet_title: str = "Sheet1") -> None:
    """Write ``rows`` to one sheet of a streamed (write-only) workbook, cells neutralised."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    for row in rows:
        sheet.append([_xlsx_value(value) for value in row])
    workbook.save(stream)


def csv_bytes(rows: Iterable[Sequence[Any]]) -> bytes:
    """``write_csv`` into memory, for small files."""
    buffer = io.BytesIO()
    write_csv(rows, buffer)
    return buffer.getvalue()


def xlsx_bytes(rows: Iterable[Sequence[Any]], *, sheet_title: str = "Sheet1") -> bytes:
    """``write_xlsx`` into memory, for small files."""
    buffer = io.BytesIO()
    write_xlsx(rows, buffer, sheet_title=sheet_title)
    return buffer.getvalue()


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise_cell(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(WIB)
        return value.strftime("%d/%m/%Y %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    # Numbers are written as numbers, negative ones included: a spreadsheet does not run them.
    return str(value)


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, str):
        return neutralise_cell(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        # XLSX has no time zones.
        return value.astimezone(WIB).replace(tzinfo=None)
    if value is None or isinstance(value, (bool, int, float, Decimal, dt.date, dt.time)):
        return value
    return neutralise_cell(str(value))
