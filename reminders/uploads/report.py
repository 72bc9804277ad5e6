"""Reads for the upload report: the problems in file order, and the rows of the error file."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from django.db.models import Q

from fileformat import open_upload
from fileformat.error_file import error_file_rows, row_error_text
from reminders.models import Upload, UploadError
from reminders.uploads.rules import upload_limits
from reminders.uploads.validate import _local_file


def upload_errors(upload: Upload):
    """The upload's problems in file order."""
    return UploadError.objects.filter(upload=upload).order_by("row_number", "id")


class _ErrorsInFileOrder:
    """``errors_by_row`` for ``error_file_rows``, read in file order a page at a time (memory stays flat).

    Rows are asked for in increasing order, as the error file re-reads the upload.
    """

    PAGE = 2000

    def __init__(self, upload: Upload):
        self.upload = upload
        self.pending: deque[UploadError] = deque()
        self.after: tuple[int, int] = (-1, 0)
        self.exhausted = False

    def _more(self) -> None:
        row, pk = self.after
        page = list(upload_errors(self.upload).filter(Q(row_number__gt=row) | Q(row_number=row, id__gt=pk))
                    [: self.PAGE])
        if len(page) < self.PAGE:
            self.exhausted = True
        if page:
            self.after = (page[-1].row_number, page[-1].pk)
        self.pending.extend(page)

    def get(self, row_number: int, default=None):
        while True:
            while self.pending and self.pending[0].row_number < row_number:
                self.pending.popleft()
            if self.pending and self.pending[-1].row_number > row_number or self.exhausted:
                break
            self._more()
        found = []
        while self.pending and self.pending[0].row_number == row_number:
            found.append(self.pending.popleft())
        if not found:
            return default
        return row_error_text(_Shown(error.column, error.text) for error in found)


class _Shown:
    __slots__ = ("column", "message")

    def __init__(self, column: str, message: str):
        self.column, self.message = column, message


def upload_error_file_rows(upload: Upload) -> Iterator[list[str]]:
    """The header plus ``error``, then each row with a problem as written, its reasons in the active language.

    Raises ``FileRefused`` if the stored file can no longer be read.
    """
    max_rows, max_bytes = upload_limits()
    with _local_file(upload) as path, open_upload(
        path, filename=upload.original_name, max_rows=max(max_rows, upload.rows_total or 0), max_bytes=max(
            max_bytes, upload.size)) as rows:
        yield from error_file_rows(rows, _ErrorsInFileOrder(upload))
