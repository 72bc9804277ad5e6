import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from core.exports import csv_bytes, neutralise_cell, write_csv, write_xlsx, xlsx_bytes


@pytest.mark.parametrize(
    "text", ["=1+1", "+62812", "-5", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x","y")']
)
def test_text_a_spreadsheet_would_run_as_a_formula_is_prefixed_with_an_apostrophe(text):
    assert neutralise_cell(text) == "'" + text


@pytest.mark.parametrize(
    "value", ["Budi", "081234567890", " =1+1", "", 5, -5, Decimal("-1.5"), None, dt.date(2027, 1, 1)]
)
def test_plain_text_and_non_text_values_are_left_alone(value):
    assert neutralise_cell(value) == value


def test_a_csv_export_has_a_bom_for_excel_and_neutralised_text():
    data = csv_bytes([["name", "amount"], ["=cmd|' /C calc'!A0", 150000], ["Renée", Decimal("1.50")]])
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["name", "amount"], ["'=cmd|' /C calc'!A0", "150000"], ["Renée", "1.50"]]


def test_a_csv_export_writes_dates_day_first_and_aware_times_in_jakarta_time():
    moment = dt.datetime(2027, 1, 31, 1, 0, tzinfo=dt.UTC)
    rows = list(
        csv.reader(io.StringIO(csv_bytes([[dt.date(2027, 1, 31), moment, None, True]]).decode("utf-8-sig")))
    )
    assert rows == [["31/01/2027", "31/01/2027 08:00:00", "", "TRUE"]]


def test_write_csv_leaves_the_stream_open_for_the_caller():
    stream = io.BytesIO()
    write_csv([["a"]], stream)
    stream.write(b"more")
    assert stream.getvalue().endswith(b"a\r\nmore")


def test_an_xlsx_export_stores_formula_like_text_as_text_not_formulas():
    data = xlsx_bytes(
        [
            ["name", "amount", "when"],
            ["=1+1", 150000, dt.datetime(2027, 1, 31, 1, 0, tzinfo=dt.UTC)],
        ],
        sheet_title="Errors",
    )
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook["Errors"]
    cell = sheet["A2"]
    assert cell.data_type == "s"
    assert cell.value == "'=1+1"
    assert sheet["B2"].value == 150000
    assert sheet["C2"].value == dt.datetime(2027, 1, 31, 8, 0)  # Jakarta time, as the console shows it


def test_an_xlsx_export_streams_many_rows_to_a_file(tmp_path):
    path = tmp_path / "report.xlsx"
    with path.open("wb") as stream:
        write_xlsx(([f"row {number}", number] for number in range(10_000)), stream)
    rows = list(openpyxl.load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 10_000
    assert rows[-1] == ("row 9999", 9999)
