"""A streaming reader of one worksheet, for sheets too big to hold in memory.

python-calamine reads a whole sheet into a dense grid (about 90 bytes a cell): fine for
most uploads, but 1,000,000 rows would take about a gigabyte. Above a size this reader
takes over: one row in memory at a time, the same values calamine gives (numbers as
float, date-formatted numbers as date/datetime/time/timedelta, empty cells as ""),
checked against calamine on every fixture by the tests. Spreadsheet errors and formulas
without a saved result come back as ``BadCell``.

``expat_rows`` reads any sheet XML through expat's callbacks (about 18 µs a row).
``stream_rows`` reads the shapes that Excel, LibreOffice and openpyxl write with one
regular expression instead, several times cheaper, and gives every piece of XML it does
not recognise to expat: its cells are always those ``expat_rows`` gives.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import chain
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


def read_shared_strings(chunks: Iterable[bytes]) -> list[str]:
    """The shared strings table: the text of each <si>, phonetic runs left out.

    Items written as ``<si><t>text</t></si>`` (as Excel and LibreOffice write most) are
    taken a piece at a time with one regular expression; a piece holding anything else
    (rich text runs, phonetic runs, comments...) is read by expat, as a whole table
    whose strings are always those ``expat_shared_strings`` gives.
    """
    chunks = iter(chunks)
    head = b""
    for chunk in chunks:
        head += chunk
        if _SHARED_ITEM_START in head or len(head) > _MAX_PIECE:
            break
    start = head.find(_SHARED_ITEM_START)
    opening = head[:start]
    if start < 0 or not _plain_opening(opening, root="sst"):
        return expat_shared_strings(chain([head], chunks))
    strings: list[str] = []
    carry = b""
    for chunk in chain([head[start:]], chunks):
        data = carry + chunk if carry else chunk
        cut = data.rfind(b"</si>") + len(b"</si>")
        if cut < len(b"</si>"):
            if len(data) > _MAX_PIECE:
                return strings + expat_shared_strings(chain([opening, data], chunks))
            carry = data
            continue
        piece, carry = data[:cut], data[cut:]
        found = _shared_items(piece)
        if found is None:
            try:
                found = expat_shared_strings([opening, piece, b"</sst>"])
            except FileRefused:
                # Not complete by itself: expat reads the rest of the table.
                return strings + expat_shared_strings(chain([opening, piece, carry], chunks))
        strings.extend(found)
    # The end of the table; expat also checks that it is complete.
    return strings + expat_shared_strings([opening, carry])


def expat_shared_strings(chunks: Iterable[bytes]) -> list[str]:
    """The shared strings table read by expat: any XML."""
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
    chunks: Iterable[bytes],
    *,
    shared_strings: list[str],
    date_styles: dict[int, str],
    date1904: bool,
) -> Iterator[tuple[int, list[Cell]]]:
    """(row number, cells from column A) for every <row> of the sheet XML in ``chunks``.

    The rows are read a piece at a time (about 1 MB of XML, cut after a ``</row>``) by
    ``_PieceReader`` where the piece is written in the shapes it knows, by expat where it
    is not: the cells are always the ones ``expat_rows`` gives for the whole sheet.
    """
    chunks = iter(chunks)
    options = {"shared_strings": shared_strings, "date_styles": date_styles, "date1904": date1904}
    head = b""
    for chunk in chunks:
        head += chunk
        if _SHEET_DATA in head or len(head) > _MAX_PIECE:
            break
    start = head.find(_SHEET_DATA)
    opening = head[: start + len(_SHEET_DATA)]
    if start < 0 or not _plain_opening(opening):
        yield from expat_rows(chain([head], chunks), **options)
        return
    reader = _PieceReader(**options)
    carry = b""
    for chunk in chain([head[len(opening) :]], chunks):
        data = carry + chunk if carry else chunk
        cut = data.rfind(b"</row>") + len(b"</row>")
        if cut < len(b"</row>"):
            if len(data) > _MAX_PIECE:
                yield from expat_rows(chain([opening, data], chunks), **options, after_row=reader.last_row)
                return
            carry = data
            continue
        piece, carry = data[:cut], data[cut:]
        rows = reader.read(piece)
        if rows is None:
            rows = _expat_piece(opening, piece, options, after_row=reader.last_row)
            if rows is None:
                # Not complete by itself (a comment or CDATA section running past the cut):
                # expat reads the rest of the sheet.
                yield from expat_rows(
                    chain([opening, piece, carry], chunks), **options, after_row=reader.last_row
                )
                return
            if rows:
                reader.last_row = rows[-1][0]
        yield from rows
    # The end of sheetData and what follows it; expat also checks that the sheet is complete.
    yield from expat_rows([opening, carry], **options, after_row=reader.last_row)


def expat_rows(
    chunks: Iterable[bytes],
    *,
    shared_strings: list[str],
    date_styles: dict[int, str],
    date1904: bool,
    after_row: int = 0,
) -> Iterator[tuple[int, list[Cell]]]:
    """(row number, cells from column A) for every <row> of the sheet XML in ``chunks``.

    The reference reader: any XML. ``after_row`` is the number of the row before the
    first one in ``chunks`` (rows without r="..." are numbered from it).
    """
    done: list[tuple[int, list[Cell]]] = []
    cells: list[Cell] = []
    row_number = after_row
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


# --- The common shapes, read without expat --------------------------------------------------
#
# Excel, LibreOffice, openpyxl and most exporters write rows as <row r="2" ...> and cells
# as <c r="A2" s="1" t="s"><v>0</v></c> or <c r="A2" t="inlineStr"><is><t>x</t></is></c>,
# with no space between tags. One regular expression reads those at a fraction of the cost
# of expat's callbacks; a piece with anything else (comments, CDATA, rich text, cells
# without a position, carriage returns, characters XML forbids...) goes to expat whole.

_SHEET_DATA = b"<sheetData>"
# A sheet's opening, or a single row, longer than this is left to expat.
_MAX_PIECE = 16 * 1024**2
# Text as written between tags: no markup, no carriage return (expat turns it into a line
# feed), nothing XML forbids, and no ">" so that it never holds "]]>".
_WRITTEN = r"[^<>\x00-\x08\x0b-\x1f\ufffe\uffff]*"
_ATTRIBUTES = r'(?: [\w:]+="[^"<&\x00-\x1f\ufffe\uffff]*")*'
# Splitting a piece on its cells and row tags leaves only the text between them, which
# must be layout (spaces, line ends) for the piece to be read here. Unlike findall,
# splitting makes no tuple per cell for the garbage collector to walk.
_PIECE = re.compile(
    # A cell: column letters, its other attributes, formula tag, value or inline text.
    rf'<c r="([A-Z]{{1,3}})[0-9]+"([^<>/]*)(?:/>|>(?:(<f{_ATTRIBUTES} ?)(?:/>|>{_WRITTEN}</f>))?'
    rf'(?:<v>({_WRITTEN})</v>|<v ?/>|<is><t(?: xml:space="preserve")?>({_WRITTEN})</t></is>)?</c>)'
    # The start of a row or the end of one.
    rf'|<(row r="[0-9]+"{_ATTRIBUTES} ?/?>|/row>)'
)
_GROUPS = _PIECE.groups
_SHARED_ITEM_START = b"<si>"
_PLAIN_ITEM = re.compile(rf'<si><t(?: xml:space="preserve")?>({_WRITTEN})</t></si>')
# One attribute in any of XML's writings (whitespace, either quote).
_ATTRIBUTE = re.compile(
    r"""[ \t\r\n]+([\w:.-]+)[ \t\r\n]*=[ \t\r\n]*"""
    r"""(?:"([^"<&\x00-\x1f\ufffe\uffff]*)"|'([^'<&\x00-\x1f\ufffe\uffff]*)')"""
)
_ATTRIBUTE_NAME = re.compile(r' ([\w:]+)="')
_REFERENCE = re.compile(r"&(?:(amp|lt|gt|quot|apos)|#([0-9]+)|#x([0-9a-fA-F]+));|&")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
# How a cell's attributes (after r="...") say to read its value.
_READ_NUMBER, _READ_DATE, _READ_DURATION, _READ_SHARED, _READ_INLINE, _READ_OTHER = range(6)
# Caches of what was seen, emptied when a hostile sheet makes them grow.
_MAX_CACHED = 10_000


class _Unrecognised(Exception):
    """The piece is not written in the shapes ``_PieceReader`` knows."""


class _PieceReader:
    """Reads pieces of sheet XML made of whole rows, each in one pass of ``_PIECE``."""

    def __init__(self, *, shared_strings: list[str], date_styles: dict[int, str], date1904: bool) -> None:
        self.shared_strings = shared_strings
        self.date_styles = date_styles
        self.date1904 = date1904
        self.last_row = 0
        self._reads: dict[str, int] = {}
        self._others: dict[str, tuple[str, str | None]] = {}
        self._known_tags: set[str] = set()
        self._moments: dict[str | tuple[str], Cell] = {}
        self._date_style_keys = {str(index) for index in date_styles}

    def read(self, piece: bytes) -> list[tuple[int, list[Cell]]] | None:
        """The rows of ``piece`` as expat would give them, or None if it holds other shapes."""
        try:
            text = piece.decode("utf-8")
            return self._rows(text, references="&" in text)
        except (_Unrecognised, UnicodeDecodeError):
            return None

    def _rows(self, text: str, *, references: bool) -> list[tuple[int, list[Cell]]]:
        if references:
            _check_references(text)
        rows: list[tuple[int, list[Cell]]] = []
        cells: list[Cell] | None = None
        row_number = self.last_row
        column_of = _COLUMN_OF
        reads = self._reads
        known_tags = self._known_tags
        shared_strings = self.shared_strings
        moments = self._moments
        # Locals: this loop runs for every cell of the sheet.
        inline_text, number, shared, date, duration = (
            _READ_INLINE, _READ_NUMBER, _READ_SHARED, _READ_DATE, _READ_DURATION
        )
        # Each match gives the text before it, then its groups; the text after the last
        # match comes last. Between the matches only layout may be left.
        parts = _PIECE.split(text)
        betweens = parts[:: _GROUPS + 1]
        if any(betweens) and any(between.strip(" \t\r\n") for between in betweens):
            raise _Unrecognised  # another tag, or text that is not layout
        fields = iter(parts)
        for _between, column, attributes, formula, value, inline, tag in zip(*[fields] * (_GROUPS + 1)):
            if column:
                if cells is None:
                    raise _Unrecognised  # a cell outside any row
                how = reads.get(attributes)
                if how is None:
                    how = self._learn(attributes)
                # None: no <v> or <is> (or an empty <v/>, which expat reads as "").
                raw = inline if value is None else value
                if references and raw and "&" in raw:
                    raw = _unescape(raw)
                if formula and formula not in known_tags:
                    self._check_tag(formula)
                if how == inline_text:
                    if not raw:
                        continue
                    cell: Cell = raw
                elif how == number:
                    if raw:
                        try:
                            cell = float(raw)
                        except ValueError:
                            raise workbook_damaged() from None
                    elif formula:
                        cell = BadCell("", "formula_without_value")
                    else:
                        continue
                elif how == shared:
                    try:
                        cell = shared_strings[int(raw)]  # type: ignore[arg-type]
                    except (TypeError, ValueError, IndexError):
                        raise workbook_damaged() from None
                elif how == date or how == duration:
                    if raw:
                        cell = moments.get(raw if how == date else (raw,))
                        if cell is None:
                            cell = self._moment(raw, how)
                    elif formula:
                        cell = BadCell("", "formula_without_value")
                    else:
                        continue
                else:
                    cell_type, style = self._others[attributes]
                    if raw is None and formula and cell_type == "str":
                        raise _Unrecognised  # no <v> and <v/> differ here: left to expat
                    cell = _cell_value(
                        raw, cell_type, style, bool(formula), shared_strings, self.date_styles, self.date1904
                    )
                    if cell == "" and cell.__class__ is str:
                        continue
                index = column_of[column]
                width = len(cells)
                if index == width:
                    cells.append(cell)
                elif index > width:
                    cells.extend([""] * (index - width))
                    cells.append(cell)
                else:
                    cells[index] = cell
            elif tag == "/row>":
                if cells is None:
                    raise _Unrecognised  # an end without a start
                rows.append((row_number, cells))
                cells = None
            elif tag.startswith("row "):
                if cells is not None:
                    raise _Unrecognised  # a row inside a row
                number_end = tag.index('"', 7)
                row_number = int(tag[7:number_end])
                rest = tag[number_end + 1 :]
                if rest not in known_tags:
                    self._check_tag(rest)
                if rest[-2:] == "/>":
                    rows.append((row_number, []))
                else:
                    cells = []
        self.last_row = row_number
        return rows

    def _learn(self, attributes: str) -> int:
        """How to read cells with these attributes (after r="..."), remembered."""
        seen: dict[str, str] = {}
        position = 0
        for match in _ATTRIBUTE.finditer(attributes):
            if match.start() != position:
                break
            name = match.group(1)
            if name in seen or name == "r":
                raise _Unrecognised  # expat refuses a repeated attribute
            seen[name] = match.group(2) if match.group(2) is not None else match.group(3)
            position = match.end()
        if attributes[position:].strip(" \t\r\n"):
            raise _Unrecognised
        cell_type = seen.get("t", "n")
        style = seen.get("s")
        if cell_type == "n":
            # As expat_rows: a style is a date style when written as the style's index.
            kind = None
            if style is not None and style in self._date_style_keys:
                kind = self.date_styles[int(style)]
            how = _READ_NUMBER if kind is None else _READ_DURATION if kind == "duration" else _READ_DATE
        elif cell_type == "s":
            how = _READ_SHARED
        elif cell_type == "inlineStr":
            how = _READ_INLINE
        else:
            how = _READ_OTHER
        if len(self._reads) >= _MAX_CACHED:
            self._reads.clear()
            self._others.clear()
        if how == _READ_OTHER:
            self._others[attributes] = (cell_type, style)
        self._reads[attributes] = how
        return how

    def _check_tag(self, attributes: str) -> None:
        """Leave to expat, which refuses it, a formula tag or a row's attributes after r="..."
        that repeat an attribute."""
        if attributes in self._known_tags:
            return
        names = _ATTRIBUTE_NAME.findall(attributes)
        if not attributes.startswith("<f"):
            names.append("r")
        if len(set(names)) != len(names):
            raise _Unrecognised
        if len(self._known_tags) >= _MAX_CACHED:
            self._known_tags.clear()
        self._known_tags.add(attributes)

    def _moment(self, raw: str, how: int) -> Cell:
        try:
            serial = float(raw)
        except ValueError:
            raise workbook_damaged() from None
        moment = excel_moment(serial, date1904=self.date1904, duration=how == _READ_DURATION)
        if len(self._moments) >= _MAX_CACHED:
            self._moments.clear()
        # Durations are keyed apart from dates: (raw,) rather than raw.
        self._moments[raw if how == _READ_DATE else (raw,)] = moment
        return moment


def _check_references(text: str) -> None:
    """Every & must start a predefined entity or a reference to a character XML allows."""
    for match in _REFERENCE.finditer(text):
        if match.group(1) is None:
            _referenced_character(match)


def _unescape(raw: str) -> str:
    return _REFERENCE.sub(_referenced_character, raw)


def _referenced_character(match: re.Match[str]) -> str:
    name, decimal, hexadecimal = match.groups()
    if name is not None:
        return _ENTITIES[name]
    if decimal is None and hexadecimal is None:
        raise _Unrecognised  # expat refuses an undeclared entity or a bare &
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if not (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    ):
        raise _Unrecognised
    return chr(code)


def _shared_items(piece: bytes) -> list[str] | None:
    """The strings of a piece of whole ``<si>`` items, or None if it holds other shapes."""
    try:
        text = piece.decode("utf-8")
    except UnicodeDecodeError:
        return None
    parts = _PLAIN_ITEM.split(text)
    # Between the items only layout.
    if any(between.strip(" \t\r\n") for between in parts[0::2] if between):
        return None
    strings = parts[1::2]
    if "&" in text:
        try:
            _check_references(text)
            strings = [_unescape(string) if "&" in string else string for string in strings]
        except _Unrecognised:
            return None
    return strings


def _plain_opening(opening: bytes, *, root: str = "worksheet") -> bool:
    """Whether the part before its items is UTF-8 with an unprefixed ``root`` element.

    For a sheet (root "worksheet") it must end with a real <sheetData> tag: the rows come next.
    """
    state = {"depth": 0, "encoding": None, "sheet_data_at": -1, "root": None}
    parser = _parser(namespaces=False)

    def declaration(_version: str, encoding: str | None, _standalone: int) -> None:
        state["encoding"] = encoding

    def start(name: str, attrs: dict[str, str]) -> None:
        state["depth"] += 1
        if state["depth"] == 1:
            state["root"] = (name, attrs.get("xmlns"))
        elif state["depth"] == 2 and name == "sheetData":
            state["sheet_data_at"] = parser.CurrentByteIndex

    def end(_name: str) -> None:
        state["depth"] -= 1

    parser.XmlDeclHandler = declaration
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(opening, False)
    except expat.ExpatError:
        return False
    plain = state["root"] in ((root, _MAIN), (root, _STRICT)) and (
        state["encoding"] is None or state["encoding"].lower() == "utf-8"
    )
    if root != "worksheet":
        # Anything else before the first item (a comment...) is text the items' check refuses.
        return plain and state["depth"] == 1
    return plain and state["depth"] == 2 and state["sheet_data_at"] == len(opening) - len(_SHEET_DATA)


def _expat_piece(
    opening: bytes, piece: bytes, options: dict, *, after_row: int
) -> list[tuple[int, list[Cell]]] | None:
    """The rows of one piece read by expat as if it ended the sheet; None if it cannot stand alone."""
    try:
        return list(expat_rows([opening, piece, b"</sheetData></worksheet>"], **options, after_row=after_row))
    except FileRefused:
        return None


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


def _feed(parser: expat.XMLParserType, chunks: Iterable[bytes]) -> None:
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
