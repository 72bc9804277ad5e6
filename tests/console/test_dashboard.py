"""The dashboard on known data: bills by status, pushes today and this month (WIB), paid rate, median and
p95 push delay, quota and its forecast, per company and per code, in a bounded number of queries."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from console.dashboard import dashboard
from quota.services import quota_consume, quota_reserve
from reminders.models import BillStatus
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
        # Sign-in (3), codes for the picker and the low-quota banner (2), the figures (8 on
        # SQLite, where each percentile is read at its rank; 6 on PostgreSQL), the session save.
        with django_assert_max_num_queries(18):
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
