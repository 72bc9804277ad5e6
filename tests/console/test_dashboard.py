"""The dashboard on known data: bills by status, pushes today and this month (WIB), paid rate, median and
p95 push delay, quota and its forecast, per company and per code, in a bounded number of queries."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from console.dashboard import dashboard
from core.templatetags.kopra_format import rupiah
from core.time import WIB
from quota.services import quota_consume, quota_reserve
from reminders.models import Bill, BillStatus
from tests.conftest import sign_in
from tests.console_data import bills, pushes, queries_of, wib
from tests.factories import UserFactory, registered_code

pytestmark = pytest.mark.django_db

NOW = wib(2026, 11, 20, 10, 0)


def consume(registration, units, *, at, tag):
    with time_machine.travel(at, tick=False):
        quota_reserve(registration=registration, units=units, reference=f"test:{tag}:reserve")
        quota_consume(registration=registration, units=units, reference=f"test:{tag}:consume")


@pytest.fixture
def code_a(company):
    with time_machine.travel(NOW - dt.timedelta(days=40), tick=False):
        registration = registered_code(company, quota=130, code="70001")
    consume(registration, 14, at=NOW - dt.timedelta(days=3), tag="recent")  # 2 a day over 7 days
    consume(registration, 16, at=NOW - dt.timedelta(days=20), tag="older")  # 30 over 30 days: 1 a day
    return registration


@pytest.fixture
def code_b(company):
    return registered_code(company, quota=10, code="70002")


@pytest.fixture
def known(code_a, code_b):
    """Code A: 3 received, 2 shown, 4 paid (one shown last month), 1 cancelled; 5 pushes this month,
    2 of them today, 1 failed try today, 1 push last month. Code B: 2 received, 1 push today."""
    shown_now = [wib(2026, 11, 1, 0, 30), wib(2026, 11, 5, 9, 0), wib(2026, 11, 10, 9, 0),
                 wib(2026, 11, 20, 8, 0), wib(2026, 11, 20, 9, 0)]
    bills(code_a, 3, status=BillStatus.RECEIVED)
    a_shown = bills(code_a, 5, displayed_at=lambda i: shown_now[i],
                    status=lambda i: BillStatus.PAID if i < 3 else BillStatus.DISPLAYED)
    last_month = bills(code_a, 1, status=BillStatus.PAID, displayed_at=wib(2026, 10, 31, 23, 30))
    bills(code_a, 1, status=BillStatus.CANCELLED)
    pushes(a_shown, at=lambda i: shown_now[i], lag_ms=lambda i: [100_000, 4_000, 3_000, 1_000, 2_000][i])
    pushes(last_month, at=wib(2026, 10, 31, 23, 30), lag_ms=50)
    pushes(a_shown[:1], at=wib(2026, 11, 20, 7, 0), ok=False)
    b_received = bills(code_b, 2, status=BillStatus.RECEIVED)
    pushes(b_received[:1], at=wib(2026, 11, 20, 9, 30), lag_ms=500)
    return {"a": code_a, "b": code_b}


def test_the_figures_of_one_code_on_known_data(company, known):
    board = dashboard(company, registration=known["a"], now=NOW)
    statuses = dict(board["statuses"])
    assert statuses[BillStatus.RECEIVED] == 3
    assert statuses[BillStatus.DISPLAYED] == 2
    assert statuses[BillStatus.PAID] == 4
    assert statuses[BillStatus.CANCELLED] == 1
    assert board["active"] == 5 and board["bills_total"] == 10
    assert board["pushes"] == {"today": 2, "month": 5, "failed_today": 1}
    # Lags this month (WIB): 1, 2, 3, 4 and 100 s. The median is the middle one; the 95th
    # percentile lies 80% of the way from the 4th to the 5th: 4 + 0.8 * 96 = 80.8 s.
    assert board["lag_median_s"] == 3.0
    assert board["lag_p95_s"] == 80.8
    # Shown this month: 5, of which 3 paid (the bill shown on 31 October is last month's).
    assert board["paid"] == {"shown": 5, "paid": 3, "rate": 0.6}
    [row] = board["forecast"]
    assert row["registration"] == known["a"]
    assert row["available"] == 100
    assert (row["used_7"], row["used_30"]) == (14, 30)
    assert (row["days_left_7"], row["days_left_30"]) == (50, 100)


def test_the_company_figures_add_every_code(company, known):
    board = dashboard(company, now=NOW)
    assert dict(board["statuses"])[BillStatus.RECEIVED] == 5
    assert board["pushes"] == {"today": 3, "month": 6, "failed_today": 1}
    assert board["lag_median_s"] == 2.5  # 0.5, 1, 2, 3, 4 and 100 s: halfway between the 3rd and the 4th
    assert [r["registration"].code for r in board["forecast"]] == ["70001", "70002"]
    b = board["forecast"][1]
    assert (b["available"], b["used_7"], b["days_left_7"]) == (10, 0, None)
    per_day = dict(board["pushes_days"])
    assert per_day[dt.date(2026, 11, 20)] == 3
    assert per_day[dt.date(2026, 11, 1)] == 1
    assert per_day[dt.date(2026, 10, 31)] == 1  # 23:30 WIB on the 31st is still October in Jakarta
    assert len(per_day) == 30


def test_the_page_shows_the_figures_and_filters_by_code(client, company, known):
    user = UserFactory(company=company, user_id="viewer", is_maker=False, is_viewer=True)
    sign_in(client, user)
    with time_machine.travel(NOW, tick=False):
        html = client.get(reverse("home"), {"code": known["a"].pk}).content.decode()
    figure = lambda name: re.search(rf'id="figure-{name}">([^<]*)<', html).group(1).strip()  # noqa: E731
    assert figure("active") == "5"
    assert figure("pushes-today") == "2"
    assert figure("pushes-month") == "5"
    assert figure("paid-rate") == "60%"
    assert figure("lag-median") == "3.0 s"
    assert figure("lag-p95") == "80.8 s"
    assert 'id="forecast-70001"' in html and 'id="forecast-70002"' not in html
    assert "<svg" in html and 'role="img"' in html
    assert 'data-days="50"' in html
    assert "1 failed try, retried" in html  # one, not "1 failed tries"


def test_one_of_a_kind_reads_in_the_singular(client, company, known):
    sign_in(client, UserFactory(company=company, user_id="viewer", is_maker=False, is_viewer=True))
    with time_machine.travel(NOW, tick=False):
        html = client.get(reverse("home"), {"code": known["b"].pk}).content.decode()
    assert "Highest day: 1 push." in html and "1 pushes" not in html


def test_a_code_of_another_company_is_ignored_by_the_filter(client, company, other_company, known):
    theirs = registered_code(other_company, quota=5, code="70099")
    sign_in(client, UserFactory(company=company, user_id="viewer", is_maker=False, is_viewer=True))
    with time_machine.travel(NOW, tick=False):
        html = client.get(reverse("home"), {"code": theirs.pk}).content.decode()
    assert 'id="forecast-70099"' not in html
    assert 'id="forecast-70001"' in html  # the whole company's dashboard instead


def test_with_no_data_the_dashboard_says_so_instead_of_dividing_by_zero(client, company):
    sign_in(client, UserFactory(company=company, user_id="viewer", is_maker=False, is_viewer=True))
    html = client.get(reverse("home")).content.decode()
    assert re.search(r'id="figure-paid-rate">—<', html)
    assert re.search(r'id="figure-lag-median">—<', html)
    assert "No biller code is registered yet." in html


def codes_with_pushes(company, count, start):
    for n in range(count):
        registration = registered_code(company, quota=10, code=f"{71000 + start + n}")
        made = bills(registration, 1, status=BillStatus.DISPLAYED, displayed_at=NOW - dt.timedelta(hours=1))
        pushes(made, at=NOW - dt.timedelta(hours=1), lag_ms=1000 + n)


def test_the_dashboard_issues_the_same_queries_for_5_or_50_codes_and_bills(client, company,
                                                                          django_assert_max_num_queries):
    sign_in(client, UserFactory(company=company, user_id="viewer", is_maker=False, is_viewer=True))
    url = reverse("home")
    codes_with_pushes(company, 5, 0)
    with time_machine.travel(NOW, tick=False):
        with_five = queries_of(lambda: client.get(url))
        codes_with_pushes(company, 45, 5)
        with_fifty = queries_of(lambda: client.get(url))
        assert with_five == with_fifty
        # Sign-in (3), codes for the picker and the low-quota banner (2), the figures (10 on
        # SQLite, where each percentile is read at its rank; 8 on PostgreSQL: among them the Rp
        # per code and the Rp per day), the session save.
        with django_assert_max_num_queries(20):
            html = client.get(url).content.decode()
    assert html.count('id="forecast-') == 50


def test_a_long_status_label_widens_the_label_column_instead_of_being_cut_off():
    from console.charts import horizontal_bars

    short = horizontal_bars([("Paid", 1, "1", "ok")])
    indonesian = horizontal_bars([("Bukan pengguna Livin'", 3, "3", "off"), ("Lunas", 1, "1", "ok")])
    # At the charts' 15px font a character takes about 8 drawing units; the label ends 8 before its bar.
    assert indonesian.label_x >= len("Bukan pengguna Livin'") * 8
    assert indonesian.bars[0].x == indonesian.label_x + 8 and indonesian.width > short.width
    assert indonesian.bars[0].end_x < indonesian.width  # the value after the longest bar still fits


# --- Money: billed, collected, outstanding ---------------------------------------------------

NOVEMBER = wib(2026, 11, 3, 9, 0)
OCTOBER = wib(2026, 10, 15, 9, 0)


@pytest.fixture
def money_bills(company, other_company, code_a, code_b):
    """Bills of two codes in every status, received in November (this month at NOW) and October,
    some paid in November; and a bill of another company that must never count."""
    amounts = iter(range(1, 1000))

    def made(registration, status, *, at=NOVEMBER, paid_at=None, **fields):
        [bill] = bills(registration, 1, status=status, created_at=at, amount=Decimal(f"{next(amounts) * 1000}.50"),
                       paid_at=paid_at, **fields)
        if paid_at is not None:
            bill.paid_amount = bill.amount - 1
            bill.save(update_fields=["paid_amount"])
        return bill

    for registration in (code_a, code_b):
        for status in BillStatus:
            made(registration, status, paid_at=wib(2026, 11, 4, 12, 0) if status == BillStatus.PAID else None)
        made(registration, BillStatus.DISPLAYED, at=wib(2026, 11, 20, 9, 0))  # today
    made(code_a, BillStatus.PAID, at=OCTOBER, paid_at=wib(2026, 11, 2, 8, 0))  # billed in October, paid now
    made(code_a, BillStatus.SCHEDULED, at=OCTOBER)  # October's, still outstanding
    made(code_a, BillStatus.PAID, at=OCTOBER, paid_at=wib(2026, 10, 31, 23, 30))  # paid on the last WIB day
    made(code_b, BillStatus.CANCELLED, at=NOVEMBER, withdrawn_at=wib(2026, 11, 5, 9, 0))
    made(registered_code(other_company, quota=5, code="70099"), BillStatus.DISPLAYED)
    made(registered_code(other_company, quota=5, code="70098"), BillStatus.PAID, paid_at=wib(2026, 11, 4, 12, 0))


def expected_money(company, first, last, registration=None):
    """Rp billed, collected and outstanding, worked out bill by bill in Python from the definitions."""
    start = dt.datetime.combine(first, dt.time.min, tzinfo=WIB)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=WIB)
    billed = collected = outstanding = Decimal(0)
    for bill in Bill.objects.filter(company=company):
        if registration is not None and bill.registration_id != registration.pk:
            continue
        received = start <= bill.created_at < end
        if received and bill.status not in (BillStatus.PENDING_APPROVAL, BillStatus.CANCELLED):
            billed += bill.amount
        if bill.status == BillStatus.PAID and start <= bill.paid_at < end:
            collected += bill.paid_amount
        if received and bill.status in (BillStatus.RECEIVED, BillStatus.SCHEDULED, BillStatus.DISPLAYED) \
                and bill.withdrawn_at is None:
            outstanding += bill.amount
    return billed, collected, outstanding


def money_on_page(html) -> tuple[Decimal, Decimal, Decimal]:
    return tuple(Decimal(re.search(rf'id="money-{name}" data-total="([^"]+)"', html).group(1))
                 for name in ("billed", "collected", "outstanding"))


def viewer_client(client, company):
    return sign_in(client, UserFactory(company=company, user_id="viewer", is_maker=False, is_viewer=True))


def test_money_this_month_equals_the_sums_of_the_companys_bills(client, company, money_bills):
    with time_machine.travel(NOW, tick=False):
        html = viewer_client(client, company).get(reverse("home")).content.decode()
    billed, collected, outstanding = expected_money(company, dt.date(2026, 11, 1), dt.date(2026, 11, 20))
    assert money_on_page(html) == (billed, collected, outstanding)
    assert collected > 0 and outstanding > 0 and billed > outstanding
    assert f">{rupiah(billed)}<" in html  # shown with the console's money filter
    assert "Money, 01 Nov 2026 to 20 Nov 2026" in html
    assert 'id="money-definitions"' in html and "waiting for approval are not counted" in html


def test_money_per_code_adds_up_to_the_company_and_follows_the_code_filter(client, company, money_bills,
                                                                           code_a, code_b):
    with time_machine.travel(NOW, tick=False):
        viewer_client(client, company)
        everything = client.get(reverse("home")).content.decode()
        only_a = client.get(reverse("home"), {"code": code_a.pk}).content.decode()
    first, last = dt.date(2026, 11, 1), dt.date(2026, 11, 20)
    for code in (code_a, code_b):
        row = re.search(rf'<tr id="money-{code.code}">(.*?)</tr>', everything, re.S).group(1)
        assert tuple(Decimal(v) for v in re.findall(r'data-total="([^"]+)"', row)) == \
            expected_money(company, first, last, code)
    assert 'id="money-70099"' not in everything and 'id="money-70098"' not in everything
    assert money_on_page(only_a) == expected_money(company, first, last, code_a)
    assert 'id="money-70002"' not in only_a


def test_the_period_selector_narrows_the_money(client, company, money_bills):
    viewer_client(client, company)
    with time_machine.travel(NOW, tick=False):
        last_month = client.get(reverse("home"), {"period": "last_month"}).content.decode()
        week = client.get(reverse("home"), {"period": "last_7_days"}).content.decode()
        custom = client.get(reverse("home"), {"period": "custom", "date_from": "01/10/2026",
                                              "date_to": "31/10/2026"}).content.decode()
        one_day = client.get(reverse("home"), {"period": "custom", "date_from": "04/11/2026",
                                               "date_to": "04/11/2026"}).content.decode()
    october = expected_money(company, dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert money_on_page(last_month) == october == money_on_page(custom)
    # The bill paid at 23:30 WIB on 31 October is October's in Jakarta, though 16:30 UTC that day.
    assert october[1] > 0
    assert money_on_page(week) == expected_money(company, dt.date(2026, 11, 14), dt.date(2026, 11, 20))
    assert money_on_page(one_day) == expected_money(company, dt.date(2026, 11, 4), dt.date(2026, 11, 4))
    assert money_on_page(one_day)[0] == 0 and money_on_page(one_day)[1] > 0  # paid that day, billed before
    assert 'value="01/10/2026"' in custom  # the dates stay in the form as written


def test_a_period_written_wrong_is_said_so_and_this_month_shown(client, company, money_bills):
    viewer_client(client, company)
    with time_machine.travel(NOW, tick=False):
        wrong = client.get(reverse("home"), {"period": "custom", "date_from": "2026/31/10",
                                             "date_to": "01/10/2026"}).content.decode()
        backwards = client.get(reverse("home"), {"period": "custom", "date_from": "10/11/2026",
                                                 "date_to": "01/11/2026"}).content.decode()
    assert 'id="period-errors"' in wrong and "Write the date as dd/mm/yyyy" in wrong
    assert "The end of the period is before its start." in backwards
    this_month = expected_money(company, dt.date(2026, 11, 1), dt.date(2026, 11, 20))
    assert money_on_page(wrong) == this_month == money_on_page(backwards)


def test_the_money_chart_has_rp_ticks_dates_and_a_legend(client, company, money_bills):
    with time_machine.travel(NOW, tick=False):
        html = viewer_client(client, company).get(reverse("home")).content.decode()
    svg = re.search(r'<svg class="chart chart-axes" id="chart-money".*?</svg>', html, re.S).group(0)
    ticks = re.findall(r'<text class="chart-tick"[^>]*text-anchor="end">([^<]+)</text>', svg)
    assert ticks[0] == "Rp\u00a00" and len(ticks) >= 3 and all(t.startswith("Rp") for t in ticks)
    dates = re.findall(r'<text class="chart-tick"[^>]*text-anchor="middle">([^<]+)</text>', svg)
    assert dates[0] == "1 Nov" and 3 <= len(dates) <= 8
    assert ">Billed</text>" in svg and ">Collected</text>" in svg  # the legend
    # One column per day and series: 20 days of November so far, billed and collected.
    assert svg.count('<rect class="chart-bar') == 2 * 20 + 2
    paid_on_4th = expected_money(company, dt.date(2026, 11, 4), dt.date(2026, 11, 4))[1]
    assert f"4 Nov · Collected: {rupiah(paid_on_4th)}" in svg


def test_a_long_period_is_drawn_per_week(client, company, money_bills):
    with time_machine.travel(NOW, tick=False):
        html = viewer_client(client, company).get(reverse("home"), {
            "period": "custom", "date_from": "01/01/2026", "date_to": "20/11/2026"}).content.decode()
    assert "Billed and collected per week" in html
    svg = re.search(r'<svg class="chart chart-axes" id="chart-money".*?</svg>', html, re.S).group(0)
    assert svg.count('<rect class="chart-bar') == 2 * 47 + 2  # Monday 29 December 2025 to the week of 16 November


def test_the_pushes_chart_has_axes_too(client, company, known):
    with time_machine.travel(NOW, tick=False):
        html = viewer_client(client, company).get(reverse("home")).content.decode()
    svg = re.search(r'<svg class="chart chart-axes" id="chart-pushes".*?</svg>', html, re.S).group(0)
    assert re.findall(r'text-anchor="end">([^<]+)</text>', svg)[0] == "0"
    assert ">Pushes delivered</text>" in svg and ">22 Oct</text>" in svg


def test_the_key_figures_fill_rows_of_three(client, company, known):
    with time_machine.travel(NOW, tick=False):
        html = viewer_client(client, company).get(reverse("home")).content.decode()
    figures = re.search(r'<section class="cards cards-3"[^>]*id="dashboard-figures">(.*?)</section>', html, re.S)
    assert figures.group(1).count('class="card stat"') % 3 == 0
