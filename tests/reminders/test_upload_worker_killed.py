"""The pool processes of a worker killed (SIGKILL) while it checks an upload, as the
out-of-memory killer does: the worker replaces them, takes new work, and the check starts
over once its lease has run out (the killed task comes back at once and finds the lease
still held; beat's stalled-upload sweep queues it again), each row staged once."""

import datetime as dt
import os
import signal
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count

from core.models import Heartbeat
from core.time import WIB
from kopra.celery import app as celery_app
from reminders import uploads
from reminders.models import Upload, UploadRow
from tests.conftest import pool_children
from tests.factories import registered_code

pytestmark = [pytest.mark.real_broker, pytest.mark.django_db(transaction=True)]

ROWS = 100_000


def bill_file(rows: int) -> bytes:
    today = dt.datetime.now(WIB).date()
    start, end = today.strftime("%d/%m/%Y"), (today + dt.timedelta(days=30)).strftime("%d/%m/%Y")
    lines = ["bill_key,payer_phone,payer_name,amount,start_date,end_date"]
    lines += [f"K{i},0812{i % 10_000_000:08d},Budi,150000,{start},{end}" for i in range(rows)]
    return ("\r\n".join(lines) + "\r\n").encode()


def test_an_upload_check_whose_pool_is_killed_finishes_with_each_row_staged_once(
    celery_worker_process, company, maker, settings, tmp_path, unique
):
    settings.MEDIA_ROOT = tmp_path / "var" / "media"  # where the worker reads the file too
    registration = registered_code(company, quota=10, code="70001")
    worker = celery_worker_process(concurrency=2, extra_env={"KOPRA_VAR_DIR": str(tmp_path / "var"),
                                                             "UPLOAD_LEASE_SECONDS": "3"})
    upload = uploads.upload_receive(registration=registration, actor=maker,
                                    uploaded_file=SimpleUploadedFile("bills.csv", bill_file(ROWS)))

    deadline = time.monotonic() + 60
    while not Upload.objects.filter(pk=upload.pk, rows_read__gt=0).exists():
        assert time.monotonic() < deadline and worker.poll() is None, "the check never started"
        time.sleep(0.02)
    children = pool_children(worker.pid)
    assert len(children) == 2
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    upload.refresh_from_db()
    assert upload.status == Upload.Status.VALIDATING, "killed in the middle of the check"
    assert upload.rows_read < ROWS

    alive = f"after-kill-{unique}"
    celery_app.send_task("core.heartbeat", kwargs={"name": alive})
    deadline = time.monotonic() + 120
    while upload.status == Upload.Status.VALIDATING:
        assert worker.poll() is None, "the worker died"
        assert time.monotonic() < deadline, f"the check never finished: {upload.rows_read} rows read"
        celery_app.send_task("reminders.requeue_stalled_uploads")  # beat's tick; here the test plays beat
        time.sleep(2)
        upload.refresh_from_db()

    assert Heartbeat.objects.filter(name=alive).exists(), "a task sent after the kill never ran"
    assert (upload.status, upload.rows_total, upload.valid_rows, upload.invalid_rows) == (
        Upload.Status.VALIDATED, ROWS, ROWS, 0)
    staged = UploadRow.objects.filter(upload=upload)
    assert staged.count() == ROWS
    assert not staged.values("row_number").annotate(n=Count("pk")).filter(n__gt=1).exists(), "a row staged twice"
