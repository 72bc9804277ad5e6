"""Money and time as the console shows them: one filter each, the same in both languages."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import translation

from core.money import rupiah


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (150000, "Rp 150.000"),
        (Decimal("150000.00"), "Rp 150.000"),
        (150000.5, "Rp 150.000,50"),
        (Decimal("150000.5"), "Rp 150.000,50"),
        ("150000.05", "Rp 150.000,05"),
        (0, "Rp 0"),
        (Decimal("0.00"), "Rp 0"),
        (999, "Rp 999"),
        (1000, "Rp 1.000"),
        (Decimal("1234567890123.45"), "Rp 1.234.567.890.123,45"),
        (10**15, "Rp 1.000.000.000.000.000"),
        (Decimal("0.005"), "Rp 0,01"),  # half a cent rounds up, as a bank rounds
        (Decimal("-2500"), "-Rp 2.500"),
        (None, "—"),
        ("", "—"),
    ],
)
def test_rupiah_uses_dots_for_thousands_and_shows_cents_only_when_not_whole(amount, shown):
    assert rupiah(amount) == shown


def test_rupiah_leaves_text_that_is_not_a_number_as_it_is():
    assert rupiah("n/a") == "n/a"


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_rupiah_filter_reads_the_same_in_both_languages(language):
    template = Template("{% load kopra_format %}{{ a|rupiah }} / {{ b|rupiah }} / {{ c|rupiah }}")
    with translation.override(language):
        shown = template.render(Context({"a": Decimal("150000"), "b": Decimal("150000.50"), "c": None}))
    # A page joins "Rp" to the number with a space that does not break: "Rp" never ends a line alone.
    assert shown == "Rp\u00a0150.000 / Rp\u00a0150.000,50 / —"


@pytest.mark.parametrize(
    ("language", "rate", "shown"),
    [
        ("en", Decimal("0.1100"), "11%"),  # as stored: four decimals
        ("id", Decimal("0.1100"), "11%"),
        ("en", Decimal("0.10"), "10%"),
        ("en", Decimal("0.125"), "12.5%"),
        ("id", Decimal("0.125"), "12,5%"),
        ("en", Decimal("0"), "0%"),
        ("en", None, "—"),
    ],
)
def test_the_percent_filter_shows_a_rate_as_people_read_it(language, rate, shown):
    with translation.override(language):
        assert Template("{% load kopra_format %}{{ rate|percent }}").render(Context({"rate": rate})) == shown


@pytest.mark.parametrize(("language", "month"), [("en", "Mar"), ("id", "Mar"), ("en", "Aug"), ("id", "Agu")])
def test_the_wib_filter_shows_jakarta_time_labelled_wib(language, month):
    number = 3 if month == "Mar" else 8
    at = dt.datetime(2026, number, 4, 23, 30, 15, tzinfo=dt.UTC)  # 06:30 the next day in Jakarta
    template = Template('{% load kopra_format %}{{ at|wib }} | {{ at|wib:"s" }} | {{ nothing|wib }}')
    with translation.override(language):
        shown = template.render(Context({"at": at, "nothing": None}))
    assert shown == f"05 {month} 2026 06:30 WIB | 05 {month} 2026 06:30:15 WIB | —"


def test_the_wib_filter_shows_wib_even_when_another_time_zone_is_active(settings):
    from django.utils import timezone

    at = dt.datetime(2026, 3, 4, 23, 30, tzinfo=dt.UTC)
    with timezone.override(ZoneInfo("Asia/Makassar")):
        shown = Template("{% load kopra_format %}{{ at|wib }}").render(Context({"at": at}))
    assert shown == "05 Mar 2026 06:30 WIB"
