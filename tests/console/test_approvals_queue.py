"""The approval queue: what an approver may decide (never their own request), what each decision does,
decisions made from the queue through the existing services, and a bounded number of queries."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.urls import reverse

from billers.models import Registration, ServiceChangeRequest
from billers.registrations import service_change_request
from core.templatetags.kopra_format import rupiah
from core.time import WIB
from quota.models import TopUpOrder
from quota.services import quota_reserve
from quota.topups import topup_request
from reminders.models import Bill, BillStatus, Upload
from tests.conftest import sign_in
from tests.console_data import bills, queries_of
from tests.factories import AgreementFactory, UserFactory, registered_code

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]  # top-ups are paid at the sandbox bank


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def registration(company):
    AgreementFactory(company=company)  # Rp 350 per push
    return registered_code(company, quota=500, code="70001")


@pytest.fixture
def maker_approver(company):
    """Holds both roles: may approve others' requests, never their own."""
    return UserFactory(company=company, user_id="both", is_maker=True, is_approver=True)


def pending_upload(client, registration, capture, rows=3):
    """An upload sent for approval through the console, as a maker does it."""
    start = (dt.date.today() + dt.timedelta(days=1)).strftime("%d/%m/%Y")
    end = (dt.date.today() + dt.timedelta(days=20)).strftime("%d/%m/%Y")
    lines = ["bill_key,payer_phone,amount,start_date,end_date"]
    lines += [f"Q{n},081234567890,150000,{start},{end}" for n in range(rows)]
    lines.append(f"BAD,12345,150000,{start},{end}")
    with capture(execute=True):
        client.post(reverse("upload_new"), {"registration": registration.pk,
                                            "file": SimpleUploadedFile("bills.csv", "\n".join(lines).encode())})
    upload = Upload.objects.latest("id")
    with capture(execute=True):
        client.post(reverse("upload_submit", args=[upload.pk]))
    upload.refresh_from_db()
    assert upload.status == Upload.Status.PENDING_APPROVAL, (upload.status, upload.refusal_message)
    return upload


@pytest.fixture
def requests_by_maker(company, registration, maker, client_factory, django_capture_on_commit_callbacks):
    bills(registration, 3, status=BillStatus.SCHEDULED)
    quota_reserve(registration=registration, units=3, reference="test:scheduled")  # as bill_create would have
    bills(registration, 2, status=BillStatus.DISPLAYED, displayed_at=dt.datetime.now(dt.UTC))
    bills(registration, 4, status=BillStatus.PAID)
    upload = pending_upload(sign_in(client_factory(), maker), registration, django_capture_on_commit_callbacks)
    order = topup_request(registration=registration, actor=maker, method="va", units=1000)
    change = service_change_request(registration=registration, action="stop", actor=maker, reason="closing")
    return {"upload": upload, "order": order, "change": change}


def page_of(client) -> str:
    response = client.get(reverse("approval_queue"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_queue_lists_each_request_with_what_approving_it_does(client, approver, requests_by_maker):
    upload, order, change = requests_by_maker.values()
    html = page_of(sign_in(client, approver))
    assert "3 requests wait for you" in html
    # The upload: rows, bills, the quota already reserved, what it is worth at the tariff.
    assert f'id="queue-upload-{upload.pk}"' in html
    assert "4 rows in the file: 3 valid, 1 with errors." in html
    assert "Approve: 3 bills are received and shown in Livin' from their start." in html
    assert "Worth Rp\u00a01.050 at Rp\u00a0350 per push." in html
    # The top-up: units, amount with tax, what approval starts, the quota once paid.
    assert "1,000 pushes for Rp\u00a0388.500" in html
    assert "a one-time virtual account for Rp\u00a0388.500 is opened" in html
    # The stop: the active bills it cancels, those withdrawn, the pushes given back.
    assert "Approve: 8 active bills are cancelled." in html  # 3 scheduled, 2 shown, 3 waiting in the upload
    assert "Withdrawn from Livin': 2. Reserved pushes given back: 6." in html
    for kind, request in (("upload", upload), ("topup", order), ("change", change)):
        assert reverse("approval_decide", args=[kind, request.pk, "approve"]) in html


def test_the_maker_never_sees_an_approve_button_for_their_own_request(
        company, registration, maker_approver, client_factory, django_capture_on_commit_callbacks):
    client = sign_in(client_factory(), maker_approver)
    upload = pending_upload(client, registration, django_capture_on_commit_callbacks)
    order = topup_request(registration=registration, actor=maker_approver, method="va", units=100)
    change = service_change_request(registration=registration, action="stop", actor=maker_approver)

    html = page_of(client)
    assert "0 requests wait for you" in html
    assert "3 of your own requests wait for another approver." in html
    for kind, request in (("upload", upload), ("topup", order), ("change", change)):
        assert reverse("approval_decide", args=[kind, request.pk, "approve"]) not in html
        # And posting the decision anyway is refused by the service, with its reason.
        response = client.post(reverse("approval_decide", args=[kind, request.pk, "approve"]), follow=True)
        assert "another approver must approve it" in " ".join(str(m) for m in response.context["messages"])
    assert Upload.objects.get(pk=upload.pk).status == Upload.Status.PENDING_APPROVAL
    assert TopUpOrder.objects.get(pk=order.pk).status == TopUpOrder.Status.PENDING_APPROVAL
    assert ServiceChangeRequest.objects.get(pk=change.pk).status == ServiceChangeRequest.Status.PENDING


def test_a_user_who_uploaded_the_file_is_not_offered_it_even_if_another_maker_submitted_it(
        company, registration, maker_approver, maker, client_factory, django_capture_on_commit_callbacks):
    upload = pending_upload(sign_in(client_factory(), maker), registration, django_capture_on_commit_callbacks)
    Upload.objects.filter(pk=upload.pk).update(uploaded_by=maker_approver)
    assert f'id="queue-upload-{upload.pk}"' not in page_of(sign_in(client_factory(), maker_approver))


def test_another_approver_sees_what_the_maker_approver_cannot(company, registration, maker_approver, approver,
                                                              client_factory):
    order = topup_request(registration=registration, actor=maker_approver, method="va", units=100)
    assert f'id="queue-topup-{order.pk}"' in page_of(sign_in(client_factory(), approver))


def test_only_approvers_open_the_queue(client, maker, registration):
    assert sign_in(client, maker).get(reverse("approval_queue")).status_code == 403


def test_approving_from_the_queue_runs_the_existing_services(client, approver, requests_by_maker, registration,
                                                             django_capture_on_commit_callbacks):
    upload, order, change = requests_by_maker.values()
    sign_in(client, approver)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("approval_decide", args=["upload", upload.pk, "approve"]))
    assert response["Location"] == reverse("approval_queue")
    upload.refresh_from_db()
    assert upload.status == Upload.Status.SUBMITTED and upload.approved_by == approver
    assert set(Bill.objects.filter(upload=upload).values_list("status", flat=True)) == {BillStatus.RECEIVED}

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("approval_decide", args=["topup", order.pk, "approve"]))
    order.refresh_from_db()
    assert order.status == TopUpOrder.Status.AWAITING_PAYMENT and order.va_number

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("approval_decide", args=["change", change.pk, "approve"]), follow=True)
    assert Registration.objects.get(pk=registration.pk).status == Registration.Status.STOPPED
    assert not Bill.objects.filter(registration=registration, status__in=[
        BillStatus.SCHEDULED, BillStatus.DISPLAYED, BillStatus.RECEIVED]).exists()
    assert "Request for 70001 approved and applied." in [str(m) for m in response.context["messages"]]
    assert "0 requests wait for you" in page_of(client)


def test_rejecting_from_the_queue_keeps_the_reason(client, approver, requests_by_maker,
                                                    django_capture_on_commit_callbacks):
    upload, order, change = requests_by_maker.values()
    sign_in(client, approver)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("approval_decide", args=["upload", upload.pk, "reject"]), {"reason": "Wrong month"})
        client.post(reverse("approval_decide", args=["topup", order.pk, "reject"]), {"reason": "Too many"})
        client.post(reverse("approval_decide", args=["change", change.pk, "reject"]))
    upload.refresh_from_db()
    order.refresh_from_db()
    change.refresh_from_db()
    assert (upload.status, upload.rejection_reason) == (Upload.Status.REJECTED, "Wrong month")
    assert (order.status, order.refusal_reason) == (TopUpOrder.Status.REFUSED, "Too many")
    assert change.status == ServiceChangeRequest.Status.REJECTED


def test_another_companys_request_or_an_unknown_decision_is_not_found(client, approver, other_company):
    AgreementFactory(company=other_company)
    theirs = registered_code(other_company, quota=10, code="70099")
    their_maker = UserFactory(company=other_company, user_id="theirs")
    order = topup_request(registration=theirs, actor=their_maker, method="va", units=100)
    sign_in(client, approver)
    assert client.post(reverse("approval_decide", args=["topup", order.pk, "approve"])).status_code == 404
    assert client.post(reverse("approval_decide", args=["topup", order.pk, "destroy"])).status_code == 404
    assert TopUpOrder.objects.get(pk=order.pk).status == TopUpOrder.Status.PENDING_APPROVAL
    assert f"queue-topup-{order.pk}" not in page_of(client)


def requests_in_bulk(company, maker, count):
    """``count`` of each kind of request, written directly: one code each, so one stop request each."""
    for n in range(count):
        registration = registered_code(company, quota=10)
        Upload.objects.create(company=company, registration=registration, file="uploads/x.csv",
                              original_name=f"bulk-{n}.csv", sha256=f"{n:064d}", uploaded_by=maker,
                              submitted_by=maker, status=Upload.Status.PENDING_APPROVAL, rows_total=2, valid_rows=2,
                              bills_created=2)
        topup_request(registration=registration, actor=maker, method="va", units=100)
        service_change_request(registration=registration, action="stop", actor=maker)
        bills(registration, 1)


def test_the_queue_issues_the_same_queries_for_5_or_50_requests_of_each_kind(
        client, company, maker, approver, django_assert_max_num_queries):
    AgreementFactory(company=company)
    sign_in(client, approver)
    url = reverse("approval_queue")
    requests_in_bulk(company, maker, 5)
    with_five = queries_of(lambda: client.get(url))
    requests_in_bulk(company, maker, 45)
    with_fifty = queries_of(lambda: client.get(url))
    assert with_five == with_fifty
    # Among them: the Open API bills waiting, by code and day; the first bills of every upload waiting.
    with django_assert_max_num_queries(19):
        html = client.get(url).content.decode()
    assert "150 requests wait for you" in html


# --- What each card releases, in Rp -------------------------------------------------------------


def worth_of(html, card_id) -> tuple[int, Decimal, list[str]]:
    """The count and Rp total an approval card states, and the bill keys of its sample rows."""
    item = re.search(rf'<li class="worth" id="{card_id}-worth" data-bills="(\d+)" data-total="([^"]+)">(.*?)</li>',
                     html, re.S)
    return int(item.group(1)), Decimal(item.group(2)), re.findall(r"<tr><td><code>([^<]+)</code>", item.group(3))


def test_an_upload_card_states_the_count_and_rp_it_releases_and_its_first_bills(
        client, company, registration, maker, approver, client_factory, django_capture_on_commit_callbacks):
    upload = pending_upload(sign_in(client_factory(), maker), registration, django_capture_on_commit_callbacks,
                            rows=7)
    for n, bill in enumerate(Bill.objects.filter(upload=upload).order_by("pk")):
        Bill.objects.filter(pk=bill.pk).update(amount=Decimal("1000.25") * (n + 1))
    html = page_of(sign_in(client, approver))
    waiting = Bill.objects.filter(upload=upload, status=BillStatus.PENDING_APPROVAL)
    count, total, keys = worth_of(html, f"queue-upload-{upload.pk}")
    assert (count, total) == (waiting.count(), waiting.aggregate(total=Sum("amount"))["total"]) == \
        (7, Decimal("28007.00"))
    assert f"7 bills for {rupiah(total)} in all" in html
    assert keys == list(waiting.order_by("pk").values_list("bill_key", flat=True)[:5])
    assert "+62812****7890" in html and "081234567890" not in html
    assert "Worth Rp\u00a02.450 at Rp\u00a0350 per push." in html  # what it costs in quota, next to it


def test_each_day_of_open_api_bills_states_its_count_rp_and_first_bills(client, company, registration, approver,
                                                                         other_company):
    today = dt.datetime.now(dt.UTC)
    bills(registration, 7, status=BillStatus.PENDING_APPROVAL, amount=lambda i: Decimal("2500.50") * (i + 1),
          created_at=today)
    bills(registration, 2, status=BillStatus.PENDING_APPROVAL, amount=Decimal("100.00"),
          created_at=today - dt.timedelta(days=1))
    bills(registration, 3, status=BillStatus.RECEIVED, created_at=today)  # already released: not counted
    bills(registered_code(other_company, quota=5, code="70099"), 4, status=BillStatus.PENDING_APPROVAL)
    html = page_of(sign_in(client, approver))
    for when, expected_count in ((today, 7), (today - dt.timedelta(days=1), 2)):
        day = when.astimezone(WIB).date()
        start = dt.datetime.combine(day, dt.time.min, tzinfo=WIB)
        waiting = Bill.objects.filter(company=company, status=BillStatus.PENDING_APPROVAL, created_at__gte=start,
                                      created_at__lt=start + dt.timedelta(days=1))
        count, total, keys = worth_of(html, f"queue-api-{registration.pk}-{day:%Y%m%d}")
        assert (count, total) == (waiting.count(), waiting.aggregate(total=Sum("amount"))["total"])
        assert count == expected_count
        assert keys == list(waiting.order_by("pk").values_list("bill_key", flat=True)[:5])
    assert "70099" not in html
