"""A streaming reader of one worksheet, for sheets too big to hold in memory.

python-calamine reads a whole sheet into a dense grid (about 90 bytes a cell): fine for
most uploads, but 1,000,000 rows would take about a gigabyte. Above a size this reader
takes over: expat events, one row in memory at a time, the same values calamine gives
(numbers as float, date-formatted numbers as date/datetime/time/timedelta, empty cells
as ""), checked against calamine on every fixture by the tests. Spreadsheet errors and
formulas without a saved result come back as ``BadCell``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from functools import lru_cache
from xml.parsers import expat

from django.utils.translation import gettext_lazy as _

from .cells import BadCell, Cell
from .errors import FileRefused, workbook_damaged

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"
_ROW, _CELL, _VALUE, _FORMULA, _INLINE, _TEXT, _PHONETIC, _SHARED_ITEM = range(8)
_LOCAL_KINDS = {
    "row": _ROW,
    "c": _CELL,
    "v": _VALUE,
    "f": _FORMULA,
    "is": _INLINE,
    "t": _TEXT,
    "rPh": _PHONETIC,
    "si": _SHARED_ITEM,
}
_KINDS = {
    f"{namespace} {local}": kind for namespace in (_MAIN, _STRICT) for local, kind in _LOCAL_KINDS.items()
}

# Number formats that show a date or time: Excel's built-in ids, and any custom format
# using d, m, y, h or s outside quotes, escapes and [colour]/[$-locale] brackets.
BUILTIN_DATE_FORMATS = frozenset(
    [*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59), *range(71, 82)]
)
_FORMAT_NOISE = re.compile(r'"[^"]*"|\\.|_.|\*.|\[(?![hms]+\])[^\]]*\]', re.IGNORECASE)
_DATE_LETTERS = re.compile(r"[dmyhs]", re.IGNORECASE)
_DURATION = re.compile(r"\[[hms]+\]", re.IGNORECASE)
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def date_kind(format_code: str) -> str | None:
    """The kind of a number format: "duration" ([h]:mm...), "date" (any other date or time), or None."""
    first = format_code.split(";", 1)[0]
    if _DURATION.search(first):
        return "duration"
    return "date" if _DATE_LETTERS.search(_FORMAT_NOISE.sub("", first)) else None


# Sheets repeat the same few dates on every row.
@lru_cache(maxsize=4096)
def excel_moment(serial: float, *, date1904: bool, duration: bool) -> Cell:
    """A date-formatted number as calamine gives it: time below 1, date at midnight, else datetime."""
    if duration:
        return dt.timedelta(milliseconds=round(serial * 86_400_000))
    if serial < 1:
        if serial < 0:
            return dt.time(0, 0)
        milliseconds = round(serial * 86_400_000)
        return (dt.datetime.min + dt.timedelta(milliseconds=milliseconds)).time()
    days = serial + 1462 if date1904 else serial
    if days < 60:
        days += 1  # Excel's 1900-02-29 that never was
    try:
        moment = _EXCEL_EPOCH + dt.timedelta(milliseconds=round(days * 86_400_000))
    except OverflowError:
        return serial
    if moment.time() == dt.time(0, 0):
        return moment.date()
    return moment


def _refuse(*_args: object) -> None:
    raise FileRefused(
        "xml_declarations",
        _("The workbook contains XML document type or entity declarations, which Excel never writes."),
    )


def _parser(*, namespaces: bool = True) -> expat.XMLParserType:
    parser = expat.ParserCreate(namespace_separator=" ") if namespaces else expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = 1 << 16  # fewer, longer text callbacks
    # The package scan refuses these already; a second line of defence costs nothing.
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    return parser


def read_shared_strings(chunks: Iterator[bytes]) -> list[str]:
    """The shared strings table: the text of each <si>, phonetic runs left out."""
    strings: list[str] = []
    parts: list[str] = []
    collecting = False
    phonetic = 0

    def start(name: str, _attrs: dict[str, str]) -> None:
        nonlocal collecting, phonetic
        kind = _KINDS.get(name)
        if kind == _TEXT and not phonetic:
            collecting = True
        elif kind == _SHARED_ITEM:
            parts.clear()
        elif kind == _PHONETIC:
            phonetic += 1

    def end(name: str) -> None:
        nonlocal collecting, phonetic
        kind = _KINDS.get(name)
        if kind == _TEXT:
            collecting = False
        elif kind == _SHARED_ITEM:
            strings.append("".join(parts))
        elif kind == _PHONETIC:
            phonetic -= 1

    def text(data: str) -> None:
        if collecting:
            parts.append(data)

    parser = _parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    _feed(parser, chunks)
    return strings


def stream_rows(
    chunks: Iterator[bytes],
    *,
    shared_strings: list[str],
    date_styles: dict[int, str],
    date1904: bool,
) -> Iterator[tuple[int, list[Cell]]]:
    """(row number, cells from column A) for every <row> of the sheet XML in ``chunks``."""
    done: list[tuple[int, list[Cell]]] = []
    cells: list[Cell] = []
    row_number = 0
    column = -1
    cell_type = "n"
    style: str | None = None
    value: str | None = None
    has_formula = False
    buffer = ""
    collecting = False
    inline = False
    phonetic = 0
    column_of = _COLUMN_OF
    date_style_keys = {str(index) for index in date_styles}
    # Names are matched as written (namespace processing costs a string per element);
    # the prefix, if any, is the one the root element uses for the main namespace.
    kinds: dict[str, int] = {}

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal \
            cells, \
            row_number, \
            column, \
            cell_type, \
            style, \
            value, \
            has_formula, \
            buffer, \
            collecting, \
            inline, \
            phonetic
        kind = kinds.get(name)
        if kind is None:
            if not kinds:
                kinds.update(_kinds_for_root(name, attrs))
            return
        if kind == _CELL:
            reference = attrs.get("r")
            column = column_of[reference.rstrip("0123456789")] if reference else column + 1
            cell_type = attrs.get("t", "n")
            style = attrs.get("s")
            value = None
            has_formula = False
        elif kind == _VALUE:
            buffer = ""
            collecting = True
        elif kind == _ROW:
            reference = attrs.get("r")
            row_number = int(reference) if reference else row_number + 1
            cells = []
            column = -1
        elif kind == _FORMULA:
            has_formula = True
        elif kind == _INLINE:
            buffer = ""
            inline = True
        elif kind == _TEXT:
            collecting = inline and not phonetic
        elif kind == _PHONETIC:
            phonetic += 1

    def end(name: str) -> None:
        nonlocal value, collecting, inline, phonetic
        kind = kinds.get(name)
        if kind == _VALUE:
            value = buffer
            collecting = False
        elif kind == _CELL:
            if cell_type == "s" and value:
                try:
                    cell: Cell = shared_strings[int(value)]
                except (ValueError, IndexError):
                    raise workbook_damaged() from None
            elif cell_type == "n" and value and style not in date_style_keys:
                try:
                    cell = float(value)
                except ValueError:
                    raise workbook_damaged() from None
            else:
                cell = _cell_value(
                    value, cell_type, style, has_formula, shared_strings, date_styles, date1904
                )
                if cell == "" and cell.__class__ is str:
                    return
            width = len(cells)
            if column == width:
                cells.append(cell)
            elif column > width:
                cells.extend([""] * (column - width))
                cells.append(cell)
            else:
                cells[column] = cell
        elif kind == _ROW:
            done.append((row_number, cells))
        elif kind == _TEXT:
            collecting = False
        elif kind == _INLINE:
            value = buffer
            inline = False
        elif kind == _PHONETIC:
            phonetic -= 1

    def text(data: str) -> None:
        nonlocal buffer
        if collecting:
            buffer += data

    parser = _parser(namespaces=False)
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
            if done:
                yield from done
                done.clear()
        parser.Parse(b"", True)
    except expat.ExpatError:
        raise workbook_damaged() from None
    yield from done


def _kinds_for_root(name: str, attrs: dict[str, str]) -> dict[str, int]:
    """Element names of the sheet, with the prefix the root element binds to the main namespace."""
    prefix, _colon, _local = name.rpartition(":")
    namespace = attrs.get(f"xmlns:{prefix}" if prefix else "xmlns")
    if namespace not in (_MAIN, _STRICT):
        raise workbook_damaged()
    written = f"{prefix}:" if prefix else ""
    return {f"{written}{local}": kind for local, kind in _LOCAL_KINDS.items()}


def _cell_value(
    value: str | None,
    cell_type: str,
    style: str | None,
    has_formula: bool,
    shared_strings: list[str],
    date_styles: dict[int, str],
    date1904: bool,
) -> Cell:
    if cell_type == "n":
        if not value:
            return BadCell("", "formula_without_value") if has_formula else ""
        try:
            number = float(value)
        except ValueError:
            raise workbook_damaged() from None
        kind = date_styles.get(int(style)) if style and date_styles else None
        if kind is None:
            return number
        return excel_moment(number, date1904=date1904, duration=kind == "duration")
    if cell_type == "s":
        try:
            return shared_strings[int(value)]  # type: ignore[arg-type]
        except (TypeError, ValueError, IndexError):
            raise workbook_damaged() from None
    if cell_type == "inlineStr" or cell_type == "str":
        if value is None and has_formula and cell_type == "str":
            return BadCell("", "formula_without_value")
        return value or ""
    if cell_type == "b":
        return value == "1"
    if cell_type == "e":
        return BadCell(value or "", "cell_error_value")
    return value or ""  # "d": an ISO 8601 date as text


def _feed(parser: expat.XMLParserType, chunks: Iterator[bytes]) -> None:
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError:
        raise workbook_damaged() from None


def _column_names() -> dict[str, int]:
    """Every column name, A to XFD, with its 0-based index."""
    names: dict[str, int] = {}
    for index in range(16384):
        number = index + 1
        name = ""
        while number:
            number, remainder = divmod(number - 1, 26)
            name = chr(65 + remainder) + name
        names[name] = index
    return names


_COLUMN_OF = _column_names()
