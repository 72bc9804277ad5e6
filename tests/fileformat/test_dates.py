import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.time import WIB
from fileformat import CellError, latest_end, parse_end, parse_start

UTC = dt.UTC


def wib(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=WIB)


@pytest.mark.parametrize(
    "written",
    [
        "31/01/2027",
        "31-01-2027",
        "2027-01-31",
        " 31/01/2027 ",
        "31/1/2027",
        dt.date(2027, 1, 31),
        46418,  # Excel serial number of 31/01/2027
        46418.0,
        "46418",
    ],
)
def test_a_start_date_without_time_starts_at_midnight_jakarta_time(written):
    assert parse_start(written) == wib(2027, 1, 31, 0, 0, 0)


@pytest.mark.parametrize("written", ["31/01/2027", "2027-01-31", dt.date(2027, 1, 31), 46418])
def test_an_end_date_without_time_ends_at_the_last_second_of_the_day(written):
    assert parse_end(written) == wib(2027, 1, 31, 23, 59, 59)


@pytest.mark.parametrize(
    ("written", "moment"),
    [
        ("31/01/2027 13:30", wib(2027, 1, 31, 13, 30)),
        ("31/01/2027 13.30", wib(2027, 1, 31, 13, 30)),
        ("31/01/2027 13:30:15", wib(2027, 1, 31, 13, 30, 15)),
        ("31-01-2027 08:00", wib(2027, 1, 31, 8, 0)),
        ("2027-01-31 08:00", wib(2027, 1, 31, 8, 0)),
        ("2027-01-31T08:00:00", wib(2027, 1, 31, 8, 0)),
        ("2027-01-31T08:00:00+07:00", wib(2027, 1, 31, 8, 0)),
        ("2027-01-31T01:00:00Z", wib(2027, 1, 31, 8, 0)),
        ("2027-01-31T09:00:00+08:00", wib(2027, 1, 31, 8, 0)),
        (dt.datetime(2027, 1, 31, 8, 0), wib(2027, 1, 31, 8, 0)),
        (dt.datetime(2027, 1, 31, 1, 0, tzinfo=UTC), wib(2027, 1, 31, 8, 0)),
        (46418.5, wib(2027, 1, 31, 12, 0)),
    ],
)
def test_a_time_is_kept_and_read_as_jakarta_time_unless_an_offset_is_given(written, moment):
    assert parse_start(written) == moment
    assert parse_end(written) == moment


def test_results_are_aware_utc_datetimes():
    result = parse_start("31/01/2027 07:00")
    assert result.tzinfo is UTC
    assert result == dt.datetime(2027, 1, 31, 0, 0, tzinfo=UTC)


def test_day_and_month_are_never_swapped():
    assert parse_start("01/02/2027") == wib(2027, 2, 1)
    with pytest.raises(CellError) as raised:
        parse_start("02/13/2027")
    assert raised.value.code == "invalid_date"
    assert "day/month/year" in raised.value.message


@pytest.mark.parametrize(
    "written", ["31/02/2026", "29/02/2027", "00/01/2027", "31/01/2027 24:00", "2027-01-31T08:00+25:00"]
)
def test_a_date_that_does_not_exist_is_refused_naming_the_value(written):
    with pytest.raises(CellError) as raised:
        parse_start(written)
    assert raised.value.code == "invalid_date"
    assert written in raised.value.message


@pytest.mark.parametrize(
    "value", ["", "tomorrow", "31/01/27", "2027/01/31", 12, 150000, 1e9, True, dt.time(8, 0)]
)
def test_values_that_are_not_dates_are_refused(value):
    with pytest.raises(CellError) as raised:
        parse_end(value)
    assert raised.value.code == "invalid_date"
    assert "dd/mm/yyyy" in raised.value.message


def test_the_latest_end_is_the_end_of_the_ninetieth_day_after_the_start():
    assert latest_end(parse_start("01/01/2027")) == wib(2027, 4, 1, 23, 59, 59)
    assert latest_end(parse_start("01/01/2027 15:00")) == wib(2027, 4, 1, 23, 59, 59)


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_every_date_reads_the_same_in_all_its_writings(day):
    expected = dt.datetime.combine(day, dt.time(0, 0), tzinfo=WIB)
    serial = (day - dt.date(1899, 12, 30)).days
    writings = [
        day,
        day.strftime("%d/%m/%Y"),
        day.strftime("%d-%m-%Y"),
        day.isoformat(),
        serial,
        float(serial),
    ]
    assert {parse_start(writing) for writing in writings} == {expected}


@pytest.mark.parametrize("written", [
    "9999-12-31T23:59:59+07:00", "0001-01-01T00:00:00+07:00", "31/12/9999", "01/01/1999", "2100-01-01",
    dt.datetime(9999, 12, 31, 23, 59, tzinfo=WIB), dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=7))),
    dt.date(9999, 12, 31),
])
def test_a_date_outside_the_years_a_bill_can_be_shown_in_is_refused_not_a_crash(written):
    for parse in (parse_start, parse_end):
        with pytest.raises(CellError) as refused:
            parse(written)
        assert refused.value.code == "date_out_of_range"
        assert "2000 to 2099" in str(refused.value.message)


@given(st.datetimes(timezones=st.timezones()))
def test_any_moment_is_a_date_or_a_refusal(moment):
    for parse in (parse_start, parse_end):
        try:
            parsed = parse(moment)
        except CellError:
            continue
        assert latest_end(parsed) > parsed
