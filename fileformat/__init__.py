"""Reading bill upload files (CSV, XLSX): safety checks, header matching, one row at a time.

Pure Python, no database: ``open_upload`` streams the rows of a checked file,
``validate_row`` turns one row into clean values or located, translatable errors
(``RowChecker`` does the same for every row of a file, faster).
The rules are those of docs/file-format.md.
"""

from .amounts import parse_amount
from .cells import BadCell, Cell, cell_text
from .dates import latest_end, parse_end, parse_start
from .errors import CellError, FileRefused, HeaderWarning
from .headers import COLUMNS, HeaderMap, match_headers
from .phones import normalise_phone
from .readers import UploadRows, check_filename, open_upload
from .rows import RowChecker, RowValues, validate_row

__all__ = [
    "COLUMNS",
    "BadCell",
    "Cell",
    "CellError",
    "FileRefused",
    "HeaderMap",
    "HeaderWarning",
    "RowChecker",
    "RowValues",
    "UploadRows",
    "cell_text",
    "check_filename",
    "latest_end",
    "match_headers",
    "normalise_phone",
    "open_upload",
    "parse_amount",
    "parse_end",
    "parse_start",
    "validate_row",
]
