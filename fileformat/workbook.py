"""XLSX uploads: the rows of the first bill sheet of a workbook that passed the package scan.

python-calamine reads the cells of sheets up to ``IN_MEMORY_CELLS`` (fast; it never
evaluates formulas, it takes their saved results) but holds a whole sheet in memory as a
dense grid, so bigger sheets, and sheets whose cells have no written position, are
streamed by ``sheet_stream`` one row at a time instead (bounded memory, slower).

The sheet read is the first worksheet (in the workbook's tab order) whose first non-empty
row names at least one bill column; blank rows above the header are skipped.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator

import python_calamine
from defusedxml import ElementTree as SafeElementTree
from django.utils.translation import gettext_lazy as _

from . import sheet_stream
from .cells import Cell
from .errors import FileRefused, workbook_damaged
from .headers import HeaderMap, column_letter, looks_like_header, match_headers
from .package_scan import (
    ROW_SLACK,
    SheetInfo,
    WorkbookInfo,
    encrypted,
    inflate,
    read_small,
)

# A bill file has 9 columns; a sheet using more than 50 is refused rather than read.
MAX_COLUMNS = 50
# calamine holds about 90 bytes per cell of its grid (plus the text): sheets up to 2 million
# cells (200,000 rows of 10 columns, ~200 MB at the peak) are read by it, bigger ones streamed.
IN_MEMORY_CELLS = 2_000_000


def read_workbook(
    info: WorkbookInfo, *, max_rows: int
) -> tuple[HeaderMap, int, str, Iterator[tuple[int, list[Cell]]], Closer]:
    """Open the first worksheet whose first non-empty row names a bill column.

    Returns the header map, the header's row number, the sheet name, an iterator of
    (row number, cells) after the header, and what to close when done.
    """
    closer = Closer()
    try:
        first_refusal: FileRefused | None = None
        for sheet in info.sheets:
            _check_size(sheet, max_rows)
            found = _first_row(_sheet_rows(info, sheet, closer))
            if found is None:
                continue
            header_row, header_cells, rows = found
            if not looks_like_header(header_cells):
                if first_refusal is None:
                    try:
                        match_headers(header_cells)
                    except FileRefused as refusal:
                        first_refusal = refusal
                continue
            return match_headers(header_cells), header_row, sheet.name, rows, closer
        if first_refusal is not None:
            raise first_refusal
        raise FileRefused(
            "no_header",
            _(
                "The workbook has no sheet with a header row naming the bill columns (bill_key, payer_phone, ...)."
            ),
        )
    except BaseException:
        closer.close()
        raise


class Closer:
    """Closes what reading a workbook opened (calamine's workbook, the file of a streamed sheet)."""

    def __init__(self) -> None:
        self._open: list[object] = []

    def add(self, resource: object) -> None:
        self._open.append(resource)

    def close(self) -> None:
        while self._open:
            resource = self._open.pop()
            try:
                resource.close()  # type: ignore[attr-defined]
            except python_calamine.WorkbookClosed:
                pass


def _sheet_rows(info: WorkbookInfo, sheet: SheetInfo, closer: Closer) -> Iterator[tuple[int, list[Cell]]]:
    scan = sheet.scan
    if scan.implicit_positions or scan.max_row * max(scan.max_column, 1) > IN_MEMORY_CELLS:
        return _streamed_rows(info, sheet, closer)
    return _calamine_rows(info, sheet, closer)


def _calamine_rows(info: WorkbookInfo, sheet: SheetInfo, closer: Closer) -> Iterator[tuple[int, list[Cell]]]:
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(info.path))
        closer.add(workbook)
        loaded = workbook.get_sheet_by_name(sheet.name)
    except python_calamine.PasswordError:
        raise encrypted() from None
    except (python_calamine.CalamineError, OSError, ValueError):
        raise workbook_damaged() from None
    start = loaded.start
    if start is None:
        return iter(())
    # calamine's rows begin at row 1 of the sheet but at the first used column: pad so
    # that cell positions are the sheet's own (column A = index 0).
    padding: list[Cell] = [""] * start[1]
    bad_cells = sheet.scan.bad_cells
    rows = loaded.iter_rows()

    def numbered() -> Iterator[tuple[int, list[Cell]]]:
        for index, cells in enumerate(rows):
            if padding:
                cells = padding + cells
            bad_in_row = bad_cells.get(index)
            if bad_in_row:
                for column, bad in bad_in_row.items():
                    if column >= len(cells):  # calamine's grid ends before a column it reads as empty
                        cells.extend([""] * (column + 1 - len(cells)))
                    cells[column] = bad
            yield index + 1, cells

    return numbered()


def _streamed_rows(info: WorkbookInfo, sheet: SheetInfo, closer: Closer) -> Iterator[tuple[int, list[Cell]]]:
    archive = zipfile.ZipFile(info.path)
    closer.add(archive)
    raw = info.path.open("rb")
    closer.add(raw)
    shared_strings: list[str] = []
    if info.shared_strings_part is not None:
        shared_strings = sheet_stream.read_shared_strings(
            inflate(raw, archive.getinfo(info.shared_strings_part))
        )
    date_styles: dict[int, str] = {}
    if info.styles_part is not None:
        date_styles = _date_styles(read_small(raw, archive, info.styles_part))
    return sheet_stream.stream_rows(
        inflate(raw, archive.getinfo(sheet.part)),
        shared_strings=shared_strings,
        date_styles=date_styles,
        date1904=info.date1904,
    )


def _date_styles(styles_xml: bytes) -> dict[int, str]:
    """Cell style index -> "date" or "duration", for the styles whose number format shows a date."""
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    try:
        root = SafeElementTree.fromstring(styles_xml)
    except Exception:  # defusedxml's refusals and ParseError alike
        raise workbook_damaged() from None
    custom: dict[int, str] = {}
    for number_format in root.iter(f"{main}numFmt"):
        try:
            custom[int(number_format.get("numFmtId", ""))] = number_format.get("formatCode", "")
        except ValueError:
            continue
    kinds: dict[int, str] = {}
    cell_formats = root.find(f"{main}cellXfs")
    if cell_formats is None:
        return kinds
    for index, cell_format in enumerate(cell_formats.iter(f"{main}xf")):
        try:
            format_id = int(cell_format.get("numFmtId", "0"))
        except ValueError:
            continue
        if format_id in custom:
            kind = sheet_stream.date_kind(custom[format_id])
        elif format_id in sheet_stream.BUILTIN_DATE_FORMATS:
            kind = "duration" if format_id == 46 else "date"
        else:
            kind = None
        if kind is not None:
            kinds[index] = kind
    return kinds


def _first_row(
    rows: Iterator[tuple[int, list[Cell]]],
) -> tuple[int, list[Cell], Iterator[tuple[int, list[Cell]]]] | None:
    """The first non-empty row (number, cells) and the same iterator, now after it."""
    for row_number, cells in rows:
        if any(cell != "" and cell is not None for cell in cells):
            return row_number, cells, rows
    return None


def _check_size(sheet: SheetInfo, max_rows: int) -> None:
    """Refuse the sheet about to be read if it reaches past the row or column limits."""
    if sheet.scan.max_row > max_rows + 1 + ROW_SLACK:
        raise FileRefused(
            "too_many_rows",
            _(
                "The sheet %(sheet)s has rows down to row %(rows)s; a file may have at most %(limit)s rows of bills."
            ),
            sheet=sheet.name,
            rows=f"{sheet.scan.max_row:,}",
            limit=f"{max_rows:,}",
        )
    if sheet.scan.max_column > MAX_COLUMNS:
        raise FileRefused(
            "too_many_columns",
            _(
                "The sheet %(sheet)s has values in column %(column)s; at most %(limit)s columns are read. "
                "Delete the columns that are not needed and upload again."
            ),
            sheet=sheet.name,
            column=column_letter(sheet.scan.max_column - 1),
            limit=MAX_COLUMNS,
        )
