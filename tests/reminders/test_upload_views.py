"""The upload pages of the console: form, progress, report, error file, decisions, tenancy."""

import csv
import datetime as dt
import io
import re

import openpyxl
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext, ngettext

from core.time import WIB
from reminders import uploads
from reminders.models import Bill, BillStatus, Upload
from tests.conftest import sign_in
from tests.factories import UserFactory, registered_code

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=WIB)
HEADER = "bill_key,payer_phone,payer_name,amount,start_date,end_date"
GOOD = "K1,081234567890,Budi,150000,01/12/2026,31/12/2026"
BAD = "K2,12345,Ani,150000,01/12/2026,31/12/2026"


@pytest.fixture(autouse=True)
def _media_and_clock(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def registration(company):
    company.approval_for_upload = False
    company.save()
    return registered_code(company, quota=100, code="70001")


@pytest.fixture
def maker_client(client, maker):
    return sign_in(client, maker)


@pytest.fixture
def post_file(maker_client, registration, django_capture_on_commit_callbacks):
    """Posts the upload form as a browser does, running the background check; returns the upload."""

    def post_file(name, data, *, to=registration, client=maker_client):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("upload_new"), {"registration": to.pk,
                                                           "file": SimpleUploadedFile(name, data)})
        assert response.status_code == 302, response.content.decode()[:2000]
        upload = Upload.objects.latest("id")
        assert response["Location"] == reverse("upload_detail", args=[upload.pk])
        return upload

    return post_file


def csv_bytes(*rows, header=HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def page(client, upload, **params):
    response = client.get(reverse("upload_detail", args=[upload.pk]), params)
    assert response.status_code == 200
    return response.content.decode()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- The form -----------------------------------------------------------------------------


def test_the_form_offers_the_companys_active_codes_only_and_shows_the_risk_note(maker_client, company, registration,
                                                                                other_company):
    stopped = registered_code(company, quota=0, code="70009")
    stopped.status = stopped.Status.STOPPED
    stopped.save()
    registered_code(other_company, quota=0, code="80001")
    html = maker_client.get(reverse("upload_new")).content.decode()
    assert "70001" in html and "70009" not in html and "80001" not in html
    assert "The bank checks only that a phone belongs to a Livin' user, not that it matches the bill" in html
    assert reverse("upload_template_xlsx") in html and reverse("upload_template_csv") in html


def test_a_code_of_another_company_cannot_be_chosen(maker_client, other_company):
    foreign = registered_code(other_company, quota=10, code="80001")
    response = maker_client.post(reverse("upload_new"), {"registration": foreign.pk,
                                                         "file": SimpleUploadedFile("b.csv", csv_bytes(GOOD))})
    assert response.status_code == 200 and not Upload.objects.exists()


def test_a_bad_file_name_is_refused_on_the_form_itself(maker_client, registration):
    response = maker_client.post(reverse("upload_new"), {"registration": registration.pk,
                                                         "file": SimpleUploadedFile("bills.pdf", b"%PDF-1.4")})
    assert response.status_code == 200
    assert "Only .xlsx and .csv files are accepted (got bills.pdf)." in response.content.decode()
    assert not Upload.objects.exists()


def test_the_templates_download_as_xlsx_and_csv(maker_client):
    xlsx = maker_client.get(reverse("upload_template_xlsx"))
    assert xlsx["Content-Disposition"] == 'attachment; filename="kopra-bill-template.xlsx"'
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    assert workbook.active["A1"].value == "bill_key"
    text = b"".join(maker_client.get(reverse("upload_template_csv")).streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("bill_key,payer_phone,payer_name,amount")


# --- Progress and report ----------------------------------------------------------------


def test_while_the_file_is_read_the_page_shows_a_progress_bar_polled_by_a_script_file(maker_client, registration,
                                                                                     maker):
    upload = Upload.objects.create(company=registration.company, registration=registration, original_name="b.csv",
                                   sha256="0" * 64, uploaded_by=maker, status=Upload.Status.VALIDATING,
                                   rows_read=20_000, rows_total=80_000)
    html = page(maker_client, upload)
    assert "<progress" in html and 'value="25"' in html
    assert 'src="/static/kopra/upload_progress.js"' in html
    assert "<script>" not in html  # the CSP allows script files from this site only
    progress = maker_client.get(reverse("upload_progress", args=[upload.pk])).json()
    assert progress == {"status": "validating", "status_label": "Being checked", "done": False, "rows_read": 20000,
                        "rows_total": 80000, "percent": 25, "message": "20,000 of about 80,000 rows read."}


def test_the_progress_counts_read_the_readers_way(maker_client, registration, maker, settings):
    upload = Upload.objects.create(company=registration.company, registration=registration, original_name="b.csv",
                                   sha256="0" * 64, uploaded_by=maker, status=Upload.Status.VALIDATING, rows_read=1)
    assert "1 row read so far." in page(maker_client, upload)
    assert maker_client.get(reverse("upload_progress", args=[upload.pk])).json()["message"] == "1 row read so far."
    Upload.objects.filter(pk=upload.pk).update(rows_read=20_000, rows_total=80_000)
    maker_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    with translation.override("id"):
        expected = ngettext("%(read)s of about %(total)s row read.", "%(read)s of about %(total)s rows read.",
                            80_000) % {"read": "20.000", "total": "80.000"}
    assert "20.000" in expected  # Indonesian groups thousands with dots, never commas
    assert maker_client.get(reverse("upload_progress", args=[upload.pk])).json()["message"] == expected


def test_the_report_shows_totals_and_every_invalid_cell_with_row_column_value_and_reason(post_file, maker_client):
    upload = post_file("bills.csv", csv_bytes(GOOD, BAD, "K1,081234567891,Again,1000,01/12/2026,31/12/2026"))
    html = page(maker_client, upload)
    totals = text_of(html[html.index('id="upload-totals"'):html.index('id="upload-actions"')])
    assert "Rows 3 Valid 1 Invalid 1 Repeated in the file 1" in totals
    assert "Bill key already has an active reminder 0 Quota needed / available 1 / 100" in totals
    errors = text_of(html[html.index('id="upload-errors"'):])
    assert ("3 payer_phone 12345 12345 is not an Indonesian mobile number; write it like 081234567890 or "
            "+6281234567890.") in errors
    assert "4 bill_key K1 The bill key K1 is also in row 2; only that first row is kept." in errors
    assert "Biller code 70001 · uploaded 01 Dec 2026 09:00 WIB by maker" in html  # Jakarta time, labelled


def test_the_list_of_invalid_rows_is_paginated(post_file, maker_client):
    upload = post_file("bills.csv", csv_bytes(*(f"K{i},1,Ani,1,01/12/2026,31/12/2026" for i in range(120))))
    first, second = page(maker_client, upload), page(maker_client, upload, page=2)
    assert "Page 1 of 2" in first and '<td class="num">2</td>' in first and '<td class="num">121</td>' not in first
    assert '<td class="num">121</td>' in second


def test_the_same_file_again_is_flagged_on_the_report(post_file, maker_client):
    first = post_file("bills.csv", csv_bytes(GOOD))
    again = post_file("bills.csv", csv_bytes(GOOD))
    html = page(maker_client, again)
    assert f"(upload #{first.pk}, Checked: read the report)" in html and 'id="upload-same-file"' in html
    assert "same file again" in maker_client.get(reverse("upload_list")).content.decode()


def test_a_refused_file_shows_why(post_file, maker_client):
    upload = post_file("bills.csv", b"nama,telepon\nBudi,0812\n")
    html = page(maker_client, upload)
    assert "No bill column was recognised in the first row (nama, telepon)." in html
    assert "No bill was created or changed." in html


# --- The error file, and fixing it ------------------------------------------------------


def error_file_csv(client, upload) -> list[list[str]]:
    response = client.get(reverse("upload_error_file_csv", args=[upload.pk]))
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(content)))


def csv_of(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def test_the_error_file_fixed_and_uploaded_again_is_all_valid(post_file, maker_client):
    upload = post_file("bills.csv", csv_bytes(GOOD, BAD))
    response = maker_client.get(reverse("upload_error_file_csv", args=[upload.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="bills-errors.csv"'
    rows = error_file_csv(maker_client, upload)
    assert rows[0] == [*HEADER.split(","), "error"]
    assert rows[1][:2] == ["K2", "12345"] and rows[1][-1].startswith("payer_phone: 12345 is not")
    assert len(rows) == 2

    rows[1][1] = "0812-3456-7891"  # the user fixes the phone and uploads the file again, error column and all
    again = post_file("bills-errors.csv", csv_of(rows))
    assert (again.status, again.rows_total, again.valid_rows, again.invalid_rows) == ("validated", 1, 1, 0)
    assert again.header_warnings == [] and "upload-warnings" not in page(maker_client, again)
    assert "is not a bill column" not in page(maker_client, again)


def test_an_error_file_still_failing_gets_one_fresh_error_column(post_file, maker_client):
    upload = post_file("bills.csv", csv_bytes(GOOD, BAD))
    rows = error_file_csv(maker_client, upload)
    rows[1][3] = "0"  # the user fixes nothing and breaks the amount as well
    again = post_file("bills-errors.csv", csv_of(rows))
    assert again.header_warnings == []
    rows = error_file_csv(maker_client, again)
    assert rows[0] == [*HEADER.split(","), "error"]
    assert rows[1][-1].startswith("payer_phone: 12345 is not") and "amount: " in rows[1][-1]


def test_an_xlsx_upload_gets_its_error_file_as_xlsx_too(post_file, maker_client):
    workbook = openpyxl.Workbook()
    workbook.active.append(HEADER.split(","))
    workbook.active.append(["K1", "12345", "", 150000, "01/12/2026", "31/12/2026"])
    workbook.active["C2"].value = "=cmd|' /C calc'!A0"
    workbook.active["C2"].data_type = "s"  # text that looks like a formula, as a pasted value would be
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = post_file("bills.xlsx", buffer.getvalue())
    html = page(maker_client, upload)
    assert reverse("upload_error_file_xlsx", args=[upload.pk]) in html
    response = maker_client.get(reverse("upload_error_file_xlsx", args=[upload.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][-1] == "error" and values[1][1] == "12345"
    assert values[1][2] == "'=cmd|' /C calc'!A0"  # a formula-looking cell comes back as text


def test_a_csv_upload_has_no_xlsx_error_file(post_file, maker_client):
    upload = post_file("bills.csv", csv_bytes(BAD))
    assert maker_client.get(reverse("upload_error_file_xlsx", args=[upload.pk])).status_code == 404


# --- Decisions ----------------------------------------------------------------------------


def test_submit_from_the_report_creates_the_bills(post_file, maker_client, django_capture_on_commit_callbacks):
    upload = post_file("bills.csv", csv_bytes(GOOD, BAD))
    assert "Submit 1 valid row" in page(maker_client, upload)
    with django_capture_on_commit_callbacks(execute=True):
        response = maker_client.post(reverse("upload_submit", args=[upload.pk]), follow=True)
    assert "bills.csv is being submitted." in response.content.decode()
    assert Bill.objects.get(upload=upload).status == BillStatus.RECEIVED
    html = page(maker_client, upload)
    assert "1 bill was created" in html and "1 bills" not in html


def test_while_the_worker_carries_out_a_decision_the_report_says_so_and_offers_no_action(post_file, maker_client):
    upload = post_file("bills.csv", csv_bytes(GOOD))
    maker_client.post(reverse("upload_submit", args=[upload.pk]))  # queued; the worker has not run it yet
    html = page(maker_client, upload)
    assert "Submitting the valid rows…" in html and 'src="/static/kopra/upload_progress.js"' in html
    assert reverse("upload_discard", args=[upload.pk]) not in html
    progress = maker_client.get(reverse("upload_progress", args=[upload.pk])).json()
    assert (progress["done"], progress["message"]) == (False, "Submitting the valid rows…")
    again = maker_client.post(reverse("upload_discard", args=[upload.pk]), follow=True).content.decode()
    assert "is already being worked on" in again


def test_quota_short_disables_submit_and_says_how_much_is_missing(post_file, maker_client, company):
    short = registered_code(company, quota=1, code="70002")
    upload = post_file("bills.csv", csv_bytes(GOOD, "K3,081234567891,Ani,1,01/12/2026,31/12/2026"), to=short)
    html = page(maker_client, upload)
    assert "Not enough quota for 70002 (needed: 2, available: 1): top up at least 1 push before you submit." in html
    assert re.search(r"<button[^>]*disabled>Submit 2 valid rows", html)
    response = maker_client.post(reverse("upload_submit", args=[upload.pk]), follow=True)
    assert "Not enough quota for 70002" in response.content.decode()
    assert not Bill.objects.exists()


def test_an_approver_approves_or_rejects_and_the_submitter_is_not_offered_to(
        post_file, maker_client, maker, company, client_factory, django_capture_on_commit_callbacks):
    company.approval_for_upload = True
    company.save()
    maker.is_approver = True
    maker.save()
    upload = post_file("bills.csv", csv_bytes(GOOD))
    with django_capture_on_commit_callbacks(execute=True):
        maker_client.post(reverse("upload_submit", args=[upload.pk]))
    html = page(maker_client, upload)
    assert "1 bill waits for approval" in html and "1 bills" not in html
    assert reverse("upload_approve", args=[upload.pk]) not in html
    refused = maker_client.post(reverse("upload_approve", args=[upload.pk]), follow=True).content.decode()
    assert "You made this request, so another approver must approve it." in refused

    approver = sign_in(client_factory(), UserFactory(company=company, is_maker=False, is_approver=True))
    assert reverse("upload_approve", args=[upload.pk]) in page(approver, upload)
    with django_capture_on_commit_callbacks(execute=True):
        approver.post(reverse("upload_approve", args=[upload.pk]))
    assert Bill.objects.get(upload=upload).status == BillStatus.RECEIVED


def test_an_approver_rejects_with_a_reason(post_file, maker_client, company, client_factory,
                                           django_capture_on_commit_callbacks):
    company.approval_for_upload = True
    company.save()
    upload = post_file("bills.csv", csv_bytes(GOOD))
    with django_capture_on_commit_callbacks(execute=True):
        maker_client.post(reverse("upload_submit", args=[upload.pk]))
    approver = sign_in(client_factory(), UserFactory(company=company, is_maker=False, is_approver=True))
    with django_capture_on_commit_callbacks(execute=True):
        approver.post(reverse("upload_reject", args=[upload.pk]), {"reason": "Wrong month"})
    upload.refresh_from_db()
    assert upload.status == Upload.Status.REJECTED and upload.rejection_reason == "Wrong month"
    assert Bill.objects.get(upload=upload).status == BillStatus.CANCELLED
    assert "Wrong month" in page(approver, upload)


def test_discard_from_the_report(post_file, maker_client, django_capture_on_commit_callbacks):
    upload = post_file("bills.csv", csv_bytes(GOOD))
    with django_capture_on_commit_callbacks(execute=True):
        maker_client.post(reverse("upload_discard", args=[upload.pk]))
    upload.refresh_from_db()
    assert upload.status == Upload.Status.DISCARDED and not Bill.objects.exists()


def test_a_viewer_reads_the_report_but_cannot_act(post_file, company, client_factory):
    upload = post_file("bills.csv", csv_bytes(GOOD))
    viewer = sign_in(client_factory(), UserFactory(company=company, is_maker=False, is_viewer=True))
    assert "Submit 1 valid row" not in page(viewer, upload)
    for name in ("upload_submit", "upload_discard", "upload_approve", "upload_reject"):
        assert viewer.post(reverse(name, args=[upload.pk])).status_code == 403
    assert viewer.get(reverse("upload_new")).status_code == 403
    assert Upload.objects.get().status == Upload.Status.VALIDATED


# --- Tenancy ------------------------------------------------------------------------------


UPLOAD_ROUTES = ["upload_detail", "upload_progress", "upload_error_file_csv", "upload_error_file_xlsx",
                 "upload_submit", "upload_discard", "upload_approve", "upload_reject"]


def test_another_companys_upload_is_not_found_on_every_route(post_file, other_company, client_factory):
    upload = post_file("bills.csv", csv_bytes(GOOD, BAD))
    stranger = sign_in(client_factory(), UserFactory(company=other_company, is_admin=True, is_maker=True,
                                                     is_approver=True, is_viewer=True))
    for name in UPLOAD_ROUTES:
        path = reverse(name, args=[upload.pk])
        assert stranger.get(path).status_code in (404, 405), name
        assert stranger.post(path).status_code in (404, 405), name
    assert Upload.objects.get().status == Upload.Status.VALIDATED
    assert "bills.csv" not in stranger.get(reverse("upload_list")).content.decode()


def test_uploads_is_in_the_menu_next_to_bills(maker_client):
    html = maker_client.get(reverse("upload_list")).content.decode()
    nav = html[html.index('<nav class="sidenav"'):html.index("</nav>")]
    assert nav.index(reverse("bill_list")) < nav.index(reverse("upload_list")) < nav.index(reverse("biller_codes"))
    assert 'href="/uploads/" aria-current="page"' in nav


# --- Language -------------------------------------------------------------------------------


def test_the_report_and_the_error_file_read_in_the_viewers_language(post_file, maker_client, settings):
    upload = post_file("bills.csv", csv_bytes(GOOD, "K1,081234567891,Again,1000,01/12/2026,31/12/2026",
                                              "K2,081234567890,Ani,0,01/12/2026,31/12/2026"))
    # The reasons were stored by the worker as source text and parameters; each reader gets
    # them in their own language, from the project's catalogue.
    with translation.override("id"):
        amount = gettext("The amount must be more than 0 (got %(text)s).") % {"text": "0"}
        repeated = gettext(uploads.MESSAGES[uploads.REPEATED_KEY]) % {"key": "K1", "first": 2}
        rows_label = gettext("Rows that cannot be sent")
    assert amount != "The amount must be more than 0 (got 0)."  # the catalogue translates it
    english = page(maker_client, upload)
    assert "The amount must be more than 0 (got 0)." in english and "The bill key K1 is also in row 2" in english
    maker_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    indonesian = page(maker_client, upload)
    assert '<html lang="id">' in indonesian and rows_label in indonesian
    assert escape(amount) in indonesian and escape(repeated) in indonesian
    content = b"".join(maker_client.get(reverse("upload_error_file_csv", args=[upload.pk])).streaming_content)
    error_column = [row[-1] for row in csv.reader(io.StringIO(content.decode("utf-8-sig")))]
    assert error_column == ["error", f"bill_key: {repeated}", f"amount: {amount}"]


@pytest.mark.parametrize("size", [800 * 1024, 3 * 1024 * 1024])  # under and over the declared-length cut
def test_a_file_over_the_limit_is_cut_off_while_it_streams_and_the_page_says_why(
        client, maker, company, settings, monkeypatch, size):
    from django.core.files.uploadhandler import TemporaryFileUploadHandler

    settings.UPLOAD_MAX_BYTES = 200 * 1024
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024  # so Django's handlers would write it to disk
    written = []  # what Django's handler writes to the temporary file on disk
    original = TemporaryFileUploadHandler.receive_data_chunk

    def counting(self, raw_data, start):
        written.append(len(raw_data))
        return original(self, raw_data, start)

    monkeypatch.setattr(TemporaryFileUploadHandler, "receive_data_chunk", counting)
    registration = registered_code(company, quota=5, code="70031")
    sign_in(client, maker)
    big = SimpleUploadedFile("bills.csv", b"x" * size, content_type="text/csv")
    response = client.post(reverse("upload_new"), {"registration": registration.pk, "file": big})

    assert response.status_code == 200
    assert "the limit is 0.2 MB" in response.content.decode()
    assert not Upload.objects.exists()
    assert sum(written) <= 200 * 1024, f"{sum(written):,} bytes were written to disk"
