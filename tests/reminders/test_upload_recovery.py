"""Uploads whose task was lost or ran twice: the lease on the check, the stalled-work sweep."""

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from core.time import WIB
from reminders import uploads
from reminders.models import Bill, Upload, UploadError, UploadRow
from reminders.tasks import requeue_stalled_uploads
from reminders.uploads import validate as upload_validation
from tests.factories import UserFactory, registered_code

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=WIB)
HEADER = "bill_key,payer_phone,payer_name,amount,start_date,end_date"
LEASE = dt.timedelta(seconds=300)


@pytest.fixture(autouse=True)
def _media_clock_and_lease(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.UPLOAD_LEASE_SECONDS = int(LEASE.total_seconds())
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def registration(company):
    company.approval_for_upload = False
    company.save()
    return registered_code(company, quota=100, code="70001")


# Five valid rows and one with a bad phone: with two rows a batch, three batches.
ROWS = [f"K{i},081234567890,Budi,150000,01/12/2026,31/12/2026" for i in range(5)]
ROWS.append("BAD,1,Budi,150000,01/12/2026,31/12/2026")
FILE = ("\r\n".join([HEADER, *ROWS]) + "\r\n").encode()


@pytest.fixture
def queued(registration, maker, django_capture_on_commit_callbacks, monkeypatch):
    """An upload received whose check task was never delivered (the broker lost it)."""
    monkeypatch.setattr(upload_validation, "BATCH_ROWS", 2)
    with django_capture_on_commit_callbacks(execute=False):
        upload = uploads.upload_receive(registration=registration, uploaded_file=SimpleUploadedFile("bills.csv", FILE),
                                        actor=maker)
    return upload


def later(delta: dt.timedelta):
    return time_machine.travel(NOW + delta, tick=True)


def sweep(django_capture_on_commit_callbacks) -> int:
    """One tick of beat's sweep, the tasks it queues run here and now."""
    with django_capture_on_commit_callbacks(execute=True):
        return requeue_stalled_uploads()


def checked_exactly_once(upload):
    upload.refresh_from_db()
    assert (upload.status, upload.rows_total, upload.valid_rows, upload.invalid_rows) == (
        Upload.Status.VALIDATED, 6, 5, 1)
    assert sorted(UploadRow.objects.filter(upload=upload).values_list("bill_key", flat=True)) == [
        "K0", "K1", "K2", "K3", "K4"]
    assert list(UploadError.objects.filter(upload=upload).values_list("row_number", "code")) == [
        (7, "invalid_phone")]


# --- A second run of the check --------------------------------------------------------------


def test_a_redelivered_check_does_nothing_while_the_first_run_is_alive(queued, monkeypatch):
    original = upload_validation._StagingWriter.flush
    second_runs = []

    def redelivered_meanwhile(self, valid, errors, read):
        second_runs.append(uploads.upload_validate(upload=queued).status)
        original(self, valid, errors, read)

    monkeypatch.setattr(upload_validation._StagingWriter, "flush", redelivered_meanwhile)
    uploads.upload_validate(upload=queued)
    assert second_runs == [Upload.Status.VALIDATING] * 4  # at each batch, and at the end
    checked_exactly_once(queued)


def test_a_run_quiet_past_its_lease_is_taken_over_and_writes_nothing_after(queued, monkeypatch):
    original = upload_validation._StagingWriter.flush
    first_run_batches = []

    def quiet_then_overtaken(self, valid, errors, read):
        if read == 4:
            # The first run stalls after its first batch; past the lease a second run
            # (the redelivered task) checks the whole file meanwhile.
            monkeypatch.setattr(upload_validation._StagingWriter, "flush", original)
            with later(LEASE + dt.timedelta(seconds=1)):
                uploads.upload_validate(upload=queued)
            checked_exactly_once(queued)
        first_run_batches.append(read)
        original(self, valid, errors, read)

    monkeypatch.setattr(upload_validation._StagingWriter, "flush", quiet_then_overtaken)
    first = uploads.upload_validate(upload=queued)
    # The first run wrote its first batch, then found the check taken over and stopped.
    assert first_run_batches == [2, 4]
    assert first.status == Upload.Status.VALIDATED
    checked_exactly_once(queued)


def test_a_run_that_lost_its_lease_during_the_last_checks_leaves_the_result_to_the_new_run(queued, monkeypatch):
    original = upload_validation._finish_validation

    def overtaken_before_finishing(upload, *, read, invalid):
        with later(LEASE + dt.timedelta(seconds=1)):
            monkeypatch.setattr(upload_validation, "_finish_validation", original)
            uploads.upload_validate(upload=queued)
        return original(upload, read=read, invalid=invalid)

    monkeypatch.setattr(upload_validation, "_finish_validation", overtaken_before_finishing)
    uploads.upload_validate(upload=queued)
    checked_exactly_once(queued)
    assert Upload.objects.get(pk=queued.pk).validated_at is not None


def test_a_run_that_lost_its_lease_never_refuses_the_new_runs_check(queued, monkeypatch):
    def refused_after_takeover(self, valid, errors, read):
        monkeypatch.setattr(upload_validation._StagingWriter, "flush", original)
        with later(LEASE + dt.timedelta(seconds=1)):
            uploads.upload_validate(upload=queued)
        raise RuntimeError("the first run's worker failed")

    original = upload_validation._StagingWriter.flush
    monkeypatch.setattr(upload_validation._StagingWriter, "flush", refused_after_takeover)
    with pytest.raises(RuntimeError):
        uploads.upload_validate(upload=queued)
    checked_exactly_once(queued)


# --- The sweep: lost tasks are queued again past the lease -----------------------------------


def test_a_check_whose_task_was_lost_is_queued_again_once_past_the_lease(queued, django_capture_on_commit_callbacks):
    assert sweep(django_capture_on_commit_callbacks) == 0
    assert Upload.objects.get(pk=queued.pk).status == Upload.Status.QUEUED
    with later(LEASE + dt.timedelta(seconds=1)):
        assert sweep(django_capture_on_commit_callbacks) == 1
    checked_exactly_once(queued)
    with later(2 * LEASE):
        assert sweep(django_capture_on_commit_callbacks) == 0


def test_a_check_whose_worker_died_mid_file_is_started_over_once_past_the_lease(
        queued, monkeypatch, django_capture_on_commit_callbacks):
    original = upload_validation._StagingWriter.flush

    def killed_after_the_first_batch(self, valid, errors, read):
        if read > 2:
            raise KeyboardInterrupt  # the worker process is killed: no handler runs
        original(self, valid, errors, read)

    monkeypatch.setattr(upload_validation._StagingWriter, "flush", killed_after_the_first_batch)
    with pytest.raises(KeyboardInterrupt):
        uploads.upload_validate(upload=queued)
    monkeypatch.setattr(upload_validation._StagingWriter, "flush", original)
    assert Upload.objects.get(pk=queued.pk).status == Upload.Status.VALIDATING
    assert UploadRow.objects.filter(upload=queued).count() == 2
    with later(LEASE / 2):
        assert sweep(django_capture_on_commit_callbacks) == 0  # it may still be alive
        assert uploads.upload_validate(upload=queued).status == Upload.Status.VALIDATING  # a redelivery waits too
    with later(LEASE + dt.timedelta(seconds=1)):
        assert sweep(django_capture_on_commit_callbacks) == 1
    checked_exactly_once(queued)


def test_a_decision_whose_task_was_lost_is_carried_out_once_past_the_lease(
        queued, maker, django_capture_on_commit_callbacks):
    uploads.upload_validate(upload=queued)
    with django_capture_on_commit_callbacks(execute=False):  # the broker loses the decision
        uploads.upload_decide(upload=Upload.objects.get(pk=queued.pk), action="submit", actor=maker)
    assert sweep(django_capture_on_commit_callbacks) == 0
    assert Upload.objects.get(pk=queued.pk).working_on == "submit"
    with later(LEASE + dt.timedelta(seconds=1)):
        assert sweep(django_capture_on_commit_callbacks) == 1
        assert sweep(django_capture_on_commit_callbacks) == 0
    upload = Upload.objects.get(pk=queued.pk)
    assert (upload.status, upload.working_on, upload.submitted_by, upload.bills_created) == (
        Upload.Status.SUBMITTED, "", maker, 5)
    assert Bill.objects.filter(upload=upload).count() == 5


def test_a_rejection_queued_again_keeps_the_approvers_reason(
        queued, company, maker, django_capture_on_commit_callbacks):
    company.approval_for_upload = True
    company.save()
    approver = UserFactory(company=company, user_id="approver", is_maker=False, is_approver=True)
    uploads.upload_validate(upload=queued)
    with django_capture_on_commit_callbacks(execute=True):
        uploads.upload_submit(upload=Upload.objects.get(pk=queued.pk), actor=maker)
    with django_capture_on_commit_callbacks(execute=False):
        uploads.upload_decide(upload=Upload.objects.get(pk=queued.pk), action="reject", actor=approver,
                              reason="Wrong month")
    with later(LEASE + dt.timedelta(seconds=1)):
        assert sweep(django_capture_on_commit_callbacks) == 1
    upload = Upload.objects.get(pk=queued.pk)
    assert (upload.status, upload.rejected_by, upload.rejection_reason) == (
        Upload.Status.REJECTED, approver, "Wrong month")
