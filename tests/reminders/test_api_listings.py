"""Bills changed since a moment, through the Open API: pages, filters, refusals, and nothing missed
when a change commits after the moment it was stamped."""

import datetime as dt
import time

import psycopg
import pytest
import time_machine
from django.utils import timezone

from core import changes
from reminders.models import BillStatus
from reminders.services import bill_cancel
from snap.client import LIST_PATH
from tests.conftest import database_url_of_test_db
from tests.factories import registered_code
from tests.reminders.test_api import create

pytestmark = pytest.mark.django_db


def listing(api, since, **filters):
    pages = list(api.pages(api.list_messages, since, **filters))
    assert all(page.ok for page in pages), pages[-1].body
    return [bill for page in pages for bill in page.body["bills"]], pages


@pytest.mark.sandbox  # the withdrawal goes through the sandbox's Livin' gateway
def test_bills_changed_since_a_moment_come_oldest_first_in_pages_and_the_next_listing_goes_on(api, company):
    start = timezone.now() - dt.timedelta(seconds=1)
    made = [create(api, partnerReferenceNo=f"INV-{n}", billKey=f"KEY{n}").body["referenceNo"] for n in range(5)]
    other_code = registered_code(company, quota=5, code="89124")
    other = create(api, partnerReferenceNo="INV-OTHER", billerCode="89124", billKey="KEYX").body["referenceNo"]

    # Just stamped: not listed until every change before them has surely committed.
    assert listing(api, start)[0] == []
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=1)):
        bills, pages = listing(api, start, page_size=2)
        assert [len(page.body["bills"]) for page in pages] == [2, 2, 2]
        assert [bill["referenceNo"] for bill in bills] == [*made, other]
        assert bills[0]["status"] == "RECEIVED" and bills[0]["paymentChannel"] is None
        assert bills[0]["updatedAt"] <= pages[0].body["listedUntil"]
        only_other, _ = listing(api, start, biller_code=other_code.code)
        assert [bill["referenceNo"] for bill in only_other] == [other]
        # The filter travels with the cursor: page after page, only the first code's bills.
        first_code, pages = listing(api, start, biller_code="89123", page_size=2)
        assert [len(page.body["bills"]) for page in pages] == [2, 2, 1]
        assert [bill["referenceNo"] for bill in first_code] == made
        until = pages[-1].body["listedUntil"]

        from reminders.models import Bill
        bill_cancel(bill=Bill.objects.get(reference_no=made[2]), reason="Paid at the counter")

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        changed, pages = listing(api, until)
        assert [(bill["referenceNo"], bill["status"]) for bill in changed] == [(made[2], "CANCELLED")]
        cancelled, _ = listing(api, start, status=BillStatus.CANCELLED)
        assert [bill["referenceNo"] for bill in cancelled] == [made[2]]
        until = pages[-1].body["listedUntil"]
        # A withdrawal from Livin' is a change too (the bill's withdrawnAt).
        from notifications.services import withdraw

        Bill.objects.filter(reference_no=made[2]).update(displayed_at=timezone.now())
        withdraw(bill_id=Bill.objects.get(reference_no=made[2]).pk)

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=3)):
        (withdrawn,), _ = listing(api, until)
        assert withdrawn["referenceNo"] == made[2] and withdrawn["withdrawnAt"] is not None


def test_the_listing_refuses_what_it_cannot_answer_naming_the_field(api):
    since = "2026-12-01T00:00:00+07:00"
    cases = [
        ({"changedSince": since, "billerCode": "99999"}, "4039501", "Feature Not Allowed biller code 99999"),
        ({"cursor": "x", "status": "PAID"}, "4009501", "Invalid Field Format status (send the cursor alone"),
        ({"cursor": "%%%"}, "4009501", "Invalid Field Format cursor"),
        # A cursor changed by hand (here: its filters) is not one the listing gave.
        ({"cursor": "WyIyMDI2LTEyLTAxVDAwOjAwOjAwKzAwOjAwIiwxLCIyMDI2LTEyLTAxVDAwOjAwOjAwKzAwOjAwIix7InJlZ2lzdHJhdGlv"
                    "biI6IngifV0:forged"}, "4009501", "Invalid Field Format cursor"),
        ({"changedSince": "2026-12-01"}, "4009501", "Invalid Field Format changedSince"),
        ({"changedSince": since, "status": "SHOWN"}, "4009501", "Invalid Field Format status"),
        ({"changedSince": since, "pageSize": 0}, "4009501", "Invalid Field Format pageSize"),
        ({"status": "PAID"}, "4009502", "Invalid Mandatory Field changedSince"),
    ]
    for body, code, message in cases:
        answer = api.call(LIST_PATH, body).body
        assert answer["responseCode"] == code, (body, answer)
        assert answer["responseMessage"].startswith(message), (body, answer)


@pytest.mark.postgres
def test_a_change_still_being_written_holds_the_listing_back_until_it_commits():
    """An upload's bills are stamped when its transaction starts and committed a minute later:
    a listing made meanwhile must stop before them, or its reader would never see them."""
    with psycopg.connect(database_url_of_test_db().replace("postgres://", "postgresql://")) as writer:
        with writer.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id(), now()")  # a transaction that writes, from now on
            (_xid, began) = cursor.fetchone()
        time.sleep(1.2)
        held = changes.settle_point()
        assert held <= began - changes.SETTLE_MARGIN
        writer.rollback()
    assert changes.settle_point() > held  # the writer gone, the settle point moves on to now less the margin
