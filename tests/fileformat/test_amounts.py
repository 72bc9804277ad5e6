from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fileformat import CellError, parse_amount
from fileformat.amounts import MAX_AMOUNT


@pytest.mark.parametrize(
    ("written", "amount"),
    [
        ("150000", "150000.00"),
        ("150000.50", "150000.50"),
        ("150000,50", "150000.50"),
        ("150000,5", "150000.50"),
        ("Rp 150.000", "150000.00"),
        ("Rp150.000,00", "150000.00"),
        ("Rp. 150.000,-", "150000.00"),
        ("rp 150.000", "150000.00"),
        ("150.000", "150000.00"),
        ("150,000", "150000.00"),
        ("1.500.000", "1500000.00"),
        ("1,500,000.50", "1500000.50"),
        ("1.500.000,50", "1500000.50"),
        ("IDR 150000", "150000.00"),
        ("'150000", "150000.00"),
        (" 150000 ", "150000.00"),
        ("0,50", "0.50"),
    ],
)
def test_amounts_written_as_text_are_read_by_the_separator_rule(written, amount):
    assert parse_amount(written) == Decimal(amount)


@pytest.mark.parametrize(
    ("cell", "amount"),
    [
        (150000, "150000.00"),
        (150000.0, "150000.00"),
        (150000.5, "150000.50"),
        (0.1 + 0.2, "0.30"),  # a formula's binary artefact is read as the sheet shows it
        (Decimal("150000.500"), "150000.50"),
    ],
)
def test_number_cells_are_read_exactly_without_binary_artefacts(cell, amount):
    assert parse_amount(cell) == Decimal(amount)
    assert str(parse_amount(cell)) == amount


@pytest.mark.parametrize(
    "written",
    [
        "1.500,000",
        "1,500.000.00",
        "150.0000",
        "1.500.000.50",
        "1500,000",
        ".50",
        "1e5",
        "abc",
        "15O000",
        "Rp",
        True,
        float("inf"),
    ],
)
def test_ambiguous_or_malformed_amounts_are_refused(written):
    with pytest.raises(CellError) as raised:
        parse_amount(written)
    assert raised.value.code == "invalid_amount"
    assert "150.000" in raised.value.message  # says how to write one


@pytest.mark.parametrize("value", ["0", "-5", "Rp -150.000", 0, -1.5])
def test_zero_and_negative_amounts_are_refused(value):
    with pytest.raises(CellError) as raised:
        parse_amount(value)
    assert raised.value.code == "amount_not_positive"


@pytest.mark.parametrize("value", [150000.005, Decimal("1.001")])
def test_number_cells_with_more_than_two_decimals_are_refused(value):
    with pytest.raises(CellError) as raised:
        parse_amount(value)
    assert raised.value.code == "amount_too_precise"


def test_three_digits_after_a_mark_in_text_are_thousands_not_decimals():
    assert parse_amount("1.001") == Decimal("1001.00")
    with pytest.raises(CellError):
        parse_amount("150000.005")


def test_amounts_above_the_maximum_are_refused():
    assert parse_amount("999.999.999.999,99") == MAX_AMOUNT
    with pytest.raises(CellError) as raised:
        parse_amount("1.000.000.000.000")
    assert raised.value.code == "amount_too_large"


_amounts = st.decimals(min_value=Decimal("0.01"), max_value=MAX_AMOUNT, places=2)


def _grouped(amount: Decimal, thousands: str, decimal_mark: str) -> str:
    whole, cents = f"{amount:.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return thousands.join(groups) + decimal_mark + cents


@given(_amounts, st.sampled_from([(".", ","), (",", ".")]), st.sampled_from(["", "Rp ", "Rp", "IDR "]))
def test_any_amount_round_trips_through_indonesian_and_english_writing(amount, marks, currency):
    thousands, decimal_mark = marks
    assert parse_amount(currency + _grouped(amount, thousands, decimal_mark)) == amount


@given(_amounts)
def test_any_amount_round_trips_through_plain_text_and_number_cells(amount):
    assert parse_amount(f"{amount:.2f}") == amount
    assert parse_amount(f"{amount:.2f}".replace(".", ",")) == amount
    assert parse_amount(float(amount)) == amount
    assert parse_amount(amount) == amount
