"""One data row of an upload: clean values for a bill, or every reason it cannot be one."""

from __future__ import annotations

import datetime as dt
import math
import re
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import Any

from django.utils.translation import gettext_lazy as _

from core.time import WIB

from .amounts import parse_amount
from .cells import BadCell, Cell, cell_text
from .dates import latest_end, parse_end, parse_start
from .errors import CellError
from .headers import HeaderMap, column_letter
from .phones import normalise_phone

BILL_KEY = re.compile(r"[0-9A-Za-z-]{1,20}")
MAX_PAYER_NAME = 100
MAX_DESCRIPTION = 140
MAX_PARTNER_REFERENCE = 64

# Control characters other than tab and newline have no place in a name or description
# shown in a banking app (and tab/newline are kept only inside descriptions).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class RowValues:
    """A valid row, ready to become a bill. Empty optional columns are ""."""

    row_number: int
    bill_key: str
    payer_phone: str
    payer_name: str
    amount: Decimal
    description: str
    start_at: dt.datetime
    end_at: dt.datetime
    partner_reference_no: str


def validate_row(
    raw: Sequence[Cell] | Mapping[str, Cell],
    header_map: HeaderMap,
    *,
    row_number: int,
    now: dt.datetime,
    biller_code: str,
) -> tuple[RowValues | None, list[CellError]]:
    """Check one row against every rule of the file format.

    ``raw`` is the row's cells in file order (as the readers yield them) or a mapping
    from column name (``bill_key``...) to value. Returns the clean values, or None and
    every error found, each placed at its row, column and value.
    """
    from_mapping = isinstance(raw, Mapping)
    if from_mapping:
        plan = _plan(header_map, by_name=True)
        raw = [raw.get(name) for name, _parse, _required in _FIELDS]  # type: ignore[union-attr]
    else:
        plan = _plan(header_map, by_name=False)
    width = len(raw)
    values: list[Any] = []  # parsed values in _FIELDS order, None where empty or wrong
    errors: list[CellError] = []
    # The hot path: one pass over the fields, and a parser call only for a cell with a value.
    for index, parse, required, header in plan:
        value = raw[index] if 0 <= index < width else None
        if value is None or value == "" or (value.__class__ is str and value.isspace()):
            if required:
                errors.append(_required().at(row=row_number, column=header, value=""))
            values.append(None)
            continue
        try:
            values.append(parse(value))
        except CellError as raised:
            error = value.error() if isinstance(value, BadCell) else raised
            errors.append(error.at(row=row_number, column=header, value=cell_text(value)))
            values.append(None)
    (
        bill_key,
        payer_phone,
        payer_name,
        amount,
        description,
        start_at,
        end_at,
        partner_reference_no,
        file_biller_code,
    ) = values

    if not from_mapping and width > header_map.width:
        extra = _extra_cells(raw, header_map.width)  # type: ignore[arg-type]
        if extra is not None:
            errors.append(extra)
    if file_biller_code is not None and file_biller_code != biller_code:
        index, _parse, _required_, header = plan[_BILLER_CODE]
        errors.append(
            CellError(
                "biller_code_mismatch",
                _(
                    "The biller code %(found)s differs from the biller code chosen for this upload (%(chosen)s)."
                ),
                found=file_biller_code,
                chosen=biller_code,
            ).at(row=row_number, column=header, value=cell_text(raw[index]))
        )
    if end_at is not None:
        if start_at is not None:
            window_error = _window_error(start_at, end_at, now)
        else:
            window_error = _ended(end_at) if end_at <= now else None
        if window_error is not None:
            index, _parse, _required_, header = plan[_END_DATE]
            errors.append(window_error.at(row=row_number, column=header, value=cell_text(raw[index])))
    if errors:
        for error in errors:
            if error.row is None:
                error.row = row_number
        return None, errors
    return (
        RowValues(
            row_number=row_number,
            bill_key=bill_key,
            payer_phone=payer_phone,
            payer_name=payer_name or "",
            amount=amount,
            description=description or "",
            start_at=start_at,
            end_at=end_at,
            partner_reference_no=partner_reference_no or "",
        ),
        [],
    )


_Plan = tuple[tuple[int, Callable[[Cell], object], bool, str], ...]
_PLANS: weakref.WeakKeyDictionary[HeaderMap, dict[bool, _Plan]] = weakref.WeakKeyDictionary()


def _plan(header_map: HeaderMap, *, by_name: bool) -> _Plan:
    """For each field of _FIELDS: (cell index, parser, required, header as written), once per header.

    A column the header lacks gets index -1, so its value reads as empty; for a mapping
    (turned into a list in _FIELDS order) the index is the field's own position.
    """
    plans = _PLANS.setdefault(header_map, {})
    plan = plans.get(by_name)
    if plan is None:
        positions = header_map.positions
        plan = tuple(
            (
                number if by_name else positions.get(name, -1),
                parse,
                required,
                header_map.header(name) if name in positions else name,
            )
            for number, (name, parse, required) in enumerate(_FIELDS)
        )
        plans[by_name] = plan
    return plan


def _extra_cells(raw: Sequence[Cell], width: int) -> CellError | None:
    for index in range(width, len(raw)):
        value = raw[index]
        if value is not None and value != "" and not (value.__class__ is str and value.isspace()):
            return CellError(
                "extra_cells",
                _(
                    "The row has a value after the last column of the header (%(text)s in column %(letter)s). "
                    "In a CSV file, a value that contains the separator must be in double quotes."
                ),
                column=column_letter(index),
                value=cell_text(value),
                text=cell_text(value),
                letter=column_letter(index),
            )
    return None


def _window_error(start_at: dt.datetime, end_at: dt.datetime, now: dt.datetime) -> CellError | None:
    if end_at <= start_at:
        return CellError(
            "end_before_start",
            _("The end date must be after the start date (%(start)s)."),
            start=_shown(start_at),
        )
    if end_at <= now:
        return _ended(end_at)
    limit = latest_end(start_at)
    if end_at > limit:
        return CellError(
            "window_too_long",
            _("The end date must be at most 90 days after the start date: %(limit)s at the latest."),
            limit=_shown(limit),
        )
    return None


def _ended(end_at: dt.datetime) -> CellError:
    return CellError(
        "end_in_past",
        _("The end date %(end)s has already passed."),
        end=_shown(end_at),
    )


def _shown(moment: dt.datetime) -> str:
    return moment.astimezone(WIB).strftime("%d/%m/%Y %H:%M WIB")


def _required() -> CellError:
    return CellError("required", _("This column is required and the cell is empty."))


def _code_text(value: Cell) -> str:
    """Text of a code-like cell; a number cell (1234567890.0 from Excel) loses its ".0"."""
    if type(value) is str:
        text = value.strip()
        return text[1:].strip() if text.startswith("'") else text
    if isinstance(value, bool):
        raise _not_text()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Above 2**53 a float no longer holds every digit of a long code.
        if math.isfinite(value) and value.is_integer() and 0 <= value < 2**53:
            return str(int(value))
        raise CellError(
            "number_not_code",
            _(
                "%(text)s is a number the spreadsheet has rounded or shortened; format the column as "
                "Text and type the value again."
            ),
            text=format(value, ".15g"),
        )
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return str(int(value))
    raise _not_text()


def _bill_key(value: Cell) -> str:
    key = _code_text(value)
    if BILL_KEY.fullmatch(key) is None:
        raise CellError(
            "invalid_bill_key",
            _(
                "The bill key must be 1 to 20 letters, digits or hyphens (got %(length)s characters: %(text)s)."
            ),
            length=len(key),
            text=key,
        )
    return key


def _partner_reference(value: Cell) -> str:
    reference = _code_text(value)
    if len(reference) > MAX_PARTNER_REFERENCE:
        raise CellError(
            "partner_reference_too_long",
            _("The reference number must be at most %(limit)s characters (it has %(length)s)."),
            limit=MAX_PARTNER_REFERENCE,
            length=len(reference),
        )
    if _CONTROL.search(reference) or "\t" in reference or "\n" in reference:
        raise _control_characters()
    return reference


def _payer_name(value: Cell) -> str:
    name = _plain_text(value)
    if len(name) > MAX_PAYER_NAME:
        raise CellError(
            "payer_name_too_long",
            _("The payer name must be at most %(limit)s characters (it has %(length)s)."),
            limit=MAX_PAYER_NAME,
            length=len(name),
        )
    if "\t" in name or "\n" in name or "\r" in name:
        raise _control_characters()
    return name


def _description(value: Cell) -> str:
    description = _plain_text(value)
    if len(description) > MAX_DESCRIPTION:
        raise CellError(
            "description_too_long",
            _("The description must be at most %(limit)s characters (it has %(length)s)."),
            limit=MAX_DESCRIPTION,
            length=len(description),
        )
    return description


def _plain_text(value: Cell) -> str:
    if type(value) is str:
        text = value.strip()
    elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        text = cell_text(value)
    else:
        raise _not_text()
    if _CONTROL.search(text):
        raise _control_characters()
    return text


def _not_text() -> CellError:
    return CellError("invalid_text", _("This cell must contain text."))


def _control_characters() -> CellError:
    return CellError(
        "control_characters", _("The text contains control characters (such as tabs or line breaks).")
    )


# The fields in RowValues order: (column name, parser, required).
_FIELDS: tuple[tuple[str, Callable[[Cell], object], bool], ...] = (
    ("bill_key", _bill_key, True),
    ("payer_phone", normalise_phone, True),
    ("payer_name", _payer_name, False),
    ("amount", parse_amount, True),
    ("description", _description, False),
    ("start_date", parse_start, True),
    ("end_date", parse_end, True),
    ("partner_reference_no", _partner_reference, False),
    ("biller_code", _code_text, False),
)
_END_DATE = 6
_BILLER_CODE = 8


# References as billing systems write them: letters, digits and a few marks, nothing to
# strip or refuse (no space, quote or control character), at most MAX_PARTNER_REFERENCE long.
_PLAIN_REFERENCE = re.compile(rf"[0-9A-Za-z][0-9A-Za-z./_#:-]{{0,{MAX_PARTNER_REFERENCE - 1}}}")
# Distinct texts remembered per column, and the longest one remembered: memory stays small
# whatever the file holds.
MEMO_SIZE = 4096
MEMO_TEXT = 200


class RowChecker:
    """``validate_row`` for every row of one file: the same answers, at a fraction of the cost.

    A file repeats the same few dates, amounts, names and descriptions row after row: each
    distinct text is parsed once (up to MEMO_SIZE per column). Bill keys, phone numbers and
    references written plainly are taken by one pattern each. A row this cannot pass on its
    own (an empty required cell, a value a parser refuses, a cell past the header, a
    biller code or display window that is not allowed) goes through ``validate_row`` itself,
    so each problem is reported exactly as ``validate_row`` reports it.
    """

    def __init__(self, header_map: HeaderMap, *, now: dt.datetime, biller_code: str) -> None:
        self.header_map = header_map
        self.now = now
        self.biller_code = biller_code
        positions = header_map.positions
        self._width = width = header_map.width
        # The biller code column, which most files leave out, is read apart. Any other column
        # the header lacks reads the None that _fitted() puts after the last cell.
        fields = [name for name, _parse, _required in _FIELDS if name != "biller_code"]
        self._pick = itemgetter(*(positions.get(name, width) for name in fields))
        self._complete = all(name in positions for name in fields)
        self._code_at = positions.get("biller_code")
        self._amounts = _Parsed(parse_amount)
        self._starts = _Parsed(parse_start)
        self._ends = _Parsed(parse_end)
        self._names = _Parsed(_payer_name)
        self._descriptions = _Parsed(_description)
        self._codes = _Parsed(_code_text)

    def check(self, cells: Sequence[Cell], row_number: int) -> tuple[tuple | None, list[CellError]]:
        """As ``validate_row``, the clean values as a tuple in RowValues order without the row number."""
        try:
            values = self._values(cells)
        except CellError:
            values = None
        if values is not None:
            return values, []
        clean, errors = validate_row(cells, self.header_map, row_number=row_number, now=self.now,
                                     biller_code=self.biller_code)
        if clean is None:
            return None, errors
        return (clean.bill_key, clean.payer_phone, clean.payer_name, clean.amount, clean.description,
                clean.start_at, clean.end_at, clean.partner_reference_no), []

    def _values(self, cells: Sequence[Cell]) -> tuple | None:
        """The clean values, or None where ``validate_row`` must decide; raises CellError as a parser does.

        A parser never accepts an empty cell of a required column, so those need no check here.
        """
        if len(cells) != self._width or not self._complete:
            cells = self._fitted(cells)
            if cells is None:
                return None
        key, phone, name, amount, description, start, end, reference = self._pick(cells)
        if key.__class__ is not str or BILL_KEY.fullmatch(key) is None:
            key = _bill_key(key)  # a key with anything to strip, or not text
        phone = normalise_phone(phone)
        amount = self._amounts[amount] if amount.__class__ is str else parse_amount(amount)
        start = self._starts[start] if start.__class__ is str else parse_start(start)
        end = self._ends[end] if end.__class__ is str else parse_end(end)
        if not (start < end and self.now < end and end <= latest_end(start)):
            return None
        if name.__class__ is str:
            name = self._names[name]
        else:
            name = "" if name is None else _payer_name(name)
        if description.__class__ is str:
            description = self._descriptions[description]
        else:
            description = "" if description is None else _description(description)
        if reference.__class__ is not str or _PLAIN_REFERENCE.fullmatch(reference) is None:
            reference = "" if reference is None else _partner_reference(reference)
        code = None if self._code_at is None else cells[self._code_at]
        if code is not None:
            found = self._codes[code] if code.__class__ is str else _code_text(code)
            if found != self.biller_code and not _empty(code):
                return None
        return key, phone, name, amount, description, start, end, reference

    def _fitted(self, cells: Sequence[Cell]) -> list[Cell] | None:
        """The cells cut or padded to the header's width plus one None; None if a cell past it has a value."""
        width = self._width
        if len(cells) > width:
            if _extra_cells(cells, width) is not None:
                return None
            return [*cells[:width], None]
        return [*cells, *(None,) * (width + 1 - len(cells))]


def _empty(value: Cell) -> bool:
    """Whether ``validate_row`` reads the cell as empty."""
    return value is None or value == "" or (value.__class__ is str and value.isspace())


class _Parsed(dict):
    """One column's parsed values by cell text: each distinct text is parsed once.

    Looking a text up parses it the first time (a refusal raises, and is not kept); at most
    MEMO_SIZE texts of at most MEMO_TEXT characters are kept.
    """

    def __init__(self, parse: Callable[[str], Any]) -> None:
        super().__init__()
        self.parse = parse

    def __missing__(self, text: str) -> Any:
        parsed = self.parse(text)
        if len(self) < MEMO_SIZE and len(text) <= MEMO_TEXT:
            self[text] = parsed
        return parsed
