"""HTTP responses that hand the user a file."""

import csv
from collections.abc import Iterable
from io import StringIO

from django.http import StreamingHttpResponse


def _neutralise(value):
    # Spreadsheet apps run a cell that starts like a formula; a quote keeps it text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable]) -> StreamingHttpResponse:
    """Streams ``rows`` as a UTF-8 (BOM) CSV download, every cell safe to open in Excel."""

    def lines():
        buffer = StringIO()
        writer = csv.writer(buffer)
        yield "\ufeff"
        writer.writerow(header)
        for row in rows:
            writer.writerow([_neutralise(cell) for cell in row])
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
