"""HTTP responses that hand the user a file."""

import csv
from collections.abc import Iterable
from datetime import datetime
from io import BytesIO, StringIO

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from core.exports import neutralise_cell


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable]) -> StreamingHttpResponse:
    """Streams ``rows`` as a UTF-8 (BOM) CSV download, every cell safe to open in Excel."""

    def lines():
        buffer = StringIO()
        writer = csv.writer(buffer)
        yield "\ufeff"
        writer.writerow(header)
        for row in rows:
            writer.writerow([neutralise_cell(cell) for cell in row])
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(filename: str, header: list[str], rows: Iterable[Iterable], *, sheet_title: str = "Sheet1"
                  ) -> HttpResponse:
    """``rows`` as an XLSX download (openpyxl write-only), text cells neutralised like the CSV."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.append(header)
    for row in rows:
        sheet.append([_xlsx_cell(cell) for cell in row])
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xlsx_cell(value):
    if isinstance(value, datetime) and value.tzinfo is not None:
        # XLSX has no time zones: show the time as the console does.
        return timezone.localtime(value).replace(tzinfo=None)
    return neutralise_cell(value)
