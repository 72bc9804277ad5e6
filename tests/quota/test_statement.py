"""The quota statement: per Jakarta day or month, each day opening where the one before closed, a day's
movements linked to their bills, uploads and top-ups, the same figures in the exports, and only the
company's own."""

import csv
import io
import re
from datetime import date

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from billers.registrations import registration_create
from quota.models import QuotaAccount
from quota.selectors import Cause, ledger_causes, quota_statement
from quota.services import quota_adjust, quota_consume_each, quota_release_each, quota_reserve_each
from tests.console_data import bills, queries_of, wib
from tests.factories import AgreementFactory, BillerCodeFactory, RegistrationFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def code(company, company_admin):
    """89123 over three Jakarta days (times in WIB):

    30 Nov 10:00  registered: 1,000 pushes granted
    30 Nov 23:30  five bills received at once: 5 reserved (16:30 UTC, still 30 Nov in Jakarta)
    01 Dec 00:30  the first bill delivered (consumed), the second ended undelivered (released)
    02 Dec 09:00  the bank adds 5 pushes; two more bills reserve 2
    """
    AgreementFactory(company=company, effective_from=wib(2026, 1, 1))
    with time_machine.travel(wib(2026, 11, 30, 10, 0), tick=False):
        registration = registration_create(company=company, actor=company_admin,
                                           biller_code=BillerCodeFactory(company=company, code="89123"))
    with time_machine.travel(wib(2026, 11, 30, 23, 30), tick=False):
        batch = bills(registration, 5)
        assert quota_reserve_each(registration=registration, references=[b.quota_reference for b in batch])
    with time_machine.travel(wib(2026, 12, 1, 0, 30), tick=False):
        quota_consume_each(registration=registration, references=[batch[0].quota_reference])
        quota_release_each(registration=registration, references=[batch[1].quota_reference])
    with time_machine.travel(wib(2026, 12, 2, 9, 0), tick=False):
        quota_adjust(registration=registration, units=5, actor=StaffFactory(), reference="adjust:1",
                     reason="Goodwill for the outage")
        later = bills(registration, 2)
        assert quota_reserve_each(registration=registration, references=[b.quota_reference for b in later])
    registration.batch = batch
    return registration


FIGURES = ("opening_balance", "granted", "topped_up", "adjusted", "consumed", "closing_balance",
           "opening_reserved", "reserved", "released", "closing_reserved", "closing_available")


def figures(line) -> dict:
    return {name: getattr(line, name) for name in FIGURES}


def test_the_daily_summary_totals_each_kind_per_jakarta_day(code, company):
    statement = quota_statement(company, registration=code, first=date(2026, 11, 1), last=date(2026, 12, 31))

    assert [line.first for line in statement.lines] == [date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)]
    november_30, december_1, december_2 = (figures(line) for line in statement.lines)
    assert november_30 == {"opening_balance": 0, "granted": 1000, "topped_up": 0, "adjusted": 0, "consumed": 0,
                           "closing_balance": 1000, "opening_reserved": 0, "reserved": 5, "released": 0,
                           "closing_reserved": 5, "closing_available": 995}
    assert december_1 == {"opening_balance": 1000, "granted": 0, "topped_up": 0, "adjusted": 0, "consumed": 1,
                          "closing_balance": 999, "opening_reserved": 5, "reserved": 0, "released": 1,
                          "closing_reserved": 3, "closing_available": 996}
    assert december_2 == {"opening_balance": 999, "granted": 0, "topped_up": 0, "adjusted": 5, "consumed": 0,
                          "closing_balance": 1004, "opening_reserved": 3, "reserved": 2, "released": 0,
                          "closing_reserved": 5, "closing_available": 999}


def test_each_day_opens_where_the_day_before_closed_and_the_last_closes_at_the_account(code, company):
    statement = quota_statement(company, registration=code, first=date(2026, 12, 1), last=date(2026, 12, 31))

    # Started mid-way: the first day opens with everything booked before it.
    assert (statement.lines[0].opening_balance, statement.lines[0].opening_reserved) == (1000, 5)
    for before, after in zip(statement.lines, statement.lines[1:], strict=False):
        assert (after.opening_balance, after.opening_reserved) == (before.closing_balance, before.closing_reserved)
    account = QuotaAccount.objects.get(registration=code)
    assert (statement.total.closing_balance, statement.total.closing_reserved) == (account.balance, account.reserved)


def test_the_statement_is_read_with_two_queries_however_many_movements(code, company):
    assert queries_of(lambda: quota_statement(company, registration=code, first=date(2026, 11, 1),
                                              last=date(2026, 12, 31))) == 2


def _rows_of(page: str) -> list[list[str]]:
    """The statement table's body rows, as the cells' text."""
    body = re.search(r'id="statement-table".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_the_page_shows_a_month_per_day_with_opening_and_closing(code, company_admin, as_user):
    page = as_user(company_admin).get(f"/quota/{code.pk}/", {"month": "2026-12"}).content.decode()

    assert "From 01 Dec 2026 to 31 Dec 2026" in page
    assert "opening balance 1,000" in page and "closing balance 1,004" in page
    assert _rows_of(page) == [
        ["Tue 01 Dec 2026", "1,000", "0", "0", "0", "−1", "999", "0", "−1", "3", "996"],
        ["Wed 02 Dec 2026", "999", "0", "0", "+5", "0", "1,004", "+2", "0", "5", "999"],
    ]


def test_the_monthly_view_links_each_month_to_its_days(code, company_admin, as_user):
    page = as_user(company_admin).get(f"/quota/{code.pk}/", {
        "by": "month", "date_from": "01/11/2026", "date_to": "31/12/2026"}).content.decode()

    assert _rows_of(page) == [
        ["November 2026", "0", "+1,000", "0", "0", "0", "1,000", "+5", "0", "5", "995"],
        ["December 2026", "1,000", "0", "0", "+5", "−1", "1,004", "+2", "−1", "5", "999"],
    ]
    assert 'href="?by=day&amp;month=2026-12#statement"' in page


def test_a_day_opens_its_movements_each_linked_to_its_bill_by_reference(code, company_admin, as_user):
    browser = as_user(company_admin)
    summary = browser.get(f"/quota/{code.pk}/", {"month": "2026-11"}).content.decode()
    link = re.search(r'<a href="(/quota/\d+/movements/\?[^"]+)">Mon 30 Nov 2026</a>', summary).group(1)

    day = browser.get(link.replace("&amp;", "&")).content.decode()

    assert "Movements of 89123 on Mon 30 Nov 2026" in day
    assert re.search(r'id="day-opening">0<', day) and re.search(r'id="day-closing">1,000<', day)
    for bill in code.batch:
        link = reverse("bill_detail", args=[bill.reference_no])
        assert f'<a href="{link}" class="nowrap">Bill {bill.reference_no}</a>' in day
    assert "Registration of the code" in day  # the initial grant
    assert not re.search(r"bill:\d", day)  # no ledger ids


def test_a_bank_adjustment_reads_as_such_with_its_reason(code, company_admin, as_user):
    day = as_user(company_admin).get(f"/quota/{code.pk}/movements/", {
        "date_from": "02/12/2026", "date_to": "02/12/2026", "kind": "adjust"}).content.decode()

    assert "Adjustment by the bank" in day and "Goodwill for the outage" in day
    assert day.count("<tr><td") == 1


def test_each_reference_shape_names_its_cause_and_a_bill_of_another_company_stays_unnamed(
        code, company, other_company):
    other_bill = bills(RegistrationFactory(company=other_company), 1)[0]
    first = code.batch[0]

    causes = ledger_causes(company, [f"bill:{first.pk}", f"bill:{first.pk}:found", "upload:7", "topup:12",
                                     f"registration:{code.pk}:initial", "adjust:9f0c", f"bill:{other_bill.pk}",
                                     "bench:89123"])

    assert causes[f"bill:{first.pk}"] == Cause("bill", first.reference_no)
    assert causes[f"bill:{first.pk}:found"] == Cause("bill", first.reference_no, found_later=True)
    assert (causes["upload:7"], causes["topup:12"]) == (Cause("upload", "7"), Cause("topup", "12"))
    assert causes[f"registration:{code.pk}:initial"].kind == "registration"
    assert causes["adjust:9f0c"].kind == "adjust"
    assert causes[f"bill:{other_bill.pk}"] == Cause("", f"bill:{other_bill.pk}")
    assert causes["bench:89123"] == Cause("", "bench:89123")


def test_the_movements_resolve_their_bills_in_one_query_however_many(company, company_admin, as_user):
    AgreementFactory(company=company, effective_from=wib(2026, 1, 1))
    registration = registration_create(company=company, actor=company_admin,
                                       biller_code=BillerCodeFactory(company=company, code="70001"))
    browser = as_user(company_admin)
    url = reverse("quota_movements", args=[registration.pk])

    def reserve(count):
        made = bills(registration, count)
        quota_reserve_each(registration=registration, references=[b.quota_reference for b in made])

    browser.get(url)  # the session's first page reads a few things once
    reserve(5)
    five = queries_of(lambda: browser.get(url))
    reserve(45)
    fifty = queries_of(lambda: browser.get(url))
    assert five == fifty
    assert browser.get(url).content.decode().count('class="nowrap">Bill ') == 50


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_the_summary_exports_carry_the_pages_figures(code, company, company_admin, as_user):
    browser = as_user(company_admin)
    period = {"date_from": "01/11/2026", "date_to": "31/12/2026"}
    statement = quota_statement(company, registration=code, first=date(2026, 11, 1), last=date(2026, 12, 31))
    expected = [[line.first.isoformat(), *(str(getattr(line, name)) for name in FIGURES)]
                for line in statement.lines]

    response = browser.get(f"/quota/{code.pk}/", {**period, "format": "csv"})
    assert response["Content-Disposition"] == 'attachment; filename="quota-89123-day-20261101-20261231.csv"'
    rows = _csv(response)
    assert rows == [["day", *FIGURES], *expected]

    workbook = load_workbook(io.BytesIO(browser.get(f"/quota/{code.pk}/", {**period, "format": "xlsx"}).content))
    sheet = list(workbook.active.iter_rows(values_only=True))
    assert sheet[0] == ("day", *FIGURES)
    assert [[cell.date().isoformat(), *(str(n) for n in figures_)] for cell, *figures_ in sheet[1:]] == expected

    months = _csv(browser.get(f"/quota/{code.pk}/", {**period, "by": "month", "format": "csv"}))
    assert months[1][:7] == ["2026-11", "0", "1000", "0", "0", "0", "1000"]
    assert months[2][0] == "2026-12" and months[2][6] == "1004"


def test_the_movements_export_names_each_bill_by_its_reference(code, company_admin, as_user):
    rows = _csv(as_user(company_admin).get(f"/quota/{code.pk}/movements/", {
        "date_from": "30/11/2026", "date_to": "30/11/2026", "format": "csv"}))

    assert rows[0] == ["time", "kind", "units", "balance_after", "reserved_after", "cause", "cause_reference",
                       "ledger_reference", "reason", "by"]
    reserved = [row for row in rows[1:] if row[1] == "reserve"]
    assert sorted(row[6] for row in reserved) == sorted(bill.reference_no for bill in code.batch)
    assert {row[5] for row in reserved} == {"bill"} and {row[2] for row in reserved} == {"1"}
    grant = next(row for row in rows[1:] if row[1] == "grant")
    assert grant[0] == "2026-11-30 10:00:00" and grant[2:5] == ["1000", "1000", "0"] and grant[5] == "registration"
    # The day's units add up to the summary's figures.
    assert sum(int(row[2]) for row in reserved) == 5


def test_another_companys_statement_and_movements_are_never_shown(code, other_company, as_user):
    stranger = UserFactory(company=other_company, user_id="nosy", is_admin=True)
    browser = as_user(stranger)

    for path in (f"/quota/{code.pk}/", f"/quota/{code.pk}/movements/"):
        for query in ({}, {"format": "csv"}, {"format": "xlsx"}, {"date_from": "30/11/2026", "date_to": "30/11/2026"}):
            assert browser.get(path, query).status_code == 404, (path, query)


@pytest.mark.parametrize(("query", "message"), [
    ({"month": "2026-13"}, "Month: Enter the month as yyyy-mm, for example 2026-12."),
    ({"month": "December"}, "Month: Enter the month as yyyy-mm, for example 2026-12."),
    ({"date_from": "31/02/2026"}, "From: Enter the date as dd/mm/yyyy, for example 31/12/2026."),
    ({"date_to": "2026/12/01"}, "Until: Enter the date as dd/mm/yyyy, for example 31/12/2026."),
    ({"date_from": "02/12/2026", "date_to": "01/12/2026"}, "Until: The end date is before the start date."),
    ({"month": "2026-12", "date_from": "01/12/2026"}, "Choose either a month or a from and until date, not both."),
    ({"date_from": "01/01/2025", "date_to": "31/12/2026"},
     "A statement per day covers at most 366 days; choose a shorter period or the statement per month."),
    ({"by": "week"}, "Summary: Select a valid choice. week is not one of the available choices."),
])
def test_a_bad_period_is_named_and_nothing_is_shown_or_exported(code, company_admin, as_user, query, message):
    browser = as_user(company_admin)

    for extra in ({}, {"format": "csv"}):
        response = browser.get(f"/quota/{code.pk}/", {**query, **extra})
        assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
        page = response.content.decode()
        assert f'<p class="error" role="alert">{message}</p>' in page
        assert 'id="statement-table"' not in page


def test_a_bad_period_on_the_movements_page_is_named_too(code, company_admin, as_user):
    response = as_user(company_admin).get(f"/quota/{code.pk}/movements/", {"date_from": "32/12/2026"})

    assert response.status_code == 400
    assert "From: Enter the date as dd/mm/yyyy, for example 31/12/2026." in response.content.decode()


def test_a_year_per_month_is_fine(code, company_admin, as_user):
    response = as_user(company_admin).get(f"/quota/{code.pk}/", {
        "by": "month", "date_from": "01/01/2025", "date_to": "31/12/2026"})

    assert response.status_code == 200 and "December 2026" in response.content.decode()


def test_the_statement_and_a_day_read_in_indonesian(code, company_admin, as_user, settings):
    from tests.core.test_i18n import english_left_in

    company_admin.language = "id"
    company_admin.save(update_fields=["language"])
    browser = as_user(company_admin)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    summary = browser.get(f"/quota/{code.pk}/", {"month": "2026-12"}).content.decode()
    assert "Mutasi" in summary and "Sel 01 Des 2026" in summary
    assert english_left_in(summary) == []
    day = browser.get(f"/quota/{code.pk}/movements/", {"date_from": "30/11/2026",
                                                       "date_to": "30/11/2026"}).content.decode()
    assert "Tagihan " in day and english_left_in(day) == []
    bad = browser.get(f"/quota/{code.pk}/", {"month": "2026-13"}).content.decode()
    assert "Bulan: Masukkan bulan sebagai yyyy-mm, misalnya 2026-12." in bad
