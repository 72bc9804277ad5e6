"""What goes wrong with an uploaded file: a refused file, or one cell that cannot be used.

Reasons are lazy translations kept apart from their parameters, so the text is only
rendered (``.message``) in the language active where it is shown, never at import.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class _Explained:
    """A problem with a stable ``code`` and a translatable, parametrised reason."""

    code: str
    reason: Promise | str
    params: dict[str, Any]

    @property
    def message(self) -> str:
        """The reason rendered in the active language."""
        return str(self.reason) % self.params if self.params else str(self.reason)


class FileRefused(_Explained, Exception):
    """The whole file is refused before (or while) its rows are read."""

    def __init__(self, code: str, reason: Promise | str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.reason = reason
        self.params = params

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"FileRefused({self.code!r}, {self.params!r})"


class CellError(_Explained, ValueError):
    """One cell that cannot be used; ``row``/``column``/``value`` say where it is.

    Normalisers raise it without a location; ``validate_row`` returns copies located
    with ``at()``: the row as numbered in the file (header = row 1 in a plain file),
    the header text as written, and the raw value as text.
    """

    def __init__(
        self,
        code: str,
        reason: Promise | str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: str | None = None,
        **params: Any,
    ) -> None:
        super().__init__(code)
        self.code = code
        self.reason = reason
        self.params = params
        self.row = row
        self.column = column
        self.value = value

    def at(self, *, row: int, column: str, value: str) -> CellError:
        """This error placed at a cell of the file."""
        return CellError(self.code, self.reason, row=row, column=column, value=value, **self.params)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"CellError({self.code!r}, row={self.row!r}, column={self.column!r}, value={self.value!r})"


class HeaderWarning(_Explained):
    """Something about the header the user should know, that does not stop the upload."""

    def __init__(self, code: str, reason: Promise | str, **params: Any) -> None:
        self.code = code
        self.reason = reason
        self.params = params

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"HeaderWarning({self.code!r}, {self.params!r})"


def workbook_damaged() -> FileRefused:
    """The refusal for a workbook that cannot be read."""
    return FileRefused(
        "damaged",
        _(
            "The workbook is damaged and cannot be read. Open it in Excel or LibreOffice, save it again and upload it."
        ),
    )
