"""Reports on known data: deliveries and payments per WIB day, week and month and per code, conversion
within 1, 3 and 7 days of the push, quota usage from the ledger; export, print, bounded queries."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from console.reports import report
from quota.services import quota_consume, quota_release, quota_reserve
from reminders.models import BillStatus
from tests.conftest import sign_in
from tests.console_data import bills, pushes, queries_of, wib
from tests.factories import UserFactory, registered_code

pytestmark = pytest.mark.django_db

NOW = wib(2026, 11, 20, 10, 0)
MONDAY = wib(2026, 11, 2, 9, 0)


@pytest.fixture
def codes(company):
    with time_machine.travel(wib(2026, 10, 15, 9, 0), tick=False):
        return {"a": registered_code(company, quota=100, code="70001"),
                "b": registered_code(company, quota=50, code="70002")}


@pytest.fixture
def known(codes):
    """Code A: 4 bills pushed on Monday 2 November, paid 12 h, 2 days and 5 days later (one never);
    one pushed at 00:30 WIB on the 3rd (still the 2nd in UTC); 2 failed push tries on the 2nd.
    Code B: one bill pushed on the 2nd and paid 10 days later. Ledger: A reserves 6, consumes 5, releases 1."""
    a, b = codes["a"], codes["b"]
    paid_after = [dt.timedelta(hours=12), dt.timedelta(days=2), dt.timedelta(days=5), None]
    a_bills = bills(
        a, 4, displayed_at=MONDAY, amount=Decimal("150000"),
        status=lambda i: BillStatus.PAID if paid_after[i] else BillStatus.DISPLAYED,
        paid_at=lambda i: MONDAY + paid_after[i] if paid_after[i] else None,
        paid_amount=lambda i: Decimal("150000") if paid_after[i] else None,
    )
    late = bills(a, 1, displayed_at=wib(2026, 11, 3, 0, 30), status=BillStatus.DISPLAYED)
    pushes(a_bills[:2], at=MONDAY - dt.timedelta(minutes=5), ok=False)
    b_bills = bills(b, 1, displayed_at=MONDAY, status=BillStatus.PAID, paid_at=MONDAY + dt.timedelta(days=10),
                    paid_amount=Decimal("99000"), amount=Decimal("99000"))
    with time_machine.travel(MONDAY, tick=False):
        quota_reserve(registration=a, units=6, reference="test:reserve")
        quota_consume(registration=a, units=5, reference="test:consume")
        quota_release(registration=a, units=1, reference="test:release")
    return {"a": a_bills, "late": late, "b": b_bills}


def rows_by_key(result):
    return {(row.period, row.registration.code): row for row in result["rows"]}


def test_per_day_deliveries_payments_conversion_and_quota(company, codes, known):
    result = report(company, period="day", date_from=dt.date(2026, 11, 1), date_to=dt.date(2026, 11, 20))
    rows = rows_by_key(result)
    monday = rows[(dt.date(2026, 11, 2), "70001")]
    assert monday.shown == 4
    assert monday.failed == 2
    assert monday.converted == {1: 1, 3: 2, 7: 3}
    assert [round(share, 2) for _days, _n, share in monday.conversion] == [0.25, 0.5, 0.75]
    assert monday.quota == {"reserve": 6, "consume": 5, "release": 1, "topup": 0, "grant": 0, "adjust": 0}
    assert monday.paid == 1  # 12 h after 09:00 is 21:00 WIB: paid on the Monday itself
    assert rows[(dt.date(2026, 11, 3), "70001")].shown == 1  # 00:30 WIB on the 3rd is the 3rd in Jakarta
    assert rows[(dt.date(2026, 11, 4), "70001")].paid == 1
    assert rows[(dt.date(2026, 11, 7), "70001")].collected == Decimal("150000")
    b = rows[(dt.date(2026, 11, 2), "70002")]
    assert (b.shown, b.converted) == (1, {1: 0, 3: 0, 7: 0})
    assert rows[(dt.date(2026, 11, 12), "70002")].collected == Decimal("99000")
    total = result["total"]
    assert (total.shown, total.failed, total.paid, total.collected) == (6, 2, 4, Decimal("549000"))


def test_per_week_and_per_month_and_per_code(company, codes, known):
    weeks = rows_by_key(report(company, period="week", date_from=dt.date(2026, 11, 1),
                               date_to=dt.date(2026, 11, 20)))
    assert weeks[(dt.date(2026, 11, 2), "70001")].shown == 5
    assert weeks[(dt.date(2026, 11, 2), "70001")].paid == 3
    assert weeks[(dt.date(2026, 11, 9), "70002")].paid == 1
    months = report(company, period="month", date_from=dt.date(2026, 11, 1), date_to=dt.date(2026, 11, 30),
                    registration=codes["b"])
    [row] = months["rows"]
    assert (row.period, row.registration.code, row.shown, row.paid) == (dt.date(2026, 11, 1), "70002", 1, 1)


def test_the_page_shows_the_tables_with_a_print_button(client, company, codes, known):
    sign_in(client, UserFactory(company=company, user_id="viewer", is_maker=False, is_viewer=True))
    with time_machine.travel(NOW, tick=False):
        html = client.get(reverse("report"), {"period": "week"}).content.decode()
    assert "Week of 02 Nov 2026" in html
    for table in ("report-deliveries", "report-conversion", "report-quota"):
        assert f'id="{table}"' in html
    assert "data-print" in html and "kopra/print.js" in html
    assert "Rp\u00a0549.000" in html
    assert "3 <small class=\"muted\">(60%)</small>" in html  # paid within 7 days: 3 of the 5 pushed that week


def test_the_default_range_and_a_refused_one(client, company, codes):
    sign_in(client, UserFactory(company=company, user_id="viewer", is_maker=False, is_viewer=True))
    with time_machine.travel(NOW, tick=False):
        html = client.get(reverse("report")).content.decode()
        assert "22 Oct 2026 – 20 Nov 2026" in html  # the last 30 days
        backwards = client.get(reverse("report"), {"date_from": "2026-11-10", "date_to": "2026-11-01"})
        assert "The end of the period is before its start." in backwards.content.decode()
        too_long = client.get(reverse("report"), {"period": "day", "date_from": "2024-01-01"})
        assert "Choose at most 366 days" in too_long.content.decode()


def test_export_csv_and_xlsx(client, company, codes, known):
    sign_in(client, UserFactory(company=company, user_id="viewer", is_maker=False, is_viewer=True))
    params = {"period": "day", "date_from": "2026-11-01", "date_to": "2026-11-20", "code": codes["a"].pk}
    response = client.get(reverse("report_export_csv"), params)
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    monday = next(row for row in rows if row["period_start"] == "2026-11-02")
    assert monday["biller_code"] == "70001"
    assert (monday["pushed"], monday["paid_within_1d"], monday["paid_within_3d"], monday["paid_within_7d"]) == (
        "4", "1", "2", "3")
    assert (monday["quota_reserved"], monday["quota_consumed"], monday["quota_released"]) == ("6", "5", "1")
    assert {row["biller_code"] for row in rows} == {"70001"}
    response = client.get(reverse("report_export_xlsx"), params)
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header = [cell.value for cell in sheet[1]]
    first = dict(zip(header, [cell.value for cell in sheet[2]]))
    assert first["period_start"] == dt.datetime(2026, 11, 2) and first["pushed"] == 4


def test_another_companys_data_never_shows(client, company, other_company, known):
    theirs = registered_code(other_company, quota=5, code="70099")
    bills(theirs, 3, displayed_at=MONDAY, status=BillStatus.DISPLAYED)
    result = report(company, period="month", date_from=dt.date(2026, 11, 1), date_to=dt.date(2026, 11, 30))
    assert "70099" not in {row.registration.code for row in result["rows"]}
    sign_in(client, UserFactory(company=company, user_id="viewer", is_maker=False, is_viewer=True))
    html = client.get(reverse("report"), {"period": "month", "date_from": "2026-11-01", "date_to": "2026-11-30",
                                          "code": theirs.pk}).content.decode()
    assert "70099" not in html


def days_of_data(registration, first_day, count):
    for n in range(count):
        day = wib(2026, 1, 1, 9, 0) + dt.timedelta(days=first_day + n)
        made = bills(registration, 1, displayed_at=day, status=BillStatus.PAID, paid_at=day + dt.timedelta(hours=2),
                     paid_amount=Decimal("150000"))
        pushes(made, at=day - dt.timedelta(minutes=1), ok=False)


def test_the_report_issues_the_same_queries_for_5_or_50_rows(client, company, codes,
                                                             django_assert_max_num_queries):
    sign_in(client, UserFactory(company=company, user_id="viewer", is_maker=False, is_viewer=True))
    params = {"period": "day", "date_from": "2026-01-01", "date_to": "2026-03-31"}
    days_of_data(codes["a"], 0, 5)
    with_five = queries_of(lambda: client.get(reverse("report"), params))
    days_of_data(codes["b"], 0, 45)
    with_fifty = queries_of(lambda: client.get(reverse("report"), params))
    assert with_five == with_fifty
    with django_assert_max_num_queries(14):
        html = client.get(reverse("report"), params).content.decode()
    assert html.count('<td class="period">') >= 50 * 2
