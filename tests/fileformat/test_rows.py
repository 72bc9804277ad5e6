import datetime as dt
from decimal import Decimal

import pytest
from django.utils.functional import Promise
from django.utils.translation import override
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.time import WIB
from fileformat import COLUMNS, BadCell, FileRefused, RowChecker, match_headers, validate_row
from fileformat import rows as rows_module

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=WIB)
HEADER = [column.name for column in COLUMNS]  # the template's columns, in order
GOOD = ["INV-001", "081234567890", "Budi", "150.000", "Air", "01/01/2027", "31/01/2027", "REF-1", "70001"]


def check(cells, header=HEADER, *, row_number=2, biller_code="70001"):
    return validate_row(cells, match_headers(header), row_number=row_number, now=NOW, biller_code=biller_code)


def only_error(cells, **kwargs):
    values, errors = check(cells, **kwargs)
    assert values is None
    assert len(errors) == 1, [error.code for error in errors]
    return errors[0]


def with_cell(column, value):
    cells = list(GOOD)
    cells[HEADER.index(column)] = value
    return cells


# --- the header ------------------------------------------------------------------------


def test_headers_match_in_english_or_indonesian_whatever_the_case_spaces_or_underscores():
    header_map = match_headers(
        [
            "\ufeffNomor Tagihan",
            " NO_HP ",
            "payer-name",
            "Nominal",
            "KETERANGAN",
            "tanggal mulai",
            "TanggalBerakhir",
            "nomor_referensi",
            "Kode Biller",
        ]
    )
    assert header_map.positions == {name: index for index, name in enumerate(HEADER)}
    assert header_map.header("payer_phone") == "NO_HP"
    assert header_map.warnings == ()


def test_columns_may_come_in_any_order_and_unknown_ones_are_only_warned_about():
    header_map = match_headers(
        ["Catatan", "amount", "end_date", "bill_key", "start_date", "payer_phone", "", ""]
    )
    assert header_map.positions == {
        "amount": 1,
        "end_date": 2,
        "bill_key": 3,
        "start_date": 4,
        "payer_phone": 5,
    }
    assert [warning.code for warning in header_map.warnings] == ["unknown_column"]
    assert "Catatan" in header_map.warnings[0].message
    assert header_map.width == 6  # trailing empty header cells are not columns


def test_an_unnamed_column_between_named_ones_is_warned_about_by_letter():
    header_map = match_headers(["bill_key", "", "payer_phone", "amount", "start_date", "end_date"])
    assert [warning.code for warning in header_map.warnings] == ["unnamed_column"]
    assert "Column B" in header_map.warnings[0].message


def test_a_missing_required_column_refuses_the_file_naming_it_in_both_languages():
    with pytest.raises(FileRefused) as raised:
        match_headers(["bill_key", "payer_phone", "start_date", "end_date"])
    assert raised.value.code == "missing_columns"
    assert "amount / nominal" in raised.value.message


def test_a_column_given_twice_refuses_the_file_naming_both_headers():
    with pytest.raises(FileRefused) as raised:
        match_headers(["bill_key", "payer_phone", "amount", "Nominal", "start_date", "end_date"])
    assert raised.value.code == "duplicate_column"
    assert "amount" in raised.value.message and "Nominal" in raised.value.message
    assert "column C" in raised.value.message and "column D" in raised.value.message


def test_a_file_with_no_recognised_header_is_refused_showing_what_was_found():
    with pytest.raises(FileRefused) as raised:
        match_headers(["Daftar tagihan Januari", "", ""])
    assert raised.value.code == "no_header"
    assert "Daftar tagihan Januari" in raised.value.message
    assert "template" in raised.value.message


# --- a row -----------------------------------------------------------------------------


def test_a_good_row_gives_clean_values():
    values, errors = check(GOOD)
    assert errors == []
    assert values.bill_key == "INV-001"
    assert values.payer_phone == "+6281234567890"
    assert values.amount == Decimal("150000.00")
    assert values.start_at == dt.datetime(2027, 1, 1, tzinfo=WIB)
    assert values.end_at == dt.datetime(2027, 1, 31, 23, 59, 59, tzinfo=WIB)
    assert values.partner_reference_no == "REF-1"
    assert values.row_number == 2


def test_number_cells_from_excel_become_the_codes_they_show():
    values, errors = check(
        ["INV-1", 81234567890.0, "Budi", 150000.0, "", 46388, 46418.0, 1234567890.0, 70001.0]
    )
    assert errors == []
    assert values.partner_reference_no == "1234567890"
    values, errors = check(with_cell("bill_key", 1234567890.0))
    assert values.bill_key == "1234567890"


def test_optional_columns_may_be_empty_or_absent():
    values, errors = check(
        ["INV-1", "081234567890", "150000", "01/01/2027", "31/01/2027"],
        header=["bill_key", "payer_phone", "amount", "start_date", "end_date"],
    )
    assert errors == []
    assert (values.payer_name, values.description, values.partner_reference_no) == ("", "", "")


def test_every_error_says_row_column_as_written_value_and_reason():
    header = ["Nomor Tagihan", "No HP", "Nominal", "Tanggal Mulai", "Tanggal Berakhir"]
    values, errors = check(["INV 1", "021-555", "0", "31/02/2027", "31/01/2027"], header=header, row_number=7)
    assert values is None
    assert [(error.row, error.column, error.value, error.code) for error in errors] == [
        (7, "Nomor Tagihan", "INV 1", "invalid_bill_key"),
        (7, "No HP", "021-555", "invalid_phone"),
        (7, "Nominal", "0", "amount_not_positive"),
        (7, "Tanggal Mulai", "31/02/2027", "invalid_date"),
    ]
    assert all(isinstance(error.reason, Promise) for error in errors)
    with override("id"):
        assert all(error.message for error in errors)


def test_an_empty_required_cell_is_an_error():
    error = only_error(with_cell("payer_phone", "  "))
    assert (error.code, error.column, error.value) == ("required", "payer_phone", "")


@pytest.mark.parametrize("key", ["A" * 21, "INV/001", "INV 001", "ÄBC"])
def test_a_bill_key_must_be_1_to_20_letters_digits_or_hyphens(key):
    assert only_error(with_cell("bill_key", key)).code == "invalid_bill_key"


def test_a_bill_key_of_twenty_characters_is_accepted():
    values, _errors = check(with_cell("bill_key", "A-" * 10))
    assert values.bill_key == "A-" * 10


def test_a_number_too_long_for_a_spreadsheet_cell_is_refused_as_code():
    assert only_error(with_cell("bill_key", 12345678901234567890.0)).code == "number_not_code"


def test_text_limits_are_enforced():
    assert check(with_cell("payer_name", "x" * 100))[1] == []
    assert only_error(with_cell("payer_name", "x" * 101)).code == "payer_name_too_long"
    assert check(with_cell("description", "x" * 140))[1] == []
    assert only_error(with_cell("description", "x" * 141)).code == "description_too_long"
    assert check(with_cell("partner_reference_no", "x" * 64))[1] == []
    assert only_error(with_cell("partner_reference_no", "x" * 65)).code == "partner_reference_too_long"


def test_the_end_must_be_after_the_start():
    error = only_error(with_cell("end_date", "01/01/2027 00:00"))
    assert (error.code, error.column, error.value) == ("end_before_start", "end_date", "01/01/2027 00:00")


def test_the_end_must_be_in_the_future():
    cells = with_cell("start_date", "01/11/2026")
    cells[HEADER.index("end_date")] = "30/11/2026"
    assert only_error(cells).code == "end_in_past"


def test_the_end_may_be_at_most_90_days_after_the_start():
    assert check(with_cell("end_date", "01/04/2027"))[1] == []
    error = only_error(with_cell("end_date", "02/04/2027"))
    assert error.code == "window_too_long"
    assert "01/04/2027 23:59" in error.message


def test_a_biller_code_in_the_file_must_be_the_chosen_one():
    error = only_error(GOOD, biller_code="70002")
    assert (error.code, error.column, error.value) == ("biller_code_mismatch", "biller_code", "70001")
    assert "70002" in error.message
    assert check(with_cell("biller_code", ""), biller_code="70002")[1] == []


def test_a_spreadsheet_error_cell_is_reported_as_such_in_any_column():
    error = only_error(with_cell("amount", BadCell("#N/A", "cell_error_value")))
    assert (error.code, error.column, error.value) == ("cell_error_value", "amount", "#N/A")
    error = only_error(with_cell("payer_name", BadCell("", "formula_without_value")))
    assert error.code == "formula_without_value"


def test_values_after_the_last_header_column_are_reported():
    error = only_error([*GOOD, "", "S.E."])
    assert (error.code, error.column, error.value, error.row) == ("extra_cells", "K", "S.E.", 2)
    assert "double quotes" in error.message
    assert check([*GOOD, "", "  "])[1] == []


def test_a_mapping_of_column_names_is_validated_like_a_row():
    values, errors = validate_row(
        dict(zip(HEADER, GOOD, strict=True)),
        match_headers(HEADER),
        row_number=1,
        now=NOW,
        biller_code="70001",
    )
    assert errors == []
    assert values.payer_phone == "+6281234567890"
    values, errors = validate_row(
        {"bill_key": "INV-1", "amount": "0"},
        match_headers(HEADER),
        row_number=1,
        now=NOW,
        biller_code="70001",
    )
    assert {error.code for error in errors} == {"required", "amount_not_positive"}


# --- RowChecker: validate_row for a whole file ---------------------------------------------


# Each column's writings from docs/file-format.md, good and bad, as CSV text and as workbook cells.
WRITINGS = {
    "bill_key": ["INV-001", " INV-001 ", "'INV-001", "INV_001", "A" * 21, "", "  ", 1234567890.0, 12.5, True, None,
                 BadCell("#N/A", "error")],
    "payer_phone": ["081234567890", "+62 812-3456-7890", "6281234567890", "(0812) 3456 7890", "'081234567890",
                    "81234567890", "81234567890.0", "8.1234567890E+10", "8.12346E+10", "0212345678", "+6591234567",
                    "0812 3456 7890 ", "08123456789\u0660", "", " ", 81234567890.0, 81234567890, None],
    "payer_name": ["Budi", "  Budi Santoso ", "'Budi", "x" * 100, "x" * 101, "Budi\tSantoso", "Budi\x01", "", "   ",
                   1500.0, None, True],
    "amount": ["150000", "150000.50", "150000,50", "Rp 150.000", "Rp. 150.000,-", "150.000", "150,000", "1.500.000,50",
               "IDR 150000", "0", "-5", "150000.505", "999999999999.99", "1000000000000", "abc", "", " ", 150000.0,
               0.30000000000000004, Decimal("150000.50"), 0, True, None],
    "description": ["Air", "  Air 11/2026 ", "Baris\npertama", "x" * 140, "x" * 141, "bell\x07", "", " ", 12, None],
    "start_date": ["01/01/2027", "1-1-2027", "2027-01-01", "01/01/2027 13.30", "2027-01-01T08:00:00+07:00",
                   "31/01/2027 23:59:59", "31/02/2027", "01/13/2027", "46388", "abc", "", " ", dt.date(2027, 1, 1),
                   dt.datetime(2027, 1, 1, 8, 0), 46388, 46388.5, None],
    "end_date": ["31/01/2027", "31-01-2027", "2027-01-31", "31/01/2027 23.00", "2027-01-31T23:00:00Z", "30/11/2026",
                 "01/04/2027", "02/04/2027", "01/06/2027", "31/12/2026", "46418", "", dt.date(2027, 1, 31), 46418.0,
                 None],
    "partner_reference_no": ["REF-1", "INV/2026/11#7", " REF-1 ", "'REF-1", "R" * 64, "R" * 65, "REF\t1", "REF\r1",
                             "", "  ", 1234567890.0, None],
    "biller_code": ["70001", " 70001 ", "'70001", "70002", "'", "", "  ", 70001.0, 70001, None],
}
HEADERS = [
    HEADER,
    HEADER[:-1],  # most files leave the biller code out
    ["bill_key", "payer_phone", "amount", "start_date", "end_date"],
    ["end_date", "Nominal", "nomor_tagihan", "no_hp", "tanggal_mulai", "keterangan", "kode_biller"],
]


def located(errors):
    return [(error.row, error.column, error.value, error.code, error.message, error.params) for error in errors]


def answers_agree(header, rows):
    """One RowChecker over all ``rows`` answers each as validate_row does."""
    header_map = match_headers(header)
    checker = RowChecker(header_map, now=NOW, biller_code="70001")
    for row_number, cells in enumerate(rows, start=2):
        values, errors = checker.check(cells, row_number)
        clean, expected = validate_row(cells, header_map, row_number=row_number, now=NOW, biller_code="70001")
        assert located(errors) == located(expected), cells
        if clean is None:
            assert values is None, cells
        else:
            assert values == (clean.bill_key, clean.payer_phone, clean.payer_name, clean.amount, clean.description,
                              clean.start_at, clean.end_at, clean.partner_reference_no), cells


@st.composite
def files(draw):
    header = draw(st.sampled_from(HEADERS))
    names = match_headers(header).positions
    by_index = {index: name for name, index in names.items()}
    rows = []
    for _row in range(draw(st.integers(1, 6))):
        cells = [draw(st.sampled_from(WRITINGS[by_index[index]])) for index in range(len(header))]
        # Rows cut short, or with cells past the header (empty or not).
        cells = cells[: draw(st.integers(len(cells) - 2, len(cells)))]
        cells += draw(st.lists(st.sampled_from(["", "", " ", None, "stray"]), max_size=2))
        rows.append(cells)
    return header, rows


@settings(max_examples=800, deadline=None)
@given(files())
@example((HEADER, [GOOD, GOOD, with_cell("amount", "abc"), GOOD]))
@example((HEADER[:-1], [GOOD[:-1], [*GOOD[:-1], "stray"], GOOD[:5]]))
def test_the_row_checker_answers_every_row_as_validate_row_does(file):
    header, rows = file
    answers_agree(header, rows)


def test_the_row_checker_answers_as_validate_row_for_each_writing_of_each_column():
    rows = [with_cell(column, value) for column, values in WRITINGS.items() for value in values]
    answers_agree(HEADER, rows + rows)  # the second time, from what the checker remembers


def test_the_row_checker_remembers_a_bounded_number_of_short_texts(monkeypatch):
    monkeypatch.setattr(rows_module, "MEMO_SIZE", 3)
    checker = RowChecker(match_headers(HEADER), now=NOW, biller_code="70001")
    for name in ["Ani", "Budi", "Citra", "Dewi", "Eko", "x" * 99 + " " * 150]:
        values, errors = checker.check(with_cell("payer_name", name), 2)
        assert errors == [] and values[2] == name.strip()
    assert list(checker._names) == ["Ani", "Budi", "Citra"]
    checker = RowChecker(match_headers(HEADER), now=NOW, biller_code="70001")
    checker.check(with_cell("payer_name", "x" * 99 + " " * 150), 2)
    assert not checker._names  # too long to keep
