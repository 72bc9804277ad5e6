"""The upload template offered for download, as XLSX and CSV.

Both have the header in English and one example row whose dates start today. The XLSX
explains every column in English and Bahasa Indonesia, in a comment on each header and on
a second sheet, and formats the code columns as text so Excel keeps leading zeros. A CSV
cannot carry explanations; the console shows the same column table next to its download
link (see ``COLUMN_HELP``).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import NamedTuple

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font

from core.exports import csv_bytes
from core.time import WIB

from .headers import COLUMNS

BILLS_SHEET = "Bills"
# Excel forbids "/" in sheet names, so the instructions sheet is "Petunjuk - Instructions".
INSTRUCTIONS_SHEET = "Petunjuk - Instructions"
TEXT_FORMAT = "@"
DATE_FORMAT = "dd/mm/yyyy"
AMOUNT_FORMAT = "#,##0"


class ColumnHelp(NamedTuple):
    english: str
    indonesian: str


COLUMN_HELP: dict[str, ColumnHelp] = {
    "bill_key": ColumnHelp(
        "Required. The bill key (MBP) or customer number (MVA): 1-20 letters, digits or hyphens.",
        "Wajib. Nomor tagihan (MBP) atau nomor pelanggan (MVA): 1-20 huruf, angka atau tanda hubung.",
    ),
    "payer_phone": ColumnHelp(
        "Required. The payer's Indonesian mobile number, e.g. 081234567890 or +6281234567890.",
        "Wajib. Nomor HP pembayar (Indonesia), mis. 081234567890 atau +6281234567890.",
    ),
    "payer_name": ColumnHelp(
        "Optional. The payer's name, at most 100 characters.",
        "Opsional. Nama pembayar, paling banyak 100 karakter.",
    ),
    "amount": ColumnHelp(
        "Required. The amount in rupiah, more than 0, at most 2 decimals: 150000, 150.000 or 150000,50.",
        "Wajib. Nominal dalam rupiah, lebih dari 0, paling banyak 2 desimal: 150000, 150.000 atau 150000,50.",
    ),
    "description": ColumnHelp(
        "Optional. What the bill is for, at most 140 characters.",
        "Opsional. Keterangan tagihan, paling banyak 140 karakter.",
    ),
    "start_date": ColumnHelp(
        "Required. When the bill is first shown in Livin': dd/mm/yyyy or dd/mm/yyyy HH:MM, Jakarta time "
        "(a date alone means 00:00).",
        "Wajib. Kapan tagihan mulai tampil di Livin': dd/mm/yyyy atau dd/mm/yyyy HH:MM, waktu WIB "
        "(tanggal saja berarti pukul 00:00).",
    ),
    "end_date": ColumnHelp(
        "Required. When the bill is no longer shown: after the start, in the future, at most 90 days after "
        "the start (a date alone means 23:59:59).",
        "Wajib. Kapan tagihan tidak tampil lagi: setelah tanggal mulai, di masa depan, paling lama 90 hari "
        "setelah tanggal mulai (tanggal saja berarti pukul 23:59:59).",
    ),
    "partner_reference_no": ColumnHelp(
        "Optional. Your own reference for the bill, at most 64 characters, unique in your company.",
        "Opsional. Nomor referensi Anda sendiri, paling banyak 64 karakter, unik di perusahaan Anda.",
    ),
    "biller_code": ColumnHelp(
        "Optional. If filled, it must be the biller code chosen for the upload.",
        "Opsional. Jika diisi, harus sama dengan kode biller yang dipilih saat unggah.",
    ),
}
_TEXT_COLUMNS = {"bill_key", "payer_phone", "partner_reference_no", "biller_code"}


def build_template_csv(*, today: dt.date | None = None) -> bytes:
    """The CSV template: UTF-8 with BOM, the English header and one example row."""
    rows = [[column.name for column in COLUMNS], _example_texts(_today(today))]
    return csv_bytes(rows)


def build_template_xlsx(*, today: dt.date | None = None) -> bytes:
    """The XLSX template: the bills sheet (header with comments, example row) and the instructions sheet."""
    start = _today(today)
    workbook = Workbook()
    bills = workbook.active
    bills.title = BILLS_SHEET
    for index, column in enumerate(COLUMNS, start=1):
        cell = bills.cell(row=1, column=index, value=column.name)
        cell.font = Font(bold=True)
        help_text = COLUMN_HELP[column.name]
        comment = Comment(f"{help_text.english}\n\n{help_text.indonesian}\n\n({column.indonesian})", "Kopra")
        comment.width, comment.height = 320, 180
        cell.comment = comment
        letter = cell.column_letter
        bills.column_dimensions[letter].width = max(16, len(column.name) + 4)
        if column.name in _TEXT_COLUMNS:
            # Typed numbers keep their leading zeros in a text column.
            bills.column_dimensions[letter].number_format = TEXT_FORMAT
    for index, value in enumerate(_example_values(start), start=1):
        cell = bills.cell(row=2, column=index, value=value)
        name = COLUMNS[index - 1].name
        if name in _TEXT_COLUMNS:
            cell.number_format = TEXT_FORMAT
        elif name in ("start_date", "end_date"):
            cell.number_format = DATE_FORMAT
        elif name == "amount":
            cell.number_format = AMOUNT_FORMAT
    bills.freeze_panes = "A2"

    instructions = workbook.create_sheet(INSTRUCTIONS_SHEET)
    instructions.append(["Column / Kolom", "Nama kolom (Indonesia)", "English", "Bahasa Indonesia"])
    for cell in instructions[1]:
        cell.font = Font(bold=True)
    for column in COLUMNS:
        help_text = COLUMN_HELP[column.name]
        instructions.append([column.name, column.indonesian, help_text.english, help_text.indonesian])
    instructions.append([])
    instructions.append(
        [
            "",
            "",
            "Column names may be English or Indonesian, in any order; other columns are ignored. "
            "At most 1,000,000 rows and 100 MB per file.",
            "Nama kolom boleh bahasa Inggris atau Indonesia, urutan bebas; kolom lain diabaikan. "
            "Paling banyak 1.000.000 baris dan 100 MB per file.",
        ]
    )
    for letter, width in (("A", 24), ("B", 24), ("C", 70), ("D", 70)):
        instructions.column_dimensions[letter].width = width
    for row in instructions.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _today(today: dt.date | None) -> dt.date:
    return today or dt.datetime.now(WIB).date()


def _example_values(start: dt.date) -> list[object]:
    return [
        "INV-2026-0001",
        "081234567890",
        "Budi Santoso",
        150000,
        "Tagihan air bulan ini",
        start,
        start + dt.timedelta(days=30),
        "REF-0001",
        "",
    ]


def _example_texts(start: dt.date) -> list[str]:
    values = _example_values(start)
    return [value.strftime("%d/%m/%Y") if isinstance(value, dt.date) else str(value) for value in values]
