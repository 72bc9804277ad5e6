import datetime as dt
from decimal import Decimal

import pytest
from django.utils.functional import Promise
from django.utils.translation import override

from reminders.fileformat import BadCell, FileRefused, match_headers, validate_row
from reminders.fileformat.dates import WIB

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=WIB)
HEADER = [
    "bill_key",
    "payer_phone",
    "payer_name",
    "amount",
    "description",
    "start_date",
    "end_date",
    "partner_reference_no",
    "biller_code",
]
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
