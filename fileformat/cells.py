"""Raw cell values as the readers give them, and how to show one back to the user."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import TypeAlias

from django.utils.translation import gettext_lazy as _

from .errors import CellError


class BadCell:
    """A workbook cell whose value cannot be read: an error like ``#N/A`` or a formula
    saved without its result. Readers put it where the value would be."""

    __slots__ = ("shown", "code")

    def __init__(self, shown: str, code: str) -> None:
        self.shown = shown
        self.code = code

    def error(self) -> CellError:
        """The error reported for this cell, whatever the column."""
        if self.code == "formula_without_value":
            return CellError(
                "formula_without_value",
                _(
                    "The cell has a formula whose result was not saved in the file. "
                    "Open the file in Excel or LibreOffice, let it calculate, and save it again "
                    "(or paste the values instead of the formula)."
                ),
            )
        return CellError(
            "cell_error_value",
            _("The cell shows the spreadsheet error %(shown)s instead of a value."),
            shown=self.shown,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BadCell) and (self.shown, self.code) == (other.shown, other.code)

    def __hash__(self) -> int:
        return hash((self.shown, self.code))

    def __repr__(self) -> str:
        return f"BadCell({self.shown!r}, {self.code!r})"


Cell: TypeAlias = (
    str | int | float | bool | Decimal | dt.datetime | dt.date | dt.time | dt.timedelta | BadCell | None
)


def cell_text(value: Cell) -> str:
    """The cell as the user would read it, for error reports and error files."""
    if value is None:
        return ""
    if type(value) is str:
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(value, ".15g")
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, BadCell):
        return value.shown
    return str(value)
