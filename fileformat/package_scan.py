"""The safety scan of an XLSX package, done before anything parses it.

Every part is inflated once, in chunks, by this module's own reader (a part that inflates
past the size its directory declares is refused, where zipfile would stop quietly and
another reader might not). The scan refuses what is not a plain workbook: encrypted,
macros, a zip or XML bomb, damaged. It measures each worksheet (last row, widest column)
so that nothing sizes a grid for a stray cell in row 5,000,000 or column XFD, and it finds
the cells that python-calamine would read as empty: spreadsheet errors (#N/A...) and
formulas saved without their result.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from defusedxml import ElementTree as SafeElementTree
from django.utils.translation import gettext_lazy as _

from .cells import BadCell
from .errors import FileRefused, workbook_damaged

OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURE = b"PK\x03\x04"

MAX_ENTRIES = 1000
# A 1,000,000-row sheet is about 0.5 GB of XML; a package inflating past 2 GB is not a bill file.
MAX_UNCOMPRESSED = 2 * 1024**3
# Sheet XML compresses about 10:1. A part inflating more than 200 times its stored size
# (once it is big enough to matter) is a zip bomb.
MAX_RATIO = 200
RATIO_APPLIES_FROM = 8 * 1024**2
# Row limit slack for title or blank rows above the header before the exact count.
ROW_SLACK = 1000
MAX_BAD_CELLS = 10_000
MAX_CARRY = 16 * 1024**2
_CHUNK = 1024**2

_XML_DECLARATIONS = re.compile(rb"<!(?i:doctype|entity)")
# Cells and rows without an r="A1" position are placed by counting, which the scan does not
# do: such sheets (rare: Excel, LibreOffice, Google Sheets and openpyxl all write positions)
# go to the streaming reader, whose memory does not depend on where cells are.
_CELL_WITHOUT_POSITION = re.compile(rb'<(?:\w+:)?(?:c|row)(?:[>/]|(?=\s)(?![^>]*\sr="))')
# Quick screens for the common writing, where r="..." is the first attribute: only a chunk
# where some tag does not start that way gets the exact (slower) check above.
_CELL_NOT_R_FIRST = re.compile(rb'<c(?! r=")[\s>/]')
_ROW_NOT_R_FIRST = re.compile(rb'<row(?! r=")[\s>/]')
# Single-letter columns beyond the widest seen so far: _BEYOND[3] finds D to Z.
_BEYOND = [re.compile(rb'r="([%s-Z])\d' % bytes([65 + width])) for width in range(26)]
_ERROR_CELL = re.compile(rb'<(?:\w+:)?c\b([^>]*\bt="e"[^>]*)>.*?<(?:\w+:)?v>([^<]*)</', re.S)
_FORMULA_CELL = re.compile(
    rb"<(?:\w+:)?c\b([^>]*)>\s*<(?:\w+:)?f\b[^>]*(?:/>|>[^<]*</(?:\w+:)?f>)\s*"
    rb"(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>()</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)
_POSITION = re.compile(rb'\br="([A-Z]+)(\d+)"')
_CELL_TYPE = re.compile(rb'\bt="(\w+)"')


@dataclass
class SheetScan:
    """What the scan learnt about one worksheet part."""

    max_row: int = 0
    max_column: int = 0
    # Row index (0-based) -> column index -> the cell calamine would read as empty.
    bad_cells: dict[int, dict[int, BadCell]] = field(default_factory=dict)
    bad_cell_count: int = 0
    # Some cell or row has no r="..." position: only the streaming reader places them.
    implicit_positions: bool = False


@dataclass
class SheetInfo:
    name: str
    part: str
    scan: SheetScan


@dataclass
class WorkbookInfo:
    """The checked package: its worksheets in tab order and what reading their cells needs."""

    path: Path
    sheets: list[SheetInfo]
    date1904: bool
    shared_strings_part: str | None
    styles_part: str | None


def check_workbook(path: Path, *, max_rows: int) -> WorkbookInfo:
    """Refuse an unsafe or unusable XLSX; otherwise describe its worksheets."""
    with path.open("rb") as stream:
        signature = stream.read(8)
    if signature.startswith(OLE2_SIGNATURE[:4]):
        if _contains(path, "EncryptedPackage".encode("utf-16-le")):
            raise encrypted()
        raise FileRefused(
            "content_mismatch",
            _(
                "The file is an old Excel (.xls) or other Office file, not .xlsx. Save it as .xlsx and upload it again."
            ),
        )
    if not signature.startswith(ZIP_SIGNATURE):
        raise FileRefused(
            "content_mismatch",
            _(
                "The file is named .xlsx but is not an Excel workbook. "
                "Save it as .xlsx (or as CSV) and upload it again."
            ),
        )
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise workbook_damaged() from None
    with archive, path.open("rb") as raw:
        entries = archive.infolist()
        _check_directory(entries)
        names = {entry.filename for entry in entries}
        workbook_xml = read_small(raw, archive, "xl/workbook.xml")
        rels_xml = read_small(raw, archive, "xl/_rels/workbook.xml.rels")
        parts = _workbook_parts(workbook_xml, rels_xml, names)
        sheet_parts = {part for _name, part in parts.sheets}
        row_limit = max_rows + 1 + ROW_SLACK
        scans: dict[str, SheetScan] = {}
        for entry in entries:
            if entry.is_dir():
                continue
            if entry.filename in sheet_parts:
                scans[entry.filename] = _scan_sheet(raw, entry, row_limit=row_limit)
            elif entry.filename.endswith((".xml", ".rels", ".vml")):
                _scan_xml(raw, entry)
            else:
                # Images and other binary parts are inflated anyway: nothing reads them,
                # but a lying size in the directory must still be caught.
                for _chunk in inflate(raw, entry):
                    pass
    return WorkbookInfo(
        path=path,
        sheets=[SheetInfo(name, part, scans.get(part, SheetScan())) for name, part in parts.sheets],
        date1904=parts.date1904,
        shared_strings_part=parts.shared_strings,
        styles_part=parts.styles,
    )


def _check_directory(entries: list[zipfile.ZipInfo]) -> None:
    if len(entries) > MAX_ENTRIES:
        raise _bomb()
    total = 0
    for entry in entries:
        name = entry.filename
        lowered = name.lower()
        if lowered.endswith("vbaproject.bin") or lowered.endswith(".bin") and "vba" in lowered:
            raise FileRefused(
                "macros",
                _(
                    "The workbook contains macros. "
                    "Save it as a plain Excel workbook (.xlsx) without macros and upload it again."
                ),
            )
        if entry.flag_bits & 0x1:
            raise encrypted()
        if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise workbook_damaged()
        total += entry.file_size
        if total > MAX_UNCOMPRESSED:
            raise _bomb()
        if entry.file_size > RATIO_APPLIES_FROM and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            raise _bomb()
    if not any(entry.filename == "[Content_Types].xml" for entry in entries):
        raise workbook_damaged()


def inflate(raw: BinaryIO, entry: zipfile.ZipInfo) -> Iterator[bytes]:
    """The part's bytes in chunks of at most 1 MB, never more than the directory says it holds.

    Reads the stored bytes itself rather than through zipfile, so that a part inflating
    past its declared size is refused (zipfile would silently stop there, while another
    reader might not).
    """
    raw.seek(entry.header_offset)
    header = raw.read(30)
    if len(header) != 30 or not header.startswith(ZIP_SIGNATURE):
        raise workbook_damaged()
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    raw.seek(entry.header_offset + 30 + name_length + extra_length)
    remaining = entry.compress_size
    produced = 0
    crc = 0
    inflater = zlib.decompressobj(-15) if entry.compress_type == zipfile.ZIP_DEFLATED else None
    while remaining > 0:
        data = raw.read(min(_CHUNK, remaining))
        if not data:
            raise workbook_damaged()
        remaining -= len(data)
        while data:
            if inflater is None:
                piece, data = data, b""
            else:
                try:
                    piece = inflater.decompress(data, _CHUNK)
                except zlib.error:
                    raise workbook_damaged() from None
                data = inflater.unconsumed_tail
            produced += len(piece)
            if produced > entry.file_size:
                raise _bomb()
            if piece:
                crc = zlib.crc32(piece, crc)
                yield piece
            if inflater is not None and inflater.eof:
                break
    if inflater is not None:
        # What zlib still holds once the input is used up (less than its 32 KB window).
        try:
            tail = inflater.flush()
        except zlib.error:
            raise workbook_damaged() from None
        produced += len(tail)
        if produced > entry.file_size:
            raise _bomb()
        if tail:
            crc = zlib.crc32(tail, crc)
            yield tail
    if produced != entry.file_size or crc != entry.CRC:
        raise workbook_damaged()


def read_small(raw: BinaryIO, archive: zipfile.ZipFile, name: str) -> bytes:
    """A small XML part (at most 16 MB) whole, checked for declarations."""
    try:
        entry = archive.getinfo(name)
    except KeyError:
        raise workbook_damaged() from None
    if entry.file_size > 16 * 1024**2:
        raise workbook_damaged()
    data = b"".join(inflate(raw, entry))
    _check_xml_text(data, 0)
    return data


@dataclass
class _Parts:
    sheets: list[tuple[str, str]]
    date1904: bool
    shared_strings: str | None
    styles: str | None


def _workbook_parts(workbook_xml: bytes, rels_xml: bytes, names: set[str]) -> _Parts:
    """The worksheets (name, part) in tab order, the 1904 flag, the shared strings and styles parts."""
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    relationships = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    package = "{http://schemas.openxmlformats.org/package/2006/relationships}"
    try:
        workbook = SafeElementTree.fromstring(workbook_xml)
        rels = SafeElementTree.fromstring(rels_xml)
    except Exception:  # defusedxml's refusals and ParseError alike: the file is not usable
        raise workbook_damaged() from None
    targets: dict[str | None, tuple[str, str]] = {}
    shared_strings = styles = None
    for rel in rels.iter(f"{package}Relationship"):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        kind = rel.get("Type", "").rsplit("/", 1)[-1]
        targets[rel.get("Id")] = (path, kind)
        if kind == "sharedStrings" and path in names:
            shared_strings = path
        elif kind == "styles" and path in names:
            styles = path
    sheets = []
    for sheet in workbook.iter(f"{main}sheet"):
        part, kind = targets.get(sheet.get(f"{relationships}id"), ("", ""))
        # Chart sheets and macro sheets have no bills.
        if kind == "worksheet" and part in names:
            sheets.append((sheet.get("name", ""), part))
    properties = workbook.find(f"{main}workbookPr")
    date1904 = properties is not None and properties.get("date1904", "").lower() in ("1", "true")
    return _Parts(sheets=sheets, date1904=date1904, shared_strings=shared_strings, styles=styles)


def _scan_xml(raw: BinaryIO, entry: zipfile.ZipInfo) -> None:
    tail = b""
    offset = 0
    for chunk in inflate(raw, entry):
        _check_xml_text(tail + chunk, offset)
        tail = chunk[-16:]
        offset += len(chunk)


def _check_xml_text(data: bytes, offset: int) -> None:
    if offset == 0 and data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        # UTF-16 parts would hide declarations from this byte scan; Excel never writes them.
        raise workbook_damaged()
    if _XML_DECLARATIONS.search(data):
        raise FileRefused(
            "xml_declarations",
            _(
                "The workbook contains XML document type or entity declarations, which Excel never "
                "writes and which can be used to attack the server. It was refused; save it again "
                "from Excel or LibreOffice."
            ),
        )


def _scan_sheet(raw: BinaryIO, entry: zipfile.ZipInfo, *, row_limit: int) -> SheetScan:
    scan = SheetScan()
    digits = len(str(row_limit))
    # Only cell positions that could break a limit are examined one by one: two or more
    # column letters, or a row number with as many digits as the limit.
    unusual = re.compile(rb'r="(?:([A-Z]{2,})(\d+)|([A-Z]?)(\d{%d,}))"' % digits)
    carry = b""
    first = True
    last_row = 0
    for chunk in inflate(raw, entry):
        data = carry + chunk
        # Cut after the last tag that ends a row so no cell is split between two chunks.
        cut = data.rfind(b"row>") + 4
        if cut < 4:
            if len(data) > MAX_CARRY:
                raise workbook_damaged()
            carry = data
            continue
        data, carry = data[:cut], data[cut:]
        if not _check_sheet_chunk(data, scan, unusual, row_limit, first):
            return scan  # over the row limit: refused if this sheet is the one read
        first = False
        last_row = max(last_row, _last_row(data))
    if carry:
        if not _check_sheet_chunk(carry, scan, unusual, row_limit, first):
            return scan
        last_row = max(last_row, _last_row(carry))
    scan.max_row = max(scan.max_row, last_row)
    return scan


def _last_row(data: bytes) -> int:
    """Row number of the last cell position in the chunk (rows come in order in a sheet)."""
    start = data.rfind(b' r="')
    while start >= 0:
        match = _POSITION.match(data, start + 1)
        if match is not None:
            return int(match.group(2))
        start = data.rfind(b' r="', 0, start)
    return 0


def _check_sheet_chunk(
    data: bytes, scan: SheetScan, unusual: re.Pattern[bytes], row_limit: int, first: bool
) -> bool:
    """Update the scan with one chunk of sheet XML; False once a row is beyond the limit."""
    _check_xml_text(data, 0 if first else 1)
    maybe_without_position = (
        _CELL_NOT_R_FIRST.search(data) is not None
        or _ROW_NOT_R_FIRST.search(data) is not None
        or b":c" in data
        or b":row" in data
    )
    if maybe_without_position and _CELL_WITHOUT_POSITION.search(data):
        scan.implicit_positions = True
    if scan.max_column < 26:
        wider = _BEYOND[scan.max_column].findall(data)
        if wider:
            scan.max_column = max(wider)[0] - 64
    for match in unusual.finditer(data):
        letters = match.group(1) or match.group(3)
        row = int(match.group(2) or match.group(4))
        column = _column_number(letters) if letters else 0
        if row > row_limit:
            scan.max_row = row
            return False
        scan.max_row = max(scan.max_row, row)
        scan.max_column = max(scan.max_column, column)
    if b't="e"' in data:
        for match in _ERROR_CELL.finditer(data):
            _mark(
                scan,
                match.group(1),
                BadCell(match.group(2).decode("utf-8", "replace").strip(), "cell_error_value"),
            )
    if b"<f" in data or b":f" in data:
        for match in _FORMULA_CELL.finditer(data):
            attributes = match.group(1)
            cell_type = _CELL_TYPE.search(attributes)
            if match.group(2) is not None and cell_type is not None and cell_type.group(1) == b"str":
                continue  # a formula whose saved result is the empty text
            _mark(scan, attributes, BadCell("", "formula_without_value"))
    return True


def _mark(scan: SheetScan, attributes: bytes, bad: BadCell) -> None:
    position = _POSITION.search(attributes)
    if position is None:
        return
    if scan.bad_cell_count >= MAX_BAD_CELLS:
        raise FileRefused(
            "too_many_bad_cells",
            _(
                "More than %(limit)s cells show errors or formulas without a saved result. Open the file "
                "in Excel or LibreOffice, fix or recalculate it, save it and upload it again."
            ),
            limit=f"{MAX_BAD_CELLS:,}",
        )
    row = int(position.group(2)) - 1
    column = _column_number(position.group(1)) - 1
    scan.bad_cells.setdefault(row, {})[column] = bad
    scan.bad_cell_count += 1


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (letter - 64)
    return number


def _contains(path: Path, needle: bytes) -> bool:
    overlap = len(needle)
    tail = b""
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            if needle in tail + chunk:
                return True
            tail = chunk[-overlap:]
    return False


def encrypted() -> FileRefused:
    """The refusal for a password-protected workbook."""
    return FileRefused(
        "encrypted",
        _("The workbook is protected with a password (encrypted). Remove the password and upload it again."),
    )


def _bomb() -> FileRefused:
    return FileRefused(
        "zip_bomb",
        _(
            'The workbook inflates to far more data than a bill file holds (a compressed "zip bomb"), '
            "so it was refused without being read."
        ),
    )
