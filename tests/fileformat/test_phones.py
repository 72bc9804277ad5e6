from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fileformat import CellError, normalise_phone
from fileformat.phones import _fast_path, _normalise_with_phonenumbers, _phone_text


@pytest.mark.parametrize(
    "written",
    [
        "081234567890",
        "+6281234567890",
        "+62 812-3456-7890",
        "6281234567890",
        "62 812 3456 7890",
        "(0812) 3456 7890",
        "0812.3456.7890",
        "'081234567890",
        "  081234567890  ",
        "81234567890",
        "81234567890.0",
        "8.1234567890E+10",
        "8,1234567890e10",
        "+62 (0) 812 3456 7890",
    ],
)
def test_every_common_writing_of_a_mobile_number_becomes_e164(written):
    assert normalise_phone(written) == "+6281234567890"


@pytest.mark.parametrize("cell", [81234567890, 81234567890.0, 8.123456789e10, Decimal("81234567890")])
def test_a_number_cell_that_lost_its_leading_zero_is_read_as_the_mobile_number(cell):
    assert normalise_phone(cell) == "+6281234567890"


def test_short_and_long_mobile_numbers_are_accepted():
    assert normalise_phone("0812345678") == "+62812345678"
    assert normalise_phone("62812345678") == "+62812345678"
    assert normalise_phone("0812345678901") == "+62812345678901"


def test_a_jakarta_landline_is_refused_as_not_mobile():
    with pytest.raises(CellError) as raised:
        normalise_phone("021-5551234")
    assert raised.value.code == "phone_not_mobile"
    assert "landline" in raised.value.message


def test_a_singapore_mobile_is_refused_as_not_indonesian():
    with pytest.raises(CellError) as raised:
        normalise_phone("+65 8123 4567")
    assert raised.value.code == "phone_not_indonesian"
    assert "+62" in raised.value.message


def test_scientific_notation_that_dropped_digits_is_refused_with_advice():
    with pytest.raises(CellError) as raised:
        normalise_phone("8.12346E+10")
    assert raised.value.code == "phone_shortened"
    assert "8.12346E+10" in raised.value.message
    assert "Text" in raised.value.message


@pytest.mark.parametrize(
    "value",
    ["", "0812-FLOWERS", "08123", "081234567890123456", "hello", True, -81234567890, 0.5, float("nan"), None],
)
def test_values_that_are_not_phone_numbers_are_refused(value):
    with pytest.raises(CellError) as raised:
        normalise_phone(value)
    assert raised.value.code == "invalid_phone"
    assert "081234567890" in raised.value.message  # tells how to write it


_clean = st.builds(
    # Shapes the fast path accepts: optional 0 / 62 / +62, then digits starting with 8.
    lambda prefix, second, rest: f"{prefix}8{second}{rest}",
    st.sampled_from(["", "0", "62", "+62"]),
    st.sampled_from("0123456789"),
    st.text("0123456789", min_size=5, max_size=13),
)


@st.composite
def _with_separators(draw):
    """A clean writing with spaces, hyphens, dots or parentheses put anywhere."""
    text = draw(_clean)
    out = []
    for char in text:
        out.append(draw(st.sampled_from(["", "", "", " ", "-", ".", "(", ")", "/"])))
        out.append(char)
    return "".join(out)


_writings = st.one_of(
    _clean,
    _with_separators(),
    # Anything made of the characters phone numbers are written with.
    st.text("0123456789+ -()62", min_size=1, max_size=20),
)


@settings(max_examples=3000)
@given(_writings)
@example("0812345678")
@example("62812345678")
@example("+620812345678")
@example("0800123456789")
@example("0804123456789")
@example("0809123456789")
@example("0812345678\u0669")  # an Arabic-Indic digit: phonenumbers reads it as 9
@example("\u0660\u0668\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668")
def test_the_fast_path_gives_phonenumbers_answer_wherever_it_answers(text):
    fast = _fast_path(text)
    if fast is None:
        return
    assert _normalise_with_phonenumbers(text) == fast


@settings(max_examples=500)
@given(st.from_regex(r"8[1-35-9][0-9]{7,10}", fullmatch=True))
def test_every_indonesian_mobile_number_round_trips_through_its_writings(national):
    expected = "+62" + national
    for written in (
        national,
        "0" + national,
        "62" + national,
        "+62" + national,
        f"+62 {national[:3]}-{national[3:]}",
    ):
        assert normalise_phone(written) == expected
    assert normalise_phone(int(national)) == expected


# --- normalise_phone against the reference path alone ---------------------------------------


def answer(normalise, value):
    """The E.164 number, or the refusal as (code, params): what a user would be told."""
    try:
        return normalise(value)
    except CellError as refusal:
        return refusal.code, refusal.params


def by_phonenumbers(value):
    """The reference: the cell read as text, then phonenumbers decides, no pattern in the way."""
    return _normalise_with_phonenumbers(_phone_text(value))


_odd_writings = st.one_of(
    _writings,
    # What else a cell may hold: quotes, dots, letters, other scripts' digits, tabs.
    st.text("0123456789+62 -().'/eE\t\u0660\u0668\u0669\uff10", max_size=45),
    st.builds(lambda lead, national, tail: lead + national + tail,
              st.sampled_from(["", " ", "'", "+", "0", "62", "+62", "+62 ", "620", "+620", "00"]),
              st.from_regex(r"8[0-9]{4,13}", fullmatch=True),
              st.sampled_from(["", " ", ".0", "\t", "-", "x"])),
)


@settings(max_examples=1000)
@given(_odd_writings)
@example("0812345678\u0669")
@example("0812" + " " * 30 + "34567890")  # over 40 characters with its spaces: refused as too long
@example("'081234567890")
@example("+62 812-3456-7890 ")
def test_normalise_phone_answers_as_phonenumbers_does_for_every_text(text):
    assert answer(normalise_phone, text) == answer(by_phonenumbers, text)


def test_normalise_phone_answers_as_phonenumbers_does_for_every_prefix_and_length():
    """Every length from 2 digits to 15 under each 3-digit prefix of 8 (where the patterns
    answer; below any other first digit they never do), in each writing."""
    compared = 0
    for prefix in range(800, 900):
        for length in range(2, 16):
            for fill in "05":
                national = (f"{prefix:03d}" + fill * length)[:length]
                for written in (national, "0" + national, "62" + national, "+62" + national,
                                f"+62 {national[:3]}-{national[3:]}", f"0{national[:3]} {national[3:]}"):
                    assert answer(normalise_phone, written) == answer(by_phonenumbers, written), written
                    compared += 1
    assert compared == 100 * 14 * 2 * 6


@pytest.mark.parametrize("written", ["٠٨١٢٣٤٥٦٧٨٩٠", "۰۸۱۲۳۴۵۶۷۸۹۰", "०८१२३४५६७८९०", "+٦٢٨١٢٣٤٥٦٧٨٩٠", "0812٣٤٥٦٧٨٩٠"])
def test_digits_of_other_scripts_are_refused(written):
    with pytest.raises(CellError):
        normalise_phone(written)
