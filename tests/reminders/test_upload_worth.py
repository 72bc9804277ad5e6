"""What an upload's report says it is worth: the Rp total of its valid rows before it is sent and of
its bills after, and the first rows as payers will see them."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.urls import reverse

from core.templatetags.kopra_format import rupiah
from core.time import WIB
from reminders.models import Bill, BillStatus, Upload, UploadRow
from tests.conftest import sign_in
from tests.factories import UserFactory, registered_code

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=WIB)
HEADER = "bill_key,payer_phone,payer_name,amount,start_date,end_date"
AMOUNTS = ["150000", "1.250.000", "99999,50", "20000", "310000", "45000", "5000000"]


@pytest.fixture(autouse=True)
def _media_and_clock(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def registration(company):
    return registered_code(company, quota=100, code="70001")


def checked_upload(client, registration, capture) -> Upload:
    """Seven valid rows of different amounts, and two invalid ones that must not count."""
    rows = [f"K{n},08123456{n:04d},Payer {n},\"{amount}\",01/12/2026,31/12/2026" for n, amount in enumerate(AMOUNTS)]
    rows += ["BAD1,12345,Nobody,150000,01/12/2026,31/12/2026", "BAD2,081234567890,Nobody,lots,01/12/2026,31/12/2026"]
    with capture(execute=True):
        client.post(reverse("upload_new"), {"registration": registration.pk, "file": SimpleUploadedFile(
            "bills.csv", "\n".join([HEADER, *rows]).encode())})
    upload = Upload.objects.latest("id")
    assert upload.status == Upload.Status.VALIDATED and upload.valid_rows == 7, upload.refusal_message
    return upload


def report(client, upload) -> str:
    response = client.get(reverse("upload_detail", args=[upload.pk]))
    assert response.status_code == 200
    return response.content.decode()


def total_on(html) -> Decimal:
    return Decimal(re.search(r'id="upload-worth-total" data-total="([^"]+)"', html).group(1))


def sample_rows(html) -> list[str]:
    table = re.search(r'<table class="table sample-table" id="upload-sample">(.*?)</table>', html, re.S).group(1)
    return re.findall(r"<tr><td><code>(.*?)</tr>", table, re.S)


def test_the_report_shows_the_rp_of_the_valid_rows_and_the_first_five(client, company, maker, registration,
                                                                       django_capture_on_commit_callbacks):
    sign_in(client, maker)
    upload = checked_upload(client, registration, django_capture_on_commit_callbacks)
    html = report(client, upload)
    staged = UploadRow.objects.filter(upload=upload, problem="").aggregate(total=Sum("amount"))["total"]
    assert total_on(html) == staged == Decimal("6874999.50")
    assert f">{rupiah(staged)}<" in html and "7 bills on biller code 70001" in html
    assert "What submitting sends to payers" in html
    rows = sample_rows(html)
    assert len(rows) == 5 and "The first 5 bills of 7, as payers will see them:" in html
    assert rows[0].startswith("K0</code>") and "Payer 0" in rows[0] and rupiah(Decimal("150000")) in rows[0]
    assert rupiah(Decimal("99999.50")) in rows[2]
    assert "+62812****0000" in rows[0] and "081234560000" not in html and "+6281234560000" not in html
    assert "01 Dec 2026 00:00 WIB to 31 Dec 2026" in rows[0]


def test_after_submission_the_report_adds_up_the_bills_created(client, company, maker, registration,
                                                               django_capture_on_commit_callbacks):
    company.approval_for_upload = True
    company.save()
    sign_in(client, maker)
    upload = checked_upload(client, registration, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("upload_submit", args=[upload.pk]))
    upload.refresh_from_db()
    assert upload.status == Upload.Status.PENDING_APPROVAL
    html = report(client, upload)
    created = Bill.objects.filter(upload=upload)
    assert created.count() == 7 and set(created.values_list("status", flat=True)) == {BillStatus.PENDING_APPROVAL}
    assert total_on(html) == created.aggregate(total=Sum("amount"))["total"] == Decimal("6874999.50")
    assert "What approval sends to payers" in html
    assert [row.split("</code>")[0] for row in sample_rows(html)] == ["K0", "K1", "K2", "K3", "K4"]


def test_a_viewer_reads_the_total_too_and_a_refused_file_has_none(client, company, maker, registration,
                                                                  django_capture_on_commit_callbacks):
    sign_in(client, maker)
    upload = checked_upload(client, registration, django_capture_on_commit_callbacks)
    viewer = UserFactory(company=company, user_id="viewer", is_maker=False, is_viewer=True)
    sign_in(client, viewer)
    assert total_on(report(client, upload)) == Decimal("6874999.50")
    sign_in(client, maker)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("upload_new"), {"registration": registration.pk,
                                            "file": SimpleUploadedFile("empty.csv", b"nothing,here\n")})
    refused = Upload.objects.latest("id")
    assert refused.status == Upload.Status.REFUSED
    assert 'id="upload-worth"' not in report(client, refused)
