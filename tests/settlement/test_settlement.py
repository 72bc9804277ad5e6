"""Settlement: the sandbox bank credits each payment to the code's collection account, and the portal
reads each day's statement into a settlement per code and day that sums exactly that day's payments."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from core.time import WIB
from livin import display
from livin.models import CoreCredit, LivinUser
from reminders.models import Bill, BillStatus
from settlement import selectors, services
from settlement.models import SettledPayment, Settlement
from tests.conftest import sign_in
from tests.factories import make_bill, registered_code
from tests.notifications.test_delivery import run_scheduler
from tests.reminders.conftest import keypair, make_client, wsgi_transport  # noqa: F401 - fixtures

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]

PHONE = "+6281234567890"


@pytest.fixture
def codes(company):
    LivinUser.objects.create(phone=PHONE, name="Budi")
    return registered_code(company, quota=100, code="89123"), registered_code(company, quota=100, code="89124")


def shown(registration, number, amount):
    now = timezone.now()
    bill = make_bill(registration, number, payer_phone=PHONE, amount=Decimal(amount),
                     start_at=now - dt.timedelta(minutes=1), end_at=now + dt.timedelta(days=5))
    run_scheduler()
    run_scheduler()
    bill.refresh_from_db()
    assert bill.status == BillStatus.DISPLAYED
    return bill


def pay(bill, channel, capture):
    with capture(execute=True):
        display.pay(reference=bill.reference_no, phone=PHONE, amount=bill.amount, channel=channel)
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID
    return bill


def test_a_days_settlement_sums_exactly_that_days_payments_per_code(codes, company, client, viewer,
                                                                    django_capture_on_commit_callbacks):
    water, gas = codes
    today = services.today()
    first = pay(shown(water, 1, "150000.00"), "MBP", django_capture_on_commit_callbacks)
    # Read from the bank right after the payment (the lifecycle hook), not only by the beat.
    assert Settlement.objects.get(registration=water, day=today).payments == 1
    second = pay(shown(water, 2, "98500.50"), "MVA", django_capture_on_commit_callbacks)
    other = pay(shown(gas, 3, "75000.00"), "MBP", django_capture_on_commit_callbacks)
    assert other.payment_channel == "MBP"
    unpaid = shown(water, 4, "20000.00")
    # The biller's other collections on the same account are not Bill Reminder's: left out.
    CoreCredit.objects.create(account_number=water.biller_code.collection_account.account_number,
                              payment_reference="TELLER-0001", amount=Decimal("500000.00"))

    services.settlements_sync()  # the beat's reading; a second one changes nothing
    services.settlements_sync()
    assert SettledPayment.objects.count() == 3
    water_day = Settlement.objects.get(registration=water, day=today)
    assert (water_day.payments, water_day.amount, water_day.final) == (2, Decimal("248500.50"), False)
    assert water_day.account_number == water.biller_code.collection_account.account_number
    assert sorted(water_day.lines.values_list("payment_reference", flat=True)) == sorted(
        [first.payment_reference, second.payment_reference])
    gas_day = Settlement.objects.get(registration=gas, day=today)
    assert (gas_day.payments, gas_day.amount) == (1, Decimal("75000.00"))
    assert not SettledPayment.objects.filter(bill=unpaid).exists()

    sign_in(client, viewer)
    page = client.get(reverse("bill_detail", args=[first.reference_no])).content.decode()
    assert f"credited on {today:%d/%m/%Y} to account {water_day.account_number}" in page
    listing = client.get(reverse("settlement_list")).content.decode()
    assert "Rp 248.500,50" in listing or "Rp248.500,50" in listing or "248.500,50" in listing
    detail = client.get(reverse("settlement_detail", args=[water_day.pk])).content.decode()
    assert first.payment_reference in detail and second.payment_reference in detail and "TELLER" not in detail

    export = client.get(reverse("settlement_export_csv", args=[water_day.pk]))
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert sum(Decimal(row["amount"]) for row in rows) == water_day.amount
    assert {row["payment_channel"] for row in rows} == {"MBP", "MVA"}
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(reverse("settlement_export_xlsx", args=[water_day.pk]))
                                              .content)).active
    header, *lines = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert header == selectors.EXPORT_HEADER and len(lines) == 2
    assert sum(Decimal(str(line[header.index("amount")])) for line in lines) == water_day.amount
    credited = lines[0][header.index("credited")]
    assert credited.tzinfo is None and abs(credited - timezone.now().astimezone(WIB).replace(tzinfo=None)) < \
        dt.timedelta(minutes=5), credited  # WIB, as the console shows it

    # The day closes at the bank: read once more, it is final.
    with time_machine.travel(timezone.now() + dt.timedelta(days=1), tick=False):
        services.settlements_sync()
    water_day.refresh_from_db()
    assert water_day.final and water_day.payments == 2
    services.settlements_sync()
    assert SettledPayment.objects.count() == 3


def test_a_payment_just_before_midnight_credited_after_it_waits_and_lands_on_the_next_day(
        codes, django_capture_on_commit_callbacks):
    water, _gas = codes
    evening = dt.datetime.combine(timezone.now().astimezone(WIB).date(), dt.time(23, 59, 30), tzinfo=WIB)
    with time_machine.travel(evening - dt.timedelta(minutes=5), tick=False):
        bill = shown(water, 1, "150000.00")
    with time_machine.travel(evening, tick=False):
        bill = pay(bill, "MBP", django_capture_on_commit_callbacks)
        # As if the bank's switch had not credited it yet (the sandbox credits at once).
        credit = CoreCredit.objects.get(payment_reference=bill.payment_reference)
        SettledPayment.objects.filter(bill=bill).delete()
        credit.delete()
        services.settlements_sync()
        day = Settlement.objects.get(registration=water, day=evening.date())
        assert day.payments == 0
        from settlement.selectors import not_credited
        assert list(not_credited(day)) == [Bill.objects.get(pk=bill.pk)]
    with time_machine.travel(evening + dt.timedelta(seconds=40), tick=False):  # credited after midnight
        CoreCredit.objects.create(account_number=credit.account_number, payment_reference=credit.payment_reference,
                                  amount=credit.amount)
    with time_machine.travel(evening + dt.timedelta(minutes=5), tick=False):
        services.settlements_sync()
    next_day = Settlement.objects.get(registration=water, day=evening.date() + dt.timedelta(days=1))
    assert (next_day.payments, next_day.amount) == (1, Decimal("150000.00"))
    assert not_credited(Settlement.objects.get(pk=day.pk)).count() == 0


def test_the_api_answers_a_days_settlement_in_pages(codes, company, keypair, wsgi_transport,  # noqa: F811
                                                    django_capture_on_commit_callbacks):
    water, _gas = codes
    bills = [pay(shown(water, n, f"{100000 + n}.00"), "MVA", django_capture_on_commit_callbacks) for n in range(3)]
    services.settlements_sync()  # the beat: payments a few seconds apart are read together
    api = make_client(company, keypair, wsgi_transport)
    today = services.today().isoformat()
    first = api.settlement_inquiry("89123", services.today(), page_size=2).body
    assert first["responseCode"] == "2009800", first
    assert (first["paymentCount"], first["totalAmount"]) == (3, {"value": "300003.00", "currency": "IDR"})
    assert first["closed"] is False and first["notCreditedCount"] == 0
    rest = api.call("/snap/v1.0/bill-reminder/settlements/inquiry",
                    {"billerCode": "89123", "settlementDate": today, "cursor": first["nextCursor"]}).body
    assert rest["nextCursor"] is None
    listed = [p["paymentReferenceNo"] for p in first["payments"] + rest["payments"]]
    assert sorted(listed) == sorted(bill.payment_reference for bill in bills)

    refused = api.call("/snap/v1.0/bill-reminder/settlements/inquiry",
                       {"billerCode": "89123", "settlementDate": "03-12-2026"}).body
    assert refused["responseCode"] == "4009801"
    assert refused["responseMessage"] == "Invalid Field Format settlementDate (YYYY-MM-DD)"
    empty = api.call("/snap/v1.0/bill-reminder/settlements/inquiry",
                     {"billerCode": "89123", "settlementDate": "2026-01-01"}).body
    assert (empty["paymentCount"], empty["payments"], empty["collectionAccount"]) == (0, [], None)
