"""Retention: the stored file, problems and staged rows of finished uploads go after UPLOAD_RETENTION_DAYS."""

import datetime as dt
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AuditEvent
from core.time import WIB
from reminders import uploads
from reminders.models import Bill, Upload, UploadError, UploadRow
from reminders.tasks import expire_upload_files
from tests.conftest import sign_in
from tests.factories import UserFactory, registered_code

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=WIB)
HEADER = "bill_key,payer_phone,payer_name,amount,start_date,end_date"
FILE = ("\r\n".join([HEADER, "K1,081234567890,Budi,150000,01/12/2026,31/12/2026",
                     "K2,1,Budi,150000,01/12/2026,31/12/2026", "K1,081234567890,Budi,150000,01/12/2026,31/12/2026"])
        + "\r\n").encode()


@pytest.fixture(autouse=True)
def _media_clock_and_retention(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.UPLOAD_RETENTION_DAYS = 90
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def registration(company):
    company.approval_for_upload = True
    company.save()
    return registered_code(company, quota=100, code="70001")


@pytest.fixture
def receive(registration, maker, django_capture_on_commit_callbacks):
    def receive(name="bills.csv"):
        with django_capture_on_commit_callbacks(execute=True):
            upload = uploads.upload_receive(registration=registration, uploaded_file=SimpleUploadedFile(name, FILE),
                                            actor=maker)
        upload.refresh_from_db()
        return upload

    return receive


def days_later(days: int):
    return time_machine.travel(NOW + dt.timedelta(days=days), tick=True)


def expire(django_capture_on_commit_callbacks) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return expire_upload_files()


def stored(upload) -> Path:
    return Path(upload.file.path)


def test_a_finished_upload_keeps_its_report_and_bills_but_not_its_file_after_the_retention(
        receive, maker, company, django_capture_on_commit_callbacks):
    submitted = receive()
    with django_capture_on_commit_callbacks(execute=False):  # the purge of its staged rows is lost
        uploads.upload_submit(upload=submitted, actor=maker)
    approver = UserFactory(company=company, user_id="approver", is_maker=False, is_approver=True)
    with django_capture_on_commit_callbacks(execute=True):
        uploads.upload_reject(upload=submitted, approver=approver, reason="Wrong month")
    rejected = Upload.objects.get(pk=submitted.pk)
    path = stored(rejected)
    assert path.exists() and UploadError.objects.filter(upload=rejected).count() == 2
    assert UploadRow.objects.filter(upload=rejected).count() == 2

    with days_later(89):
        assert expire(django_capture_on_commit_callbacks) == 0
    assert path.exists()
    with days_later(91):
        assert expire(django_capture_on_commit_callbacks) == 1
        assert expire(django_capture_on_commit_callbacks) == 0

    upload = Upload.objects.get(pk=rejected.pk)
    assert not path.exists() and upload.file.name == "" and upload.files_removed_at is not None
    assert not UploadError.objects.filter(upload=upload).exists()
    assert not UploadRow.objects.filter(upload=upload).exists()
    assert (upload.status, upload.rows_total, upload.valid_rows, upload.invalid_rows, upload.duplicate_rows) == (
        Upload.Status.REJECTED, 3, 1, 1, 1)
    assert Bill.objects.filter(upload=upload).count() == 1
    audit = AuditEvent.objects.get(action="upload.files_removed")
    assert (audit.company, audit.object_id, audit.actor_label) == (company, str(upload.pk), "system")
    assert audit.text == (f"Upload #{upload.pk} (bills.csv): stored file, 2 problems and 2 staged rows removed, "
                          "90 days after the upload")
    assert audit.details == {"file": rejected.file.name, "problems": 2, "staged_rows": 2, "retention_days": 90}


def test_uploads_waiting_for_approval_or_not_old_enough_are_kept(receive, maker,
                                                                 django_capture_on_commit_callbacks):
    waiting = receive("waiting.csv")
    with django_capture_on_commit_callbacks(execute=True):
        uploads.upload_submit(upload=waiting, actor=maker)  # waiting for approval
    with days_later(45):
        recent = receive("recent.csv")
        with django_capture_on_commit_callbacks(execute=True):
            uploads.upload_discard(upload=recent, actor=maker)
    with days_later(120):
        assert expire(django_capture_on_commit_callbacks) == 0
    for upload in (waiting, recent):
        upload.refresh_from_db()
        assert stored(upload).exists() and upload.files_removed_at is None
        assert UploadError.objects.filter(upload=upload).exists()
    with days_later(136):
        assert expire(django_capture_on_commit_callbacks) == 1
    recent.refresh_from_db()
    assert recent.files_removed_at is not None and not UploadError.objects.filter(upload=recent).exists()


def test_the_retention_is_a_setting(receive, maker, settings, django_capture_on_commit_callbacks):
    upload = receive()
    with django_capture_on_commit_callbacks(execute=True):
        uploads.upload_discard(upload=upload, actor=maker)
    settings.UPLOAD_RETENTION_DAYS = 7
    with days_later(8):
        assert expire(django_capture_on_commit_callbacks) == 1
    assert AuditEvent.objects.get(action="upload.files_removed").details["retention_days"] == 7


def test_the_report_says_the_file_is_gone_and_the_error_file_answers_with_a_message(
        receive, maker, client, django_capture_on_commit_callbacks):
    upload = receive()
    with django_capture_on_commit_callbacks(execute=True):
        uploads.upload_discard(upload=upload, actor=maker)
    sign_in(client, maker)
    assert client.get(reverse("upload_error_file_csv", args=[upload.pk])).status_code == 200
    with days_later(91):
        expire(django_capture_on_commit_callbacks)
        sign_in(client, maker)
        report = client.get(reverse("upload_detail", args=[upload.pk])).content.decode()
        answer = client.get(reverse("upload_error_file_csv", args=[upload.pk]), follow=True)
    assert 'id="upload-files-removed"' in report and "no longer kept: they were removed on 02/03/2027" in report
    assert "Every row can be sent." not in report
    assert answer.redirect_chain == [(reverse("upload_detail", args=[upload.pk]), 302)]
    assert (f"The file of upload #{upload.pk} and its list of problems were removed on 02/03/2027, as uploaded "
            "files are kept only for a while; the error file can no longer be made.") in answer.content.decode()


def test_a_checked_upload_never_submitted_is_discarded_after_the_retention_and_its_file_removed(
        receive, company, django_capture_on_commit_callbacks):
    checked = receive()
    path = stored(checked)
    with days_later(89):
        assert expire(django_capture_on_commit_callbacks) == 0
    assert Upload.objects.get(pk=checked.pk).status == Upload.Status.VALIDATED

    with days_later(91):
        assert expire(django_capture_on_commit_callbacks) == 1

    checked.refresh_from_db()
    assert checked.status == Upload.Status.DISCARDED and checked.files_removed_at is not None
    assert not path.exists() and not UploadRow.objects.filter(upload=checked).exists()
    assert not Bill.objects.exists()
    audit = AuditEvent.objects.get(action="upload.discarded")
    assert (audit.company, audit.object_id, audit.actor_label) == (company, str(checked.pk), "system")
    assert audit.text == f"Upload #{checked.pk} (bills.csv) discarded: checked but not submitted within 90 days"
