"""The bill list: filters, search, sorting, keyset pages, bulk cancel, export, and a bounded number of queries."""

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from core.time import WIB
from quota.selectors import quota_summary
from reminders import selectors
from reminders.models import Bill, BillSource, BillStatus
from reminders.services import bill_cancel
from tests.conftest import sign_in
from tests.console_data import bills, events, pushes, queries_of, wib
from tests.factories import registered_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def registration(company):
    return registered_code(company, quota=1000, code="70001")


@pytest.fixture
def maker_client(client, maker):
    return sign_in(client, maker)


@pytest.fixture
def viewer_client(client, viewer):
    return sign_in(client, viewer)


def references(response) -> list[str]:
    assert response.status_code == 200, response.content.decode()[:2000]
    return re.findall(r'href="/bills/([A-Z0-9]+)/"', response.content.decode())


def next_token(response, rel="next") -> str | None:
    match = re.search(rf'rel="{rel}" href="\?[^"]*?(?:after|before)=([A-Za-z0-9_-]+)"', response.content.decode())
    return match.group(1) if match else None


# --- Keyset pages ----------------------------------------------------------------------------


@pytest.fixture
def crowd(registration):
    """137 bills whose sort values tie a lot, as an upload's bills do (one created_at for all)."""
    return bills(
        registration, 137,
        created_at=lambda i: wib(2026, 11, 1 + i % 3, 9, 0),
        start_at=lambda i: wib(2026, 12, 1 + i % 4, 0, 0),
        end_at=lambda i: wib(2026, 12, 20 + i % 2, 23, 59),
        amount=lambda i: Decimal(100_000 + 25_000 * (i % 5)),
    )


def expected_order(rows, field, descending):
    key = lambda bill: (getattr(bill, field), bill.pk)  # noqa: E731
    return [bill.reference_no for bill in sorted(rows, key=key, reverse=descending)]


@pytest.mark.parametrize("sort", sorted(selectors.SORTS))
@pytest.mark.parametrize("descending", [True, False])
def test_keyset_pages_show_every_bill_exactly_once_in_order(company, crowd, sort, descending):
    filters = selectors.BillFilters(sort=sort, descending=descending)
    seen, pages, token = [], [], ""
    while True:
        page = selectors.bills_page(company, filters, after=token, size=10)
        pages.append([bill.reference_no for bill in page])
        seen += pages[-1]
        if page.next_cursor is None:
            break
        token = page.next_cursor.token()
    assert seen == expected_order(crowd, selectors.SORTS[sort], descending)
    assert len(pages) == 14

    # And back again, from the first bill of the last page to the first page.
    walked_back = []
    cursor = selectors.Cursor.of(Bill.objects.get(reference_no=pages[-1][0]), sort).token()
    while cursor:
        page = selectors.bills_page(company, filters, before=cursor, size=10)
        walked_back.insert(0, [bill.reference_no for bill in page])
        cursor = page.previous_cursor.token() if page.previous_cursor else ""
    assert walked_back == pages[:-1]


def test_the_pages_of_the_list_walk_forward_and_back_through_the_page(viewer_client, crowd):
    url = reverse("bill_list")
    first = viewer_client.get(url, {"sort": "amount", "order": "asc"})
    page_one = references(first)
    assert len(page_one) == 50
    assert next_token(first, "prev") is None
    second = viewer_client.get(url, {"sort": "amount", "order": "asc", "after": next_token(first)})
    page_two = references(second)
    third = viewer_client.get(url, {"sort": "amount", "order": "asc", "after": next_token(second)})
    page_three = references(third)
    assert len(page_two) == 50 and len(page_three) == 37 and next_token(third) is None
    assert page_one + page_two + page_three == expected_order(crowd, "amount", False)
    back = viewer_client.get(url, {"sort": "amount", "order": "asc", "before": next_token(third, "prev")})
    assert references(back) == page_two


def test_a_tampered_or_foreign_cursor_shows_the_first_page(viewer_client, crowd):
    first = references(viewer_client.get(reverse("bill_list")))
    for token in ("garbage", "eyJ4Ijp9", selectors.Cursor("amount", Decimal(1), 1).token()):
        assert references(viewer_client.get(reverse("bill_list"), {"after": token})) == first


def test_a_company_sees_only_its_own_bills(viewer_client, registration, other_company):
    mine = bills(registration, 2)
    theirs = bills(registered_code(other_company, quota=10, code="70099"), 2)
    shown = references(viewer_client.get(reverse("bill_list")))
    assert set(shown) == {b.reference_no for b in mine}
    assert not set(shown) & {b.reference_no for b in theirs}
    search = viewer_client.get(reverse("bill_list"), {"q": theirs[0].reference_no})
    assert references(search) == []


# --- Filters and search ------------------------------------------------------------------------


@pytest.fixture
def assorted(company, registration):
    other_code = registered_code(company, quota=10, code="70002")
    return {
        "paid": bills(registration, 1, status=BillStatus.PAID, source=BillSource.UPLOAD)[0],
        "other_code": bills(other_code, 1, source=BillSource.CONSOLE)[0],
        "phone": bills(registration, 1, payer_phone="+6281399990000")[0],
        "key": bills(registration, 1, bill_key="INV-2026-11")[0],
        "ref": bills(registration, 1, partner_reference_no="PO-778")[0],
        "old": bills(registration, 1, created_at=wib(2026, 1, 15, 10, 0), start_at=wib(2026, 1, 20, 0, 0),
                     end_at=wib(2026, 2, 1, 0, 0))[0],
        "future": bills(registration, 1, start_at=wib(2027, 3, 1, 0, 0), end_at=wib(2027, 3, 9, 0, 0))[0],
    }


@pytest.mark.parametrize(("params", "expected"), [
    ({"status": "PAID"}, ["paid"]),
    ({"source": "console"}, ["other_code"]),
    ({"phone": "0813-9999-0000"}, ["phone"]),
    ({"phone": "+62 813 9999 0000"}, ["phone"]),
    ({"bill_key": "INV-2026-11"}, ["key"]),
    ({"partner_reference_no": "PO-778"}, ["ref"]),
    ({"period": "created", "date_from": "2026-01-15", "date_to": "2026-01-15"}, ["old"]),
    ({"period": "start", "date_from": "2027-03-01", "date_to": "2027-03-31"}, ["future"]),
    ({"q": "081399990000"}, ["phone"]),
    ({"q": "PO-778"}, ["ref"]),
    ({"q": "INV-2026-11"}, ["key"]),
])
def test_each_filter_narrows_the_list(viewer_client, assorted, params, expected):
    shown = references(viewer_client.get(reverse("bill_list"), params))
    assert shown == [assorted[name].reference_no for name in expected]


def test_the_biller_code_filter_and_search_by_reference(viewer_client, assorted):
    code = assorted["other_code"].registration
    assert references(viewer_client.get(reverse("bill_list"), {"code": code.pk})) == [
        assorted["other_code"].reference_no]
    target = assorted["future"].reference_no
    assert references(viewer_client.get(reverse("bill_list"), {"q": target.lower()})) == [target]


def test_a_phone_that_is_not_a_mobile_number_is_explained_not_ignored(viewer_client, assorted):
    response = viewer_client.get(reverse("bill_list"), {"phone": "12345"})
    page = response.content.decode()
    assert 'class="error"' in page
    assert "12345" in page
    assert references(response) == []  # not every bill, as if the filter had matched them


def test_a_period_ending_before_it_starts_is_refused(viewer_client, assorted):
    page = viewer_client.get(reverse("bill_list"), {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert "The end of the period is before its start." in page.content.decode()


@pytest.fixture
def named(registration):
    return {
        "budi": bills(registration, 1, payer_name="Budi Santoso", payer_phone="+6281311112222",
                      bill_key="AIR-2026-0001", amount=Decimal("120000.00"))[0],
        "bunga": bills(registration, 1, payer_name="bunga lestari", payer_phone="+6285766667777",
                       bill_key="AIR-2026-0002", amount=Decimal("80000.50"))[0],
        "sari": bills(registration, 1, payer_name="Sari", payer_phone="+6281399990000", bill_key="LISTRIK-9",
                      amount=Decimal("55000.00"))[0],
    }


@pytest.mark.parametrize(("term", "expected"), [
    ("bu", ["bunga", "budi"]),          # the start of a name, in any case
    ("BUDI S", ["budi"]),
    ("air-2026", ["bunga", "budi"]),    # the start of a bill key, in any case
    ("0813 1111", ["budi"]),            # the start of a phone, written as people write it
    ("+62857", ["bunga"]),
    ("6281399", ["sari"]),
    ("santoso", []),                    # a word inside a name is not a start
])
def test_search_matches_the_start_of_names_bill_keys_and_phones(viewer_client, named, term, expected):
    shown = references(viewer_client.get(reverse("bill_list"), {"q": term}))
    assert shown == [named[name].reference_no for name in expected]


def test_search_matches_the_start_of_a_reference(viewer_client, named):
    reference = named["sari"].reference_no
    assert references(viewer_client.get(reverse("bill_list"), {"q": reference[:18].lower()})) == [reference]


def test_the_list_says_how_many_bills_match_and_their_total(viewer_client, named, other_company):
    bills(registered_code(other_company, quota=10, code="70099"), 3, amount=Decimal("1000000.00"))
    page = viewer_client.get(reverse("bill_list")).content.decode()
    assert 'data-count="3"' in page and 'data-total="255000.50"' in page
    assert "Rp\u00a0255.000,50" in page
    filtered = viewer_client.get(reverse("bill_list"), {"q": "air"}).content.decode()
    assert 'data-count="2"' in filtered and 'data-total="200000.50"' in filtered


def test_the_totals_read_in_indonesian(viewer_client, named):
    viewer_client.cookies["django_language"] = "id"
    page = viewer_client.get(reverse("bill_list"), HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert re.search(r"3 tagihan\s*·", page), re.findall(r'id="bill-totals"[^<]*<', page)


def test_dates_are_written_day_first_and_a_wrong_one_is_explained(viewer_client, assorted):
    day_first = viewer_client.get(reverse("bill_list"), {"period": "created", "date_from": "15/01/2026",
                                                        "date_to": "15/01/2026"})
    assert references(day_first) == [assorted["old"].reference_no]
    assert 'value="15/01/2026"' in day_first.content.decode()
    wrong = viewer_client.get(reverse("bill_list"), {"date_from": "2026/31/01"})
    assert "Write the date as dd/mm/yyyy" in wrong.content.decode()
    assert references(wrong) == []


@pytest.mark.parametrize(("preset", "days"), [
    ("today", [3]), ("7d", [3, 1, 28]), ("month", [3, 1]), ("last_month", [28, 31]),
])
def test_period_presets_count_whole_days_in_jakarta(viewer_client, registration, preset, days):
    import time_machine

    made = {
        3: bills(registration, 1, created_at=wib(2026, 12, 3, 0, 30))[0],   # today, just after midnight WIB
        1: bills(registration, 1, created_at=wib(2026, 12, 1, 9, 0))[0],
        28: bills(registration, 1, created_at=wib(2026, 11, 28, 9, 0))[0],
        31: bills(registration, 1, created_at=wib(2026, 11, 1, 0, 0))[0],
    }
    bills(registration, 1, created_at=wib(2026, 10, 31, 23, 59))  # before every preset
    with time_machine.travel(wib(2026, 12, 3, 10, 0), tick=False):
        shown = set(references(viewer_client.get(reverse("bill_list"), {"range": preset})))
    assert shown == {made[day].reference_no for day in days}


def test_a_preset_and_dates_together_are_refused(viewer_client, assorted):
    page = viewer_client.get(reverse("bill_list"), {"range": "today", "date_from": "01/12/2026"})
    assert "Choose a preset or dates, not both." in page.content.decode()


def test_the_filters_stay_in_the_url_and_the_rarer_ones_fold_away(viewer_client, assorted):
    plain = viewer_client.get(reverse("bill_list")).content.decode()
    assert '<details class="filter-more">' in plain
    folded = plain[plain.index('<details class="filter-more"'):plain.index("</details>")]
    assert 'name="source"' in folded and 'name="q"' not in folded
    assert 'name="phone"' not in plain  # Search does what it did
    linked = viewer_client.get(reverse("bill_list"), {"source": "console", "bill_key": "INV-2026-11"})
    page = linked.content.decode()
    assert '<details class="filter-more" open>' in page and 'name="bill_key"' in page
    assert "source=console" in page  # the sort links and exports keep the filters


@pytest.mark.postgres
def test_each_search_prefix_can_walk_an_index(company, registration):
    """Among thousands of bills, a search reads the prefix indexes, not every bill of the company."""
    from django.db import connection

    from billers.models import Registration
    from reminders.forms import BillFilterForm

    crowd = bills(registration, 3000, payer_name=lambda i: f"Name {i:05d}", payer_phone=lambda i: f"+62812{i:08d}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reminders_bill")
    registrations = Registration.objects.filter(company=company)
    for term, index in (("bud", "bill_list_name"), ("AIR-2026", "bill_list_key"), ("0813 1111", "bill_list_phone"),
                        (crowd[1234].reference_no[:12], "bill_reference_no_unique")):
        form = BillFilterForm({"q": term}, registrations=registrations)
        sql, params = selectors.bills_filtered(company, form.filters()).order_by().query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "Seq Scan" not in plan and index in plan, (term, plan)


# --- Bulk cancel --------------------------------------------------------------------------------


_bulk_keys = iter(range(1, 10_000))


def make_active(registration, count):
    from fileformat.rows import RowValues
    from reminders.services import bill_create

    now = dt.datetime.now(dt.UTC)
    return [
        bill_create(registration=registration, source=BillSource.CONSOLE, row=RowValues(
            row_number=1, bill_key=f"BULK{next(_bulk_keys)}", payer_phone="+6281234567890", payer_name="Budi",
            amount=Decimal("50000"), description="", start_at=now + dt.timedelta(days=1),
            end_at=now + dt.timedelta(days=5), partner_reference_no="",
        ))
        for _n in range(count)
    ]


def test_bulk_cancel_cancels_each_selected_bill_and_says_which_were_refused(
        maker_client, maker, registration, other_company, django_capture_on_commit_callbacks):
    active = make_active(registration, 3)
    done = make_active(registration, 1)[0]
    bill_cancel(bill=done, reason="earlier")
    foreign = bills(registered_code(other_company, quota=10, code="70098"), 1)[0]
    reserved_before = quota_summary(registration)["reserved"]

    with django_capture_on_commit_callbacks(execute=True):
        response = maker_client.post(reverse("bill_bulk_cancel"), {
            "bill": [b.reference_no for b in active] + [done.reference_no, foreign.reference_no],
            "reason": "customer paid at the counter", "query": "status=RECEIVED&sort=amount",
        }, follow=True)

    assert response.redirect_chain[-1][0] == reverse("bill_list") + "?status=RECEIVED&sort=amount"
    for bill in active:
        bill.refresh_from_db()
        assert bill.status == BillStatus.CANCELLED
        assert bill.events.last().reason == "customer paid at the counter"
    foreign.refresh_from_db()
    assert foreign.status == BillStatus.RECEIVED
    assert quota_summary(registration)["reserved"] == reserved_before - 3
    shown = [str(m) for m in response.context["messages"]]
    assert "3 bills cancelled." in shown
    assert "2 bills were not cancelled:" in shown
    assert any(done.reference_no in line and "no longer active" in line for line in shown)
    assert f"{foreign.reference_no}: no such bill." in shown


def test_bulk_cancel_needs_a_selection_and_the_maker_role(maker_client, viewer, client_factory, registration):
    response = maker_client.post(reverse("bill_bulk_cancel"), {"reason": "x"}, follow=True)
    assert "Select the bills to cancel first." in [str(m) for m in response.context["messages"]]
    bill = make_active(registration, 1)[0]
    viewer_client = sign_in(client_factory(), viewer)
    assert viewer_client.post(reverse("bill_bulk_cancel"), {"bill": [bill.reference_no]}).status_code == 403
    bill.refresh_from_db()
    assert bill.status == BillStatus.RECEIVED


def test_only_makers_get_the_checkboxes(maker_client, viewer, client_factory, registration):
    bills(registration, 2)
    paid = bills(registration, 1, status=BillStatus.PAID)[0]
    maker_page = maker_client.get(reverse("bill_list")).content.decode()
    assert maker_page.count('name="bill"') == 2
    assert f'value="{paid.reference_no}"' not in maker_page
    viewer_page = sign_in(client_factory(), viewer).get(reverse("bill_list")).content.decode()
    assert 'name="bill"' not in viewer_page


# --- Export ----------------------------------------------------------------------------------------


@pytest.fixture
def dangerous(registration):
    bills(registration, 1, payer_name="Plain Name", status=BillStatus.PAID)
    return bills(registration, 1, payer_name='=HYPERLINK("http://evil.example","pay")', description="@SUM(1+1)",
                 bill_key="K-DANGER", start_at=wib(2026, 12, 1, 8, 30), end_at=wib(2026, 12, 31, 23, 59))[0]


def test_csv_export_streams_the_filtered_list_with_formulas_neutralised(viewer_client, dangerous):
    response = viewer_client.get(reverse("bill_export_csv"), {"status": "RECEIVED"})
    assert response.status_code == 200
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == selectors.EXPORT_HEADER
    assert len(rows) == 2  # the paid bill is filtered out
    row = dict(zip(rows[0], rows[1]))
    assert row["payer_name"] == '\'=HYPERLINK("http://evil.example","pay")'
    assert row["description"] == "'@SUM(1+1)"
    assert row["payer_phone"] == "'+6281234567890"
    assert row["biller_code"] == "70001"
    assert row["amount"] == "150000.00"
    assert row["start"] == "2026-12-01 08:30:00"


def test_xlsx_export_neutralises_formulas_and_shows_wib_times(viewer_client, dangerous):
    response = viewer_client.get(reverse("bill_export_xlsx"), {"bill_key": "K-DANGER"})
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    header, row = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
    assert sheet.max_row == 2
    values = dict(zip(header, row))
    assert values["payer_name"].startswith("'=")
    assert values["description"] == "'@SUM(1+1)"
    assert values["start"] == dt.datetime(2026, 12, 1, 8, 30)
    assert values["amount"] == 150000


# --- Query counts --------------------------------------------------------------------------------


def test_the_list_issues_the_same_queries_for_5_or_50_bills(maker_client, registration, django_assert_max_num_queries):
    bills(registration, 5)
    url = reverse("bill_list")
    with_five = queries_of(lambda: maker_client.get(url, {"status": "RECEIVED", "sort": "amount"}))
    bills(registration, 45)
    with_fifty = queries_of(lambda: maker_client.get(url, {"status": "RECEIVED", "sort": "amount"}))
    assert with_five == with_fifty
    # 9 for the page and the session, and the totals' 5: a savepoint, its timeout, the
    # aggregate, and the savepoint rolled back and released.
    with django_assert_max_num_queries(14):
        maker_client.get(url)


def test_the_bill_page_issues_the_same_queries_for_5_or_50_events_and_attempts(
        maker_client, registration, django_assert_max_num_queries):
    bill = bills(registration, 1)[0]
    url = reverse("bill_detail", args=[bill.reference_no])
    events(bill, 5)
    pushes([bill] * 5, ok=False)
    with_five = queries_of(lambda: maker_client.get(url))
    events(bill, 45)
    pushes([bill] * 45, ok=False)
    with_fifty = queries_of(lambda: maker_client.get(url))
    assert with_five == with_fifty
    with django_assert_max_num_queries(12):
        response = maker_client.get(url)
    assert response.content.decode().count("gateway timeout") == 50


# --- Payment details ---------------------------------------------------------------------------


@pytest.fixture
def paid_pair(registration):
    """Three shown bills: one paid through MBP, one through MVA, one not paid."""
    from reminders.services import bill_payment_received

    shown = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)  # shown, so charged: paying releases nothing
    mbp, mva, unpaid = bills(registration, 3, status=BillStatus.DISPLAYED, displayed_at=shown)
    bill_payment_received(reference=mbp.reference_no, amount=mbp.amount, channel="MBP",
                          payment_reference="PAYMBP0001")
    bill_payment_received(reference=mva.reference_no, amount=mva.amount, channel="MVA",
                          payment_reference="PAYMVA0002")
    return mbp, mva, unpaid


def test_the_list_finds_paid_bills_by_channel_payment_reference_and_day_paid(viewer_client, paid_pair):
    mbp, mva, unpaid = paid_pair
    url = reverse("bill_list")
    assert references(viewer_client.get(url, {"channel": "MVA"})) == [mva.reference_no]
    assert references(viewer_client.get(url, {"channel": "MBP"})) == [mbp.reference_no]
    # A payer's complaint quotes the receipt: Search finds the bill by it.
    assert references(viewer_client.get(url, {"q": "PAYMBP0001"})) == [mbp.reference_no]
    today = dt.datetime.now(WIB).date()
    paid_today = references(viewer_client.get(url, {"period": "paid", "date_from": today.isoformat(),
                                                    "date_to": today.isoformat()}))
    assert sorted(paid_today) == sorted([mbp.reference_no, mva.reference_no])
    assert unpaid.reference_no in references(viewer_client.get(url))
    assert references(viewer_client.get(url, {"channel": "XXX"})) == []  # refused, not "every bill"

    page = viewer_client.get(reverse("bill_detail", args=[mva.reference_no])).content.decode()
    assert "Mandiri Virtual Account (MVA)" in page and "PAYMVA0002" in page


def test_the_export_carries_each_paid_bills_channel_and_payment_reference(viewer_client, paid_pair):
    mbp, mva, unpaid = paid_pair
    response = viewer_client.get(reverse("bill_export_csv"))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    by_reference = {row["reference_no"]: row for row in rows}
    assert (by_reference[mbp.reference_no]["payment_channel"],
            by_reference[mbp.reference_no]["payment_reference"]) == ("MBP", "PAYMBP0001")
    assert (by_reference[mva.reference_no]["payment_channel"],
            by_reference[mva.reference_no]["payment_reference"]) == ("MVA", "PAYMVA0002")
    assert (by_reference[unpaid.reference_no]["payment_channel"],
            by_reference[unpaid.reference_no]["payment_reference"]) == ("", "")
    assert by_reference[mva.reference_no]["paid_amount"] == "150000.00"


def test_a_payment_without_a_known_channel_or_a_reference_is_refused_and_the_bill_stays_unpaid(paid_pair):
    from reminders.services import PaymentRefused, bill_payment_received

    unpaid = paid_pair[2]
    with pytest.raises(PaymentRefused, match="channel"):
        bill_payment_received(reference=unpaid.reference_no, amount=unpaid.amount, channel="ATM",
                              payment_reference="PAY1")
    with pytest.raises(PaymentRefused, match="payment reference"):
        bill_payment_received(reference=unpaid.reference_no, amount=unpaid.amount, channel="MBP",
                              payment_reference=" ")
    unpaid.refresh_from_db()
    assert (unpaid.status, unpaid.payment_channel, unpaid.payment_reference) == (BillStatus.DISPLAYED, "", "")


def test_bills_paid_before_payment_details_were_kept_get_them_from_their_timeline(registration):
    import importlib

    from django.apps import apps

    from reminders.models import BillEvent

    migration = importlib.import_module("reminders.migrations.0005_bill_payment_details")
    old, odd = bills(registration, 2, status=BillStatus.PAID)
    BillEvent.objects.bulk_create([
        BillEvent(bill=old, from_status="DISPLAYED", to_status="PAID", actor_label="Livin' (MVA)",
                  reason="Paid through MVA, payment PAYOLD42"),
        BillEvent(bill=odd, from_status="DISPLAYED", to_status="PAID", actor_label="Livin' (MBP)",
                  reason="Paid by a route no one wrote down"),
    ])
    migration.copy_from_timeline(apps, None)
    old.refresh_from_db()
    odd.refresh_from_db()
    assert (old.payment_channel, old.payment_reference) == ("MVA", "PAYOLD42")
    assert (odd.payment_channel, odd.payment_reference) == ("", "")
