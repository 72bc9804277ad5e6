"""The header row: which file column holds which bill field."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.utils.translation import gettext_lazy as _

from .cells import Cell, cell_text
from .errors import FileRefused, HeaderWarning


class Column(NamedTuple):
    name: str
    indonesian: str
    required: bool


# The order is the template's order.
COLUMNS: tuple[Column, ...] = (
    Column("bill_key", "nomor_tagihan", True),
    Column("payer_phone", "no_hp", True),
    Column("payer_name", "nama_pembayar", False),
    Column("amount", "nominal", True),
    Column("description", "keterangan", False),
    Column("start_date", "tanggal_mulai", True),
    Column("end_date", "tanggal_berakhir", True),
    Column("partner_reference_no", "nomor_referensi", False),
    Column("biller_code", "kode_biller", False),
)
REQUIRED = tuple(column.name for column in COLUMNS if column.required)

# The column the console's error file adds after the row as written (``error_file``): a
# fixed error file is uploaded again as it is, so the column is known and skipped, not
# reported as a stranger.
ERROR_COLUMN = "error"

# Case, spaces, underscores and hyphens do not matter: "Payer Phone", "PAYER_PHONE",
# "payer-phone" and "payerphone" are one name. A BOM is what Excel leaves at the start of
# a UTF-8 CSV; a non-breaking space is what it copies from web pages.
_IGNORED = re.compile(r"[\s_\-\ufeff\u00a0]+")


def header_key(text: str) -> str:
    """The comparable form of a header name."""
    return _IGNORED.sub("", text).casefold()


_KNOWN: dict[str, str] = {}
for _column in COLUMNS:
    _KNOWN[header_key(_column.name)] = _column.name
    _KNOWN[header_key(_column.indonesian)] = _column.name


# eq=False: a header map is compared (and cached against) by identity.
@dataclass(frozen=True, eq=False)
class HeaderMap:
    """Where each known column is (0-based index into a row's cells), and its header as written."""

    positions: dict[str, int]
    headers: tuple[str, ...]
    warnings: tuple[HeaderWarning, ...] = field(default=())

    def header(self, column: str) -> str:
        """The header text the file uses for a known column."""
        return self.headers[self.positions[column]]

    @property
    def width(self) -> int:
        """Number of columns that have a header (trailing empty ones are not counted)."""
        return len(self.headers)


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def looks_like_header(cells: Sequence[Cell]) -> bool:
    """True if at least one cell names a known column."""
    return any(header_key(cell_text(cell)) in _KNOWN for cell in cells if cell not in (None, ""))


def match_headers(header_cells: Sequence[Cell]) -> HeaderMap:
    """Map the known columns to their positions; raise ``FileRefused`` if the header is unusable.

    Unknown columns and unnamed columns with a header after them become warnings; the error
    file's own ``error`` column is skipped without one.
    """
    headers = [cell_text(cell).strip().lstrip("\ufeff").strip() for cell in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    positions: dict[str, int] = {}
    warnings: list[HeaderWarning] = []
    for index, text in enumerate(headers):
        if not text:
            warnings.append(
                HeaderWarning(
                    "unnamed_column",
                    _("Column %(letter)s has no header; any values in it are ignored."),
                    letter=column_letter(index),
                )
            )
            continue
        if header_key(text) == ERROR_COLUMN:
            continue
        name = _KNOWN.get(header_key(text))
        if name is None:
            warnings.append(
                HeaderWarning(
                    "unknown_column",
                    _("Column %(header)s is not a bill column; its values are ignored."),
                    header=text,
                )
            )
            continue
        if name in positions:
            raise FileRefused(
                "duplicate_column",
                _(
                    "The header has the column %(column)s twice (as %(first)s in column %(first_letter)s "
                    "and %(second)s in column %(second_letter)s); keep only one."
                ),
                column=name,
                first=headers[positions[name]],
                first_letter=column_letter(positions[name]),
                second=text,
                second_letter=column_letter(index),
            )
        positions[name] = index
    if not positions:
        raise FileRefused(
            "no_header",
            _(
                "No bill column was recognised in the first row (%(found)s). The first row must be the "
                "header, with columns such as bill_key, payer_phone, amount, start_date, end_date; "
                "download the template to see them."
            ),
            found=", ".join(h for h in headers[:10] if h) or _("it is empty"),
        )
    missing = [name for name in REQUIRED if name not in positions]
    if missing:
        raise FileRefused(
            "missing_columns",
            _("The header lacks the required column(s): %(columns)s."),
            columns=", ".join(
                f"{name} / {column.indonesian}"
                for name in missing
                for column in COLUMNS
                if column.name == name
            ),
        )
    return HeaderMap(positions=positions, headers=tuple(headers), warnings=tuple(warnings))
