import csv
import datetime as dt
import io
import struct
import tracemalloc
import zipfile
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pytest

from core.exports import csv_bytes
from core.time import WIB
from fileformat import COLUMNS, BadCell, FileRefused, open_upload, validate_row
from fileformat import workbook as workbook_module
from fileformat.error_file import error_file_rows, row_error_text
from fileformat.package_scan import OLE2_SIGNATURE, check_workbook
from fileformat.template_file import (
    INSTRUCTIONS_SHEET,
    build_template_csv,
    build_template_xlsx,
)
from fileformat.workbook import Closer, _calamine_rows, _streamed_rows

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "uploads"
NOW = dt.datetime(2026, 12, 1, tzinfo=WIB)
MB = 1024**2
HEADER = [column.name for column in COLUMNS]  # the template's columns, in order


def read(path, *, filename=None, max_rows=1000, max_bytes=10 * MB):
    """The rows of an upload, as (row number, cells) with trailing empty cells dropped."""
    with open_upload(
        path, filename=filename or Path(path).name, max_rows=max_rows, max_bytes=max_bytes
    ) as upload:
        return upload, [(number, _trimmed(cells)) for number, cells in upload]


def validated(path, *, biller_code="70001"):
    with open_upload(path, filename=Path(path).name, max_rows=1000, max_bytes=10 * MB) as upload:
        return [
            validate_row(cells, upload.header_map, row_number=number, now=NOW, biller_code=biller_code)
            for number, cells in upload
        ]


def refusal(path, *, filename=None, max_rows=1000, max_bytes=10 * MB) -> FileRefused:
    with pytest.raises(FileRefused) as raised:
        read(path, filename=filename, max_rows=max_rows, max_bytes=max_bytes)
    return raised.value


def _trimmed(cells):
    cells = list(cells)
    while cells and cells[-1] in ("", None):
        cells.pop()
    return cells


# --- minimal hand-made workbooks -------------------------------------------------------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)
WORKBOOK = (
    f'<workbook xmlns="{MAIN}" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Bills" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
    "</Relationships>"
)


def sheet_xml(rows, *, positions=True, before="") -> str:
    """A worksheet with inline strings and numbers; ``positions=False`` leaves out r="A1"."""
    out = [f'{before}<worksheet xmlns="{MAIN}"><sheetData>']
    for number, cells in enumerate(rows, start=1):
        out.append(f'<row r="{number}">' if positions else "<row>")
        for index, value in enumerate(cells):
            position = f' r="{openpyxl.utils.get_column_letter(index + 1)}{number}"' if positions else ""
            if isinstance(value, (int, float)):
                out.append(f"<c{position}><v>{value}</v></c>")
            elif value:
                out.append(f'<c{position} t="inlineStr"><is><t>{escape(value)}</t></is></c>')
        out.append("</row>")
    out.append("</sheetData></worksheet>")
    return "".join(out)


def write_workbook(path: Path, sheet, *, extra=None) -> Path:
    """An .xlsx package around ``sheet`` (XML text, or a function writing the part in chunks)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        if callable(sheet):
            with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
                sheet(part)
        else:
            archive.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


GOOD_ROW = ["INV-1", "081234567890", "Budi", 150000, "Air", "01/01/2027", "31/01/2027", "", ""]


# --- CSV files as Excel, LibreOffice and billing systems write them --------------------


def test_a_utf8_csv_with_bom_crlf_and_quotes_is_read_row_by_row():
    upload, rows = read(FIXTURES / "bills_utf8_bom_crlf.csv")
    assert (upload.format, upload.encoding, upload.header_row) == ("csv", "utf-8-sig", 1)
    assert upload.header_map.header("bill_key") == "bill_key"  # the BOM is not part of the name
    assert [number for number, _cells in rows] == [2, 3, 4]  # trailing empty rows skipped
    assert rows[0][1][2] == "Santoso, Budi"
    assert rows[0][1][4] == 'Tagihan "air" Januari'
    assert upload.header_map.width == 9  # trailing empty columns ignored
    assert [values is not None for values, _errors in validated(FIXTURES / "bills_utf8_bom_crlf.csv")] == [
        True
    ] * 3


def test_a_windows_1252_csv_with_semicolons_and_indonesian_headers_is_read():
    upload, rows = read(FIXTURES / "bills_cp1252_semicolon.csv")
    assert upload.encoding == "cp1252"
    assert rows[0][1][2] == "Renée Dubois"
    assert rows[1][1][2] == "Jürgen Weiß"
    results = validated(FIXTURES / "bills_cp1252_semicolon.csv")
    assert [values.payer_phone for values, _errors in results] == ["+6281234567890", "+6281234567891"]
    assert results[1][0].amount == Decimal("150000.00")


def test_an_unknown_column_is_reported_and_bad_rows_come_back_with_their_errors():
    upload, _rows = read(FIXTURES / "bills_utf8_unknown_column.csv")
    assert [warning.code for warning in upload.header_map.warnings] == ["unknown_column"]
    (good, good_errors), (bad, bad_errors) = validated(FIXTURES / "bills_utf8_unknown_column.csv")
    assert good is not None and good_errors == []
    assert bad is None
    assert [(error.row, error.column, error.code) for error in bad_errors] == [
        (3, "payer_phone", "invalid_phone"),
        (3, "amount", "amount_not_positive"),
        (3, "start_date", "invalid_date"),
    ]


def test_blank_lines_above_the_header_shift_the_row_numbers_the_user_sees(tmp_path):
    path = tmp_path / "bills.csv"
    path.write_text(
        "\n,,,\n" + ",".join(HEADER) + "\n" + ",".join(map(str, GOOD_ROW)) + "\n", encoding="utf-8"
    )
    upload, rows = read(path)
    assert upload.header_row == 3
    assert [number for number, _cells in rows] == [4]


def test_excels_sep_line_sets_the_separator_and_is_not_a_row(tmp_path):
    path = tmp_path / "bills.csv"
    lines = ["sep=;", ";".join(HEADER), ";".join(map(str, GOOD_ROW)).replace("150000", "150000,50")]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    upload, rows = read(path)
    assert upload.header_row == 1
    assert rows == [(2, ["INV-1", "081234567890", "Budi", "150000,50", "Air", "01/01/2027", "31/01/2027"])]


# --- XLSX files -------------------------------------------------------------------------


def test_an_openpyxl_workbook_gives_typed_cells_cached_formula_results_and_bad_cells():
    upload, rows = read(FIXTURES / "bills_openpyxl.xlsx")
    assert (upload.format, upload.sheet_name) == ("xlsx", "Tagihan")
    cells = dict(rows)
    assert cells[2][1] == 81234567890.0  # the phone number cell that lost its zero
    assert cells[2][5] == dt.date(2027, 1, 1)
    assert cells[3][5] == dt.datetime(2027, 1, 1, 8, 0)
    assert cells[4][3] == 300000.0  # =D2*2, its saved result
    assert cells[5][3] == BadCell("#DIV/0!", "cell_error_value")
    assert cells[6][3] == BadCell("", "formula_without_value")
    results = validated(FIXTURES / "bills_openpyxl.xlsx")
    assert [values is not None for values, _errors in results] == [True, True, True, False, False]
    assert results[2][0].bill_key == "1234567890"
    assert [error.code for error in results[3][1]] == ["cell_error_value"]
    assert [error.code for error in results[4][1]] == ["formula_without_value"]


def test_a_csv_converted_by_libreoffice_in_an_indonesian_locale_reads_as_the_user_meant():
    upload, rows = read(FIXTURES / "libreoffice_converted.xlsx")
    assert rows[0][1][1] == 81234567890.0  # LibreOffice made the phone a number
    assert rows[1][1][3] == 150000.5  # "150000,50" with a decimal comma
    results = validated(FIXTURES / "libreoffice_converted.xlsx")
    assert all(errors == [] for _values, errors in results)
    assert [values.payer_phone for values, _errors in results] == [
        "+6281234567890",
        "+6281234567891",
        "+6281234567892",
    ]
    assert results[2][0].start_at == dt.datetime(2027, 1, 15, 8, 0, tzinfo=WIB)


def test_formulas_saved_by_libreoffice_are_read_from_their_results_never_evaluated():
    results = validated(FIXTURES / "libreoffice_formulas.xlsx")
    assert all(errors == [] for _values, errors in results)
    assert results[0][0].end_at == dt.datetime(2027, 1, 31, 23, 59, 59, tzinfo=WIB)  # =F2+30
    assert results[1][0].amount == Decimal("150000.00")  # =D2*2
    assert results[1][0].partner_reference_no == "INV-501-B"  # =A2&"-B"


def _number_formats_workbook(path: Path) -> Path:
    """Numbers under date, time, duration, currency and locale formats, as users format them."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["value", "format"])
    cases = [
        (0.5, "hh:mm"),
        (1.5, "[h]:mm"),
        (46053.5, "dd/mm/yyyy"),
        (46053, "dd/mm/yyyy hh:mm"),
        (46053.123456789, "yyyy-mm-dd hh:mm:ss"),
        (46053, '"Rp"#,##0'),
        (46053, "[$-421]dd mmmm yyyy"),
        (46053, "[Red]0.00"),
        (46053, "mmm-yy"),
        (46053, "d/m/yy;@"),
        (59, "dd/mm/yyyy"),
        (61, "dd/mm/yyyy"),
        (3e6, "dd/mm/yyyy"),
        (True, "General"),
    ]
    for value, number_format in cases:
        sheet.append([value, number_format])
        sheet.cell(row=sheet.max_row, column=1).number_format = number_format
    workbook.save(path)
    return path


@pytest.mark.parametrize(
    "name",
    ["bills_openpyxl.xlsx", "libreoffice_converted.xlsx", "libreoffice_formulas.xlsx", "template", "formats"],
)
def test_the_streaming_reader_gives_the_same_cells_as_calamine(name, tmp_path):
    if name == "template":
        path = tmp_path / "template.xlsx"
        path.write_bytes(build_template_xlsx(today=dt.date(2027, 1, 1)))
    elif name == "formats":
        path = _number_formats_workbook(tmp_path / "formats.xlsx")
    else:
        path = FIXTURES / name
    info = check_workbook(path, max_rows=1000)
    for sheet in info.sheets:
        closer = Closer()
        try:
            by_calamine = [(n, _trimmed(c)) for n, c in _calamine_rows(info, sheet, closer) if _trimmed(c)]
            streamed = [(n, _trimmed(c)) for n, c in _streamed_rows(info, sheet, closer) if _trimmed(c)]
        finally:
            closer.close()
        assert streamed == by_calamine


def test_a_big_sheet_is_streamed_with_the_same_result(monkeypatch):
    def outcome():
        return [
            (values, [(error.row, error.column, error.value, error.code) for error in errors])
            for values, errors in validated(FIXTURES / "bills_openpyxl.xlsx")
        ]

    expected = outcome()
    monkeypatch.setattr(workbook_module, "IN_MEMORY_CELLS", 0)
    assert outcome() == expected


def test_cells_written_without_positions_are_placed_by_counting(tmp_path):
    path = write_workbook(tmp_path / "bills.xlsx", sheet_xml([HEADER, GOOD_ROW], positions=False))
    _upload, rows = read(path)
    assert rows == [(2, ["INV-1", "081234567890", "Budi", 150000.0, "Air", "01/01/2027", "31/01/2027"])]


def test_the_first_sheet_with_a_bill_header_is_read(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Catatan"
    workbook.active.append(["Daftar tagihan bulan Januari"])
    bills = workbook.create_sheet("Data")
    bills.append(HEADER)
    bills.append(GOOD_ROW)
    workbook.save(tmp_path / "bills.xlsx")
    upload, rows = read(tmp_path / "bills.xlsx")
    assert upload.sheet_name == "Data"
    assert rows[0][0] == 2


def test_a_workbook_with_no_bill_header_is_refused_saying_what_the_first_row_holds(tmp_path):
    path = write_workbook(tmp_path / "bills.xlsx", sheet_xml([["Daftar tagihan"], HEADER]))
    refused = refusal(path)
    assert refused.code == "no_header"
    assert "Daftar tagihan" in refused.message


# --- templates and error files ----------------------------------------------------------


def test_the_xlsx_template_reads_back_as_one_valid_row_and_explains_every_column(tmp_path):
    path = tmp_path / "template.xlsx"
    path.write_bytes(build_template_xlsx(today=dt.date(2027, 1, 1)))
    results = validated(path)
    assert len(results) == 1 and results[0][1] == []
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Bills", INSTRUCTIONS_SHEET]
    bills = workbook["Bills"]
    assert [cell.value for cell in bills[1]] == HEADER
    assert all(
        cell.comment is not None and "Wajib" in cell.comment.text or "Opsional" in cell.comment.text
        for cell in bills[1]
    )
    instructions = [row for row in workbook[INSTRUCTIONS_SHEET].iter_rows(values_only=True)]
    assert [row[0] for row in instructions[1:10]] == HEADER
    assert all(row[2] and row[3] for row in instructions[1:10])  # English and Bahasa Indonesia


def test_the_csv_template_reads_back_as_one_valid_row(tmp_path):
    data = build_template_csv(today=dt.date(2027, 1, 1))
    assert data.startswith(b"\xef\xbb\xbfbill_key,payer_phone,")
    path = tmp_path / "template.csv"
    path.write_bytes(data)
    results = validated(path)
    assert len(results) == 1 and results[0][1] == []


def test_the_error_file_has_the_original_columns_of_failing_rows_and_an_error_column(tmp_path):
    path = FIXTURES / "bills_utf8_unknown_column.csv"
    errors_by_row = {}
    with open_upload(path, filename=path.name, max_rows=10, max_bytes=MB) as upload:
        for number, cells in upload:
            _values, errors = validate_row(
                cells, upload.header_map, row_number=number, now=NOW, biller_code="1"
            )
            if errors:
                errors_by_row[number] = row_error_text(errors)
    with open_upload(path, filename=path.name, max_rows=10, max_bytes=MB) as upload:
        rows = list(error_file_rows(upload, errors_by_row))
    assert rows[0] == ["bill_key", "payer_phone", "amount", "start_date", "end_date", "notes", "error"]
    assert rows[1][:6] == ["INV-202", "021123456", "0", "31/02/2027", "01/01/2027", "second"]
    assert rows[1][6].startswith("payer_phone: ")
    assert len(rows) == 2
    exported = list(csv.reader(io.StringIO(csv_bytes(rows).decode("utf-8-sig"))))
    assert exported[1][6] == rows[1][6]


# --- refusals ---------------------------------------------------------------------------


def test_a_file_over_the_byte_limit_is_refused_naming_the_limit(tmp_path):
    path = tmp_path / "bills.csv"
    path.write_bytes(b"x" * (MB + 1))
    refused = refusal(path, max_bytes=MB)
    assert refused.code == "too_large"
    assert "1.0 MB" in refused.message


def test_a_csv_over_the_row_limit_is_refused_naming_the_limit(tmp_path):
    path = tmp_path / "bills.csv"
    path.write_text(",".join(HEADER) + "\n" + (",".join(map(str, GOOD_ROW)) + "\n") * 11, encoding="utf-8")
    refused = refusal(path, max_rows=10)
    assert refused.code == "too_many_rows"
    assert "10" in refused.message
    assert len(read(path, max_rows=11)[1]) == 11


def test_an_xlsx_reaching_far_below_the_row_limit_is_refused_before_it_is_loaded(tmp_path):
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>1</v></c></row>' for n in (2, 5000))
    header = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{h}</t></is></c>' for i, h in enumerate(HEADER)
    )
    path = write_workbook(
        tmp_path / "b.xlsx",
        f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">{header}</row>{rows}</sheetData></worksheet>',
    )
    refused = refusal(path, max_rows=10)
    assert refused.code == "too_many_rows"
    assert "5,000" in refused.message and "10" in refused.message


def test_an_xlsx_over_the_row_limit_is_refused_while_reading(tmp_path):
    path = write_workbook(tmp_path / "bills.xlsx", sheet_xml([HEADER] + [GOOD_ROW] * 11))
    assert refusal(path, max_rows=10).code == "too_many_rows"


def test_a_sheet_using_far_columns_is_refused_naming_the_column(tmp_path):
    far = '<row r="2"><c r="ZZ2"><v>1</v></c></row>'
    xml = sheet_xml([HEADER]).replace("</sheetData>", far + "</sheetData>")
    refused = refusal(write_workbook(tmp_path / "bills.xlsx", xml))
    assert refused.code == "too_many_columns"
    assert "ZZ" in refused.message


@pytest.mark.parametrize(
    "name", ["../bills.csv", "..\\bills.csv", "C:\\Users\\a\\bills.csv", "folder/bills.xlsx"]
)
def test_a_file_name_with_a_path_is_refused(name):
    refused = refusal(FIXTURES / "bills_utf8_bom_crlf.csv", filename=name)
    assert refused.code == "bad_filename"
    assert "folder" in refused.message


@pytest.mark.parametrize(
    ("name", "code"),
    [("bills.xls", "unsupported_format"), ("bills.txt", "unsupported_format"), ("bills.xlsm", "macros")],
)
def test_other_file_types_are_refused_by_name(name, code):
    assert refusal(FIXTURES / "bills_utf8_bom_crlf.csv", filename=name).code == code


def test_a_workbook_named_csv_is_refused_as_not_matching_its_name():
    refused = refusal(FIXTURES / "bills_openpyxl.xlsx", filename="bills.csv")
    assert refused.code == "content_mismatch"
    assert ".xlsx" in refused.message


def test_a_text_file_named_xlsx_is_refused_as_not_matching_its_name():
    refused = refusal(FIXTURES / "bills_utf8_bom_crlf.csv", filename="bills.xlsx")
    assert refused.code == "content_mismatch"
    assert "not an Excel workbook" in refused.message


def test_a_csv_with_nul_bytes_is_refused_as_binary(tmp_path):
    path = tmp_path / "bills.csv"
    path.write_bytes(",".join(HEADER).encode() + b"\nINV-1,\x00\x00\x01,x\n")
    refused = refusal(path)
    assert refused.code == "content_mismatch"
    assert "binary" in refused.message


def test_a_utf16_csv_is_refused_with_the_way_to_save_it(tmp_path):
    path = tmp_path / "bills.csv"
    path.write_bytes(",".join(HEADER).encode("utf-16"))
    refused = refusal(path)
    assert refused.code == "unknown_encoding"
    assert "CSV UTF-8" in refused.message


def test_an_encrypted_workbook_is_refused_asking_to_remove_the_password():
    refused = refusal(FIXTURES / "encrypted_password_rahasia.xlsx")
    assert refused.code == "encrypted"
    assert "password" in refused.message


def test_an_old_excel_file_renamed_to_xlsx_is_refused(tmp_path):
    path = tmp_path / "bills.xlsx"
    path.write_bytes(OLE2_SIGNATURE + b"\x00" * 504)
    refused = refusal(path)
    assert refused.code == "content_mismatch"
    assert ".xls" in refused.message


def test_a_workbook_with_macros_is_refused(tmp_path):
    path = write_workbook(
        tmp_path / "bills.xlsx", sheet_xml([HEADER, GOOD_ROW]), extra={"xl/vbaProject.bin": b"\xd0\xcf"}
    )
    refused = refusal(path)
    assert refused.code == "macros"
    assert "macros" in refused.message


def test_a_damaged_workbook_is_refused(tmp_path):
    data = (FIXTURES / "bills_openpyxl.xlsx").read_bytes()
    path = tmp_path / "bills.xlsx"
    path.write_bytes(data[: len(data) // 2])
    refused = refusal(path)
    assert refused.code == "damaged"
    assert "damaged" in refused.message


def test_a_zip_bomb_is_refused_without_being_inflated(tmp_path):
    def sheet(part):
        part.write(f'<worksheet xmlns="{MAIN}"><sheetData>'.encode())
        spaces = b" " * (16 * MB)
        for _ in range(66):  # 1.1 GB of spaces, about 1 MB compressed
            part.write(spaces)
        part.write(b"</sheetData></worksheet>")

    path = write_workbook(tmp_path / "bomb.xlsx", sheet)
    assert path.stat().st_size < 2 * MB
    tracemalloc.start()
    try:
        refused = refusal(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert refused.code == "zip_bomb"
    assert "zip bomb" in refused.message
    assert peak < 20 * MB


def test_a_part_inflating_past_its_declared_size_is_refused(tmp_path):
    path = write_workbook(tmp_path / "bills.xlsx", sheet_xml([HEADER] + [GOOD_ROW] * 2000))
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    # Make the local header and the central directory both claim 1,000 bytes.
    local = data.rindex(b"PK\x03\x04", 0, data.index(name))
    struct.pack_into("<I", data, local + 22, 1000)
    central = data.rindex(b"PK\x01\x02", 0, data.rindex(name))
    struct.pack_into("<I", data, central + 24, 1000)
    path.write_bytes(bytes(data))
    assert refusal(path).code == "zip_bomb"


def test_an_xml_entity_bomb_is_refused(tmp_path):
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % ("" if i == 1 else i - 1)) * 10}">' for i in range(1, 10))
        + "]>"
    )
    path = write_workbook(
        tmp_path / "bills.xlsx",
        sheet_xml([HEADER, ["&lol9;"]], before=laughs).replace("&amp;lol9;", "&lol9;"),
    )
    refused = refusal(path)
    assert refused.code == "xml_declarations"
    assert "entity" in refused.message


# --- memory -----------------------------------------------------------------------------


def test_reading_and_validating_200k_csv_rows_keeps_memory_small(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADER)
        for number in range(200_000):
            writer.writerow(
                [
                    f"INV-{number}",
                    f"0812{number:08d}",
                    "Budi",
                    150000 + number % 1000,
                    "Air",
                    "01/01/2027",
                    "31/01/2027",
                    f"REF-{number}",
                    "70001",
                ]
            )
    tracemalloc.start()
    try:
        valid = 0
        with open_upload(path, filename="big.csv", max_rows=1_000_000, max_bytes=100 * MB) as upload:
            for number, cells in upload:
                values, _errors = validate_row(
                    cells, upload.header_map, row_number=number, now=NOW, biller_code="70001"
                )
                valid += values is not None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert valid == 200_000
    assert peak < 50 * MB


def test_a_streamed_sheet_keeps_memory_small(tmp_path, monkeypatch):
    def sheet(part):
        part.write(sheet_xml([HEADER]).replace("</sheetData></worksheet>", "").encode())
        for number in range(2, 50_002):
            part.write(
                f'<row r="{number}"><c r="A{number}" t="inlineStr"><is><t>INV-{number}</t></is></c>'
                f'<c r="B{number}"><v>81234567890</v></c><c r="D{number}"><v>150000</v></c>'
                f'<c r="F{number}"><v>46388</v></c><c r="G{number}"><v>46418</v></c></row>'.encode()
            )
        part.write(b"</sheetData></worksheet>")

    path = write_workbook(tmp_path / "big.xlsx", sheet)
    monkeypatch.setattr(workbook_module, "IN_MEMORY_CELLS", 0)
    tracemalloc.start()
    try:
        with open_upload(path, filename="big.xlsx", max_rows=100_000, max_bytes=100 * MB) as upload:
            count = sum(1 for _row in upload)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 50_000
    assert peak < 20 * MB
