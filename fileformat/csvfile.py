"""CSV uploads: decide the encoding and separator from the bytes, then stream the records."""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from django.utils.translation import gettext_lazy as _

from .errors import FileRefused
from .package_scan import OLE2_SIGNATURE, ZIP_SIGNATURE

_CHUNK = 1024**2
# Bytes that Windows-1252 leaves undefined: a file with them is neither UTF-8 nor 1252.
_UNDEFINED_IN_1252 = re.compile(b"[\x81\x8d\x8f\x90\x9d]")
_SEPARATORS = (",", ";", "\t")
_SEPARATOR_DECLARATION = re.compile(r"sep=([,;\t|])")
# How far the separator sniffing reads into the first line.
_FIRST_LINE_LIMIT = 64 * 1024


def check_csv(path: Path) -> str:
    """Refuse a file that is not CSV text; return its encoding ("utf-8-sig" or "cp1252")."""
    utf8 = codecs.getincrementaldecoder("utf-8")("strict")
    is_utf8 = True
    undefined_1252 = False
    first = True
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            if first:
                _check_signature(chunk)
                first = False
            if b"\x00" in chunk:
                raise FileRefused(
                    "content_mismatch",
                    _(
                        "The file is named .csv but contains binary data, not text. "
                        "Export the sheet as CSV and upload it again."
                    ),
                )
            if is_utf8:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    is_utf8 = False
            if not undefined_1252 and _UNDEFINED_IN_1252.search(chunk):
                undefined_1252 = True
    if is_utf8:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            is_utf8 = False
    if is_utf8:
        return "utf-8-sig"
    if undefined_1252:
        raise FileRefused(
            "unknown_encoding",
            _(
                'The text of the file is neither UTF-8 nor Windows-1252. Save it as "CSV UTF-8" and upload it again.'
            ),
        )
    return "cp1252"


def _check_signature(head: bytes) -> None:
    if head.startswith(ZIP_SIGNATURE):
        raise FileRefused(
            "content_mismatch",
            _(
                "The file is named .csv but is a workbook or another zip file. Upload it as .xlsx, or export it as CSV."
            ),
        )
    if head.startswith(OLE2_SIGNATURE):
        raise FileRefused(
            "content_mismatch",
            _(
                "The file is named .csv but is an Excel or Office file. Export it as CSV, or upload it as .xlsx."
            ),
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused(
            "unknown_encoding",
            _(
                'The file is UTF-16 text (Excel\'s "Unicode Text"). Save it as "CSV UTF-8" and upload it again.'
            ),
        )


def sniff_separator(line: str) -> str:
    """The separator of a header line: the most frequent of comma, semicolon and tab outside quotes."""
    counts = dict.fromkeys(_SEPARATORS, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(_SEPARATORS, key=lambda separator: counts[separator])
    return best if counts[best] else ","


def read_csv(path: Path, encoding: str) -> tuple[Iterator[tuple[int, list[str]]], IO[str]]:
    """Records as (row number, cells), row 1 being the first record; and the open file to close."""
    stream = path.open("r", encoding=encoding, newline="")
    try:
        separator, declared = _separator_of_first_line(stream)
        if declared:
            stream.readline()  # "sep=;" is Excel's, and Excel does not show it as a row
    except BaseException:
        stream.close()
        raise
    reader = csv.reader(stream, delimiter=separator)

    def records() -> Iterator[tuple[int, list[str]]]:
        row_number = 0
        try:
            for row_number, cells in enumerate(reader, start=1):
                yield row_number, cells
        except csv.Error:
            # The csv module's field size limit (128 KB) is hit when a quote that is
            # never closed makes the rest of the file one value.
            raise FileRefused(
                "malformed_csv",
                _(
                    "The CSV file cannot be read after row %(row)s: a quote is probably not closed, "
                    "so the rest of the file reads as one value. Check the quotes in the rows after it."
                ),
                row=row_number,
            ) from None

    return records(), stream


def _separator_of_first_line(stream: IO[str]) -> tuple[str, bool]:
    """The separator, and whether the file declares it Excel's way ("sep=;" as first line);
    sniffed from the first non-empty line otherwise. Rewinds the stream."""
    line = ""
    for _attempt in range(1000):
        line = stream.readline(_FIRST_LINE_LIMIT)
        if not line or line.strip(" \r\n\ufeff,;\t"):
            break
    stream.seek(0)
    declaration = _SEPARATOR_DECLARATION.fullmatch(line.strip("\r\n\ufeff"))
    if declaration is not None and stream.readline(_FIRST_LINE_LIMIT) == line:
        stream.seek(0)
        return declaration.group(1), True
    stream.seek(0)
    return sniff_separator(line), False
