"""Open an uploaded bill file, refuse it with a clear reason, or stream its data rows.

``open_upload`` does every check that can be done before the rows are read (name, size,
content, package safety, header) and raises ``FileRefused``. Iterating the result yields
``(row_number, cells)`` for each non-empty data row, as numbered in the file (the header
is row 1 unless blank or title rows precede it), and raises ``FileRefused`` when the row
limit is passed, before yielding the row that passes it.

The file name is refused, not reduced, when it holds a path (``../x.csv``, ``C:\\x.csv``):
a browser sends a bare name, so a path means a hand-made request, and saying so is
clearer than silently storing a different name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _

from .cells import Cell
from .csvfile import check_csv, read_csv
from .errors import FileRefused
from .headers import HeaderMap, match_headers
from .package_scan import check_workbook
from .workbook import read_workbook

_DRIVE = re.compile(r"^[A-Za-z]:")
_MAX_NAME = 255


class UploadRows:
    """An opened upload: its header, then its data rows one at a time (a context manager)."""

    def __init__(
        self,
        *,
        file_format: str,
        header_map: HeaderMap,
        header_row: int,
        rows: Iterator[tuple[int, list[Cell]]],
        max_rows: int,
        closer: Any,
        sheet_name: str | None = None,
        encoding: str | None = None,
    ) -> None:
        self.format = file_format
        self.header_map = header_map
        self.header_row = header_row
        self.sheet_name = sheet_name
        self.encoding = encoding
        self._rows = rows
        self._max_rows = max_rows
        self._closer = closer

    def __iter__(self) -> Iterator[tuple[int, list[Cell]]]:
        count = 0
        max_rows = self._max_rows
        for row_number, cells in self._rows:
            # Empty rows (Excel keeps formatted ones, CSV exports end with ",,,,") carry no bill.
            # A row with a truthy cell has a value; only one without (all "", None, 0 or
            # False) needs a look at each cell.
            if not any(cells) and not any(cell != "" and cell is not None for cell in cells):
                continue
            count += 1
            if count > max_rows:
                raise FileRefused(
                    "too_many_rows",
                    _(
                        "The file has more than %(limit)s rows of bills (the limit). Split it into smaller files."
                    ),
                    limit=f"{max_rows:,}",
                )
            yield row_number, cells

    def close(self) -> None:
        """Release the file (and calamine's sheet)."""
        if self._closer is not None:
            self._closer.close()
            self._closer = None

    def __enter__(self) -> UploadRows:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def check_filename(filename: str) -> str:
    """Return the format ("csv" or "xlsx") named by the file's extension, or raise ``FileRefused``."""
    if (
        not filename
        or "/" in filename
        or "\\" in filename
        or "\x00" in filename
        or _DRIVE.match(filename)
        or filename in (".", "..")
        or len(filename) > _MAX_NAME
    ):
        raise FileRefused(
            "bad_filename",
            _("The file name %(name)s is not a plain file name (it contains a folder or drive)."),
            name=filename[:_MAX_NAME],
        )
    extension = os.path.splitext(filename)[1].lower()
    if extension == ".csv":
        return "csv"
    if extension == ".xlsx":
        return "xlsx"
    if extension in (".xlsm", ".xltm", ".xlsb"):
        raise FileRefused(
            "macros",
            _("Workbooks with macros (%(extension)s) are not accepted. Save it as .xlsx without macros."),
            extension=extension,
        )
    if extension == ".xls":
        raise FileRefused(
            "unsupported_format",
            _("Old Excel files (.xls) are not accepted. Save it as .xlsx or CSV and upload it again."),
        )
    raise FileRefused(
        "unsupported_format",
        _("Only .xlsx and .csv files are accepted (got %(name)s)."),
        name=filename,
    )


def open_upload(path: str | os.PathLike[str], *, filename: str, max_rows: int, max_bytes: int) -> UploadRows:
    """Check the uploaded file at ``path`` (named ``filename`` by the user) and open its rows."""
    file_format = check_filename(filename)
    path = Path(path)
    size = path.stat().st_size
    if size > max_bytes:
        raise FileRefused(
            "too_large",
            _("The file is %(size)s; the limit is %(limit)s."),
            size=_megabytes(size),
            limit=_megabytes(max_bytes),
        )
    if size == 0:
        raise FileRefused("empty", _("The file is empty."))
    if file_format == "csv":
        encoding = check_csv(path)
        records, stream = read_csv(path, encoding)
        try:
            header_row, header_cells = _first_non_empty(records)
            header_map = match_headers(header_cells)
        except BaseException:
            stream.close()
            raise
        return UploadRows(
            file_format="csv",
            header_map=header_map,
            header_row=header_row,
            rows=records,
            max_rows=max_rows,
            closer=stream,
            encoding=encoding,
        )
    info = check_workbook(path, max_rows=max_rows)
    header_map, header_row, sheet_name, rows, closer = read_workbook(info, max_rows=max_rows)
    return UploadRows(
        file_format="xlsx",
        header_map=header_map,
        header_row=header_row,
        rows=rows,
        max_rows=max_rows,
        closer=closer,
        sheet_name=sheet_name,
    )


def _first_non_empty(records: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    for row_number, cells in records:
        if any(cell.strip() for cell in cells):
            return row_number, cells
    raise FileRefused("no_header", _("The file has no rows: the first row must be the header."))


def _megabytes(size: int) -> str:
    return f"{size / 1024**2:,.1f} MB"
