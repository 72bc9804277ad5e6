"""The console's quota page: figures, the movements and their exports, the low-quota warning.

The statement per day or month is tested in test_statement.py."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from quota.services import quota_adjust, quota_consume, quota_release, quota_reserve
from tests.factories import RegistrationFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy(registration):
    """89123 after a few bills: 1,000 granted, 3 reserved, 1 delivered, 1 released, a staff correction."""
    for n in (1, 2, 3):
        quota_reserve(registration=registration, reference=f"bill:{n}")
    quota_consume(registration=registration, reference="bill:1")
    quota_release(registration=registration, reference="bill:2")
    quota_adjust(registration=registration, units=5, actor=StaffFactory(), reference="adjust:1",
                 reason='=HYPERLINK("http://evil.example","click")')
    return registration


def _figure(page, name):
    return re.search(rf'id="quota-{name}">([\d,]+)<', page).group(1)


def test_the_quota_page_shows_balance_reserved_and_available(busy, viewer, as_user):
    page = as_user(viewer).get(f"/quota/{busy.pk}/").content.decode()

    assert (_figure(page, "balance"), _figure(page, "reserved"), _figure(page, "available")) == (
        "1,004", "1", "1,003")
    assert "opening balance 0" in page and "closing balance 1,004" in page


@pytest.mark.sandbox  # includes a top-up
def test_the_reasons_the_system_writes_read_in_the_readers_language_and_a_persons_as_typed(
        registration, maker, approver, viewer, as_user, settings):
    from quota.topups import topup_payment_confirmed
    from tests.quota.test_topup import _va_order

    order = _va_order(registration, maker, approver)
    topup_payment_confirmed(order=order, amount=order.total, payment_reference="PAY42")
    browser = as_user(viewer)
    english = browser.get(f"/quota/{registration.pk}/movements/").content.decode()
    assert "Initial quota of the agreement" in english and f"Top-up #{order.pk} paid (PAY42)" in english
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    indonesian = browser.get(f"/quota/{registration.pk}/movements/").content.decode()
    assert "Kuota awal sesuai perjanjian" in indonesian and "Initial quota" not in indonesian
    assert f"Top up #{order.pk} dibayar (PAY42)" in indonesian


def test_the_movements_filter_by_kind_and_date(busy, viewer, as_user):
    browser = as_user(viewer)

    # The references name no bill of the company: shown as stored.
    reserves = browser.get(f"/quota/{busy.pk}/movements/", {"kind": "reserve"}).content.decode()
    assert reserves.count("<code>bill:") == 3

    tomorrow = browser.get(f"/quota/{busy.pk}/movements/", {"date_from": "2999-01-01"}).content.decode()
    assert "No movements match." in tomorrow

    backwards = browser.get(f"/quota/{busy.pk}/movements/", {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert "The end date is before the start date." in backwards.content.decode()


def test_the_csv_export_neutralises_formulas_and_keeps_numbers(busy, viewer, as_user):
    response = as_user(viewer).get(f"/quota/{busy.pk}/movements/", {"format": "csv"})

    assert response["Content-Disposition"].startswith('attachment; filename="quota-89123-movements-')
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["time", "kind", "units", "balance_after", "reserved_after", "cause", "cause_reference",
                       "ledger_reference", "reason", "by"]
    adjust = next(row for row in rows if row[1] == "adjust")
    assert adjust[8] == "'=HYPERLINK(\"http://evil.example\",\"click\")"
    release = next(row for row in rows if row[1] == "release")
    assert release[2] == "-1"
    assert len(rows) == 1 + 7


def test_the_xlsx_export_neutralises_formulas(busy, viewer, as_user):
    response = as_user(viewer).get(f"/quota/{busy.pk}/movements/", {"format": "xlsx", "kind": "adjust"})

    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "time" and len(rows) == 2
    assert rows[1][1:4] == ("adjust", 5, 1004)
    assert rows[1][8].startswith("'=HYPERLINK")


def test_the_console_warns_on_every_page_when_available_is_below_the_threshold(registration, company_admin, as_user):
    browser = as_user(company_admin)
    assert "Low quota" not in browser.get("/").content.decode()

    response = browser.post(f"/quota/{registration.pk}/threshold/", {"threshold": "1500"}, follow=True)

    assert "fewer than 1,500 pushes available" in response.content.decode()
    home = browser.get("/").content.decode()
    assert "Low quota: biller code 89123 has 1,000 pushes available, below your warning level of 1,500." in home
    # Only a maker can top up: the admin is shown the quota and told who tops it up.
    assert "a maker of your company tops it up." in home and ">Top up</a>" not in home


def test_the_low_quota_banner_offers_a_maker_the_top_up(registration, company_admin, maker, as_user):
    as_user(company_admin).post(f"/quota/{registration.pk}/threshold/", {"threshold": "1500"})
    banner = re.search(r'<p class="msg msg-warning quota-banner".*?</p>', as_user(maker).get("/").content.decode(),
                       re.S).group(0)
    assert f'<a href="/quota/{registration.pk}/">Top up</a>' in banner
    assert "a maker of your company" not in banner


def test_only_an_admin_sets_the_threshold(registration, maker, as_user):
    assert as_user(maker).post(f"/quota/{registration.pk}/threshold/", {"threshold": "5"}).status_code == 403
    registration.refresh_from_db()
    assert registration.low_quota_threshold == 100


def test_the_overview_lists_only_the_companys_codes(registration, other_company, viewer, as_user):
    RegistrationFactory(company=other_company, biller_code__code="70777")

    page = as_user(viewer).get("/quota/").content.decode()

    assert "89123" in page and "70777" not in page


def test_the_movements_pages_keep_the_filters(registration, viewer, as_user):
    for n in range(55):
        quota_reserve(registration=registration, reference=f"bill:{n}")

    page = as_user(viewer).get(f"/quota/{registration.pk}/movements/", {"kind": "reserve"}).content.decode()

    assert "Page 1 of 2" in page
    assert 'href="?page=2&kind=reserve"' in page
