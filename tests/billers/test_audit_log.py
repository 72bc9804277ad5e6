"""The company's audit log as its admins read it: in their language, filtered, never another company's.

Lines are stored as a message and its parameters and put together when shown: amounts in
Rupiah, moments in WIB, statuses and roles by their translated labels. Lines written before
that hold a finished English sentence and are shown as stored.
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import translation

from billers.models import Role
from core.audit import audit_record, money
from core.models import AuditEvent
from core.time import WIB
from reminders.services import bill_cancel
from tests.conftest import sign_in
from tests.factories import StaffFactory, UserFactory, make_bill, registration_with_quota

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


def page_of(client, **params) -> str:
    response = client.get(reverse("audit_log"), params)
    assert response.status_code == 200
    return response.content.decode()


def rows_of(html: str) -> list[str]:
    """The text of each line of the table, tags removed."""
    body = html.split('id="audit-table"', 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
            for row in body.split("<tbody>", 1)[1].split("</tr>") if "<td" in row]


def line(company, *, action="test.line", sentence="a line", actor=None, at=None, params=None):
    """A line written at ``at`` (WIB); the services write ``now``, so the test writes the row itself."""
    return AuditEvent.objects.create(
        at=at or dt.datetime(2026, 3, 2, 10, 0, tzinfo=WIB), actor=actor, company=company, action=action,
        actor_label=str(actor) if actor else "system", sentence=sentence, params=params or {},
    )


def test_an_indonesian_admin_reads_the_log_in_bahasa_indonesia(client, company, company_admin, maker):
    registration = registration_with_quota(company, 10)
    bill = make_bill(registration, actor=maker, amount=Decimal("58275.00"))
    bill_cancel(bill=bill, actor=maker)
    code = registration.code
    sign_in(client, company_admin)
    client.cookies["django_language"] = "id"

    html = page_of(client, action="bill.created")

    assert f"{maker} membuat tagihan {bill.reference_no} untuk {code}/{bill.bill_key}, Rp{NBSP}58.275, " \
           f"status Diterima" in html
    assert "Tagihan dibuat" in html and "bill.created</" not in html  # the action by its label, not its code
    assert "58275.00" not in html and " IDR" not in html

    html = page_of(client, action="bill.cancelled")
    assert f"{maker} membatalkan tagihan {bill.reference_no} ({code}/{bill.bill_key}): Dibatalkan" in html
    assert "Tagihan dibatalkan" in html


def test_a_reason_someone_typed_reads_as_typed_and_system_in_the_readers_language(
        client, company, company_admin, maker):
    bill = make_bill(registration_with_quota(company, 10), actor=maker)
    bill_cancel(bill=bill, actor=maker, reason="No")  # "No" is a word the catalogue translates
    line(company, sentence="a line of the system")
    sign_in(client, company_admin)
    client.cookies["django_language"] = "id"

    html = page_of(client, action="bill.cancelled")
    assert f"({bill.registration.code}/{bill.bill_key}): No" in html and "): Tidak" not in html
    rows = rows_of(page_of(client))
    assert any("a line of the system" in row and " sistem " in f" {row} " for row in rows), rows


def test_the_same_line_reads_in_english_for_an_english_reader(client, company, company_admin, maker):
    registration = registration_with_quota(company, 10)
    bill = make_bill(registration, actor=maker, amount=Decimal("1250000.50"))
    sign_in(client, company_admin)

    html = page_of(client, action="bill.created")

    assert f"{maker} created bill {bill.reference_no} for {registration.code}/{bill.bill_key}, " \
           f"Rp{NBSP}1.250.000,50, status Received" in html
    assert "Bill created" in html


def test_roles_and_moments_are_shown_in_the_readers_language(company, company_admin):
    expired = dt.datetime(2026, 3, 5, 7, 30, tzinfo=dt.UTC)  # 14:30 in Jakarta
    audit_record(action="topup.expired", company=company, sentence="Top-up #%(order)s expired unpaid at %(at)s",
                 params={"order": 7, "at": expired})
    audit_record(action="user.created", actor=company_admin, sentence="%(actor)s created user %(user)s with roles "
                 "%(roles)s", params={"actor": company_admin, "user": "ACME01/new", "roles": [Role.APPROVER,
                                                                                              Role.VIEWER]})
    topup, user = AuditEvent.objects.order_by("pk")
    with translation.override("id"):
        assert topup.text == "Top up #7 kedaluwarsa tanpa dibayar pada 05 Mar 2026 14:30 WIB"
        assert user.text == f"{company_admin} membuat pengguna ACME01/new dengan peran Approver, Viewer"
        assert user.action_label == "Pengguna dibuat"
    assert topup.text == "Top-up #7 expired unpaid at 05 Mar 2026 14:30 WIB"
    assert user.text.endswith("with roles Approver, Viewer")


def test_a_line_written_before_messages_had_parameters_still_reads_as_stored(client, company, company_admin):
    line(company, action="bill.cancelled", sentence="boss cancelled bill BR1 (89123/K1): wrong amount, 150000.00 IDR")
    sign_in(client, company_admin)
    client.cookies["django_language"] = "id"

    html = page_of(client)

    assert "boss cancelled bill BR1 (89123/K1): wrong amount, 150000.00 IDR" in html
    assert "Tagihan dibatalkan" in html


def test_each_filter_narrows_the_list_and_the_count_says_how_many(client, company, company_admin, maker):
    budi = UserFactory(company=company, user_id="budi")
    line(company, action="user.created", actor=company_admin, sentence="made by the admin")
    line(company, action="bill.created", actor=maker, sentence="made by the maker",
         params={"ref": "BR-FIND-ME"}, at=dt.datetime(2026, 3, 1, 9, 0, tzinfo=WIB))
    line(company, action="bill.created", actor=budi, sentence="made by budi")
    # 00:30 WIB on 2 March is 17:30 UTC on 1 March: the day is Jakarta's.
    line(company, action="login.succeeded", actor=budi, sentence="early on the second",
         at=dt.datetime(2026, 3, 1, 17, 30, tzinfo=dt.UTC))
    line(company, action="login.succeeded", actor=budi, sentence="early on the third",
         at=dt.datetime(2026, 3, 2, 17, 30, tzinfo=dt.UTC))
    sign_in(client, company_admin)

    everything = page_of(client)
    assert len(rows_of(everything)) == 5 and "5 entries" in everything

    by_user = rows_of(page_of(client, user=budi.pk))
    assert len(by_user) == 3 and all("ACME01/budi" in row for row in by_user)

    by_action = page_of(client, action="bill.created")
    assert len(rows_of(by_action)) == 2 and "2 entries match these filters" in by_action

    by_days = rows_of(page_of(client, date_from="02/03/2026", date_to="02/03/2026"))
    assert len(by_days) == 3 and not any("third" in row or "the maker" in row for row in by_days)

    searched = rows_of(page_of(client, q="BR-FIND"))  # a parameter's value is found
    assert len(searched) == 1 and "made by the maker" in searched[0]

    combined = page_of(client, user=budi.pk, action="login.succeeded", date_to="02/03/2026")
    assert len(rows_of(combined)) == 1 and "early on the second" in rows_of(combined)[0]
    assert "1 entry matches these filters" in combined


def test_the_action_filter_offers_the_actions_present_by_their_labels(client, company, company_admin):
    line(company, action="bill.cancelled")
    line(company, action="upload.received")
    sign_in(client, company_admin)
    client.cookies["django_language"] = "id"

    html = page_of(client)
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', html.split('name="action"', 1)[1]
                         .split("</select>", 1)[0])

    assert options == [("", "Semua aksi"), ("upload.received", "Berkas diunggah"),
                       ("bill.cancelled", "Tagihan dibatalkan")]


def test_a_date_that_is_not_a_date_says_so_and_the_page_still_lists(client, company, company_admin):
    line(company, sentence="still listed")
    sign_in(client, company_admin)

    html = page_of(client, date_from="31/02/2026", date_to="2026-13-01")

    assert html.count("Write the date as dd/mm/yyyy, for example 31/01/2026.") == 2
    assert "still listed" in html
    client.cookies["django_language"] = "id"
    assert "Tulis tanggal sebagai hh/bb/tttt" in page_of(client, date_from="kemarin")


def test_an_end_before_the_start_is_refused_on_the_end(client, company, company_admin):
    sign_in(client, company_admin)
    html = page_of(client, date_from="05/03/2026", date_to="01/03/2026")
    assert "The end of the period is before its start." in html


def test_the_pages_and_the_export_keep_the_filters(client, company, company_admin):
    for number in range(55):
        line(company, action="bill.created", sentence=f"bill line {number}")
    line(company, action="logout", sentence="not a bill")
    sign_in(client, company_admin)

    html = page_of(client, action="bill.created", q="bill line")

    assert "55 entries match these filters" in html
    next_link = re.search(r'href="(\?page=2[^"]*)"', html).group(1).replace("&amp;", "&")
    assert "action=bill.created" in next_link and "q=bill+line" in next_link
    second = client.get(reverse("audit_log") + next_link).content.decode()
    assert len(rows_of(second)) == 5 and "not a bill" not in second
    export_link = re.search(r'href="(\?format=csv[^"]*)" id="audit-export"', html).group(1).replace("&amp;", "&")
    assert "action=bill.created" in export_link and "page=" not in export_link
    export = client.get(reverse("audit_log") + export_link)
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert body.count("bill line") == 55 and "not a bill" not in body


def test_the_export_is_in_the_readers_language(client, company, company_admin):
    audit_record(action="topup.paid", company=company, params={"payment": "PAY-1", "total": money("2220000"),
                                                               "order": 3},
                 sentence="The bank confirmed payment %(payment)s of %(total)s for top-up #%(order)s")
    sign_in(client, company_admin)
    client.cookies["django_language"] = "id"

    export = client.get(reverse("audit_log"), {"format": "csv"})

    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "Bank mengonfirmasi pembayaran PAY-1 sebesar Rp 2.220.000 untuk top up #3" in body


def test_another_companys_lines_and_users_never_show(client, company, company_admin, other_company):
    stranger = UserFactory(company=other_company, user_id="stranger")
    line(company, action="bill.created", sentence="ours")
    line(other_company, action="bill.created", actor=stranger, sentence="theirs")
    line(other_company, action="topup.paid", actor=stranger, sentence="their top-up")
    sign_in(client, company_admin)

    for params in ({}, {"q": "their"}, {"action": "topup.paid"}, {"user": stranger.pk}, {"action": "bill.created"}):
        html = page_of(client, **params)
        assert "theirs" not in html and "their top-up" not in html, params
    html = page_of(client)
    assert "stranger" not in html  # not offered in the user filter either
    assert 'value="topup.paid"' not in html  # nor their actions
    assert "Select a valid choice" in page_of(client, user=stranger.pk)


def test_secrets_are_never_stored_and_a_message_must_fit_its_parameters(company):
    event = audit_record(action="test", company=company, sentence="%(actor)s did it",
                         params={"actor": "boss", "password": "hunter2", "client_secret": "s3"})
    assert event.params == {"actor": "boss"}
    with pytest.raises(ValueError, match="does not fit"):
        audit_record(action="test", company=company, sentence="%(actor)s did %(what)s", params={"actor": "boss"})
    with pytest.raises(ValueError, match="no parameters"):
        audit_record(action="test", company=company, sentence="%(actor)s did it")


def test_the_log_table_wraps_or_scrolls_inside_the_page(client, company, company_admin):
    line(company, sentence="https://erp.example/" + "a-very-long-callback-path/" * 12)
    sign_in(client, company_admin)
    html = page_of(client)
    assert re.search(r'<div class="table-scroll audit-scroll">\s*<table[^>]*id="audit-table"', html)
    assert 'data-label="' in html  # each cell names its column for the stacked cards on a phone
    assert 'href="/static/kopra/audit_log.css' in html
    with open(finders.find("kopra/audit_log.css")) as stylesheet:
        text = stylesheet.read()
    assert "overflow-wrap: anywhere" in text and "@media (max-width: 720px)" in text


def test_bank_staff_read_the_sentence_in_their_language_in_the_admin(client, company):
    audit_record(action="topup.paid", company=company, params={"payment": "PAY-9", "total": money("58275"),
                                                               "order": 4},
                 sentence="The bank confirmed payment %(payment)s of %(total)s for top-up #%(order)s")
    sign_in(client, StaffFactory(user_id="bankstaff"))
    client.cookies["django_language"] = "id"

    html = client.get("/admin/core/auditevent/").content.decode()

    assert f"Bank mengonfirmasi pembayaran PAY-9 sebesar Rp{NBSP}58.275 untuk top up #4" in html
    assert "Top up dibayar" in html
