"""The error file of an upload: the rows that failed, as written, with an added ``error`` column."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from .cells import cell_text
from .errors import CellError
from .headers import ERROR_COLUMN, header_key
from .readers import UploadRows


def row_error_text(errors: Iterable[CellError]) -> str:
    """One line for the ``error`` column: each problem as "column: reason", in the active language."""
    return "; ".join(
        f"{error.column}: {error.message}" if error.column else error.message for error in errors
    )


def error_file_rows(upload: UploadRows, errors_by_row: Mapping[int, str]) -> Iterator[list[str]]:
    """The header plus ``error``, then every row listed in ``errors_by_row`` (row number -> text).

    Re-reads the upload rather than keeping rows in memory; pass the rows to
    ``core.exports.write_csv`` or ``write_xlsx``, which neutralise formula-like cells.
    Cells come back as text as the user wrote them, so the file can be fixed and uploaded again.
    An error file uploaded again gets a fresh ``error`` column in place of its old one.
    """
    headers = list(upload.header_map.headers)
    width = len(headers)
    kept = [index for index, header in enumerate(headers) if header_key(header) != ERROR_COLUMN]
    yield [*(headers[index] for index in kept), ERROR_COLUMN]
    for row_number, cells in upload:
        message = errors_by_row.get(row_number)
        if message is None:
            continue
        texts = [cell_text(cell) for cell in cells[:width]]
        texts.extend([""] * (width - len(texts)))
        yield [*(texts[index] for index in kept), message]
