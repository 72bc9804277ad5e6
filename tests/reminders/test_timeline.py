"""A bill's timeline reads in the reader's language, though its reasons are stored in English."""

from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from reminders import timeline
from reminders.models import BillSource
from reminders.services import bill_cancel, bill_create
from tests.factories import bill_row, registered_code

ROOT = Path(settings.BASE_DIR)


@pytest.mark.django_db
def test_reasons_are_stored_in_english_whoever_acted_and_shown_in_the_readers_language(company):
    registration = registered_code(company, code="89123")
    with translation.override("id"):  # an Indonesian-speaking maker at the console
        bill = bill_create(registration=registration, row=bill_row(), source=BillSource.CONSOLE)
        bill_cancel(bill=bill)
    events = list(bill.events.order_by("at", "id"))
    assert [e.reason for e in events] == ["Received through Single entry", "Cancelled"]
    with translation.override("id"):
        assert [e.reason_text for e in events] == ["Diterima melalui Input satuan", "Dibatalkan"]
        assert events[1].actor_text == "sistem"
    with translation.override("en"):
        assert [e.reason_text for e in events] == ["Received through Single entry", "Cancelled"]
        assert events[1].actor_text == "system"


@pytest.mark.parametrize(("stored", "indonesian"), [
    ("The payer's phone has no Livin' app", "Nomor HP pembayar tidak memiliki aplikasi Livin'"),
    ("Pushed to Livin' and shown", "Push terkirim ke Livin' dan tagihan ditampilkan"),
    ("The display window ended", "Masa tampil telah berakhir"),
    ("Received through File upload (upload #42)", "Diterima melalui Unggah file (unggahan #42)"),
    ("Upload #42 approved", "Unggahan #42 disetujui"),
    ("Upload #42 rejected: wrong month", "Unggahan #42 ditolak: wrong month"),
    ("Upload #42 withdrawn by the maker", "Unggahan #42 ditarik kembali oleh maker"),
    ("Paid through mbp, payment PAY1234", "Dibayar melalui mbp, pembayaran PAY1234"),
    ("Not delivered before its end after 7 attempts: timeout", "Tidak terkirim sebelum tanggal berakhirnya "
                                                                "setelah 7 percobaan: timeout"),
    ("Not delivered before its end after 1 attempt: timeout", "Tidak terkirim sebelum tanggal berakhirnya "
                                                              "setelah 1 percobaan: timeout"),
    ("Bill Reminder stopped for biller code 89123", "Bill Reminder dihentikan untuk kode biller 89123"),
    ("Found in Livin' on look-up 2 of 3 after the first",
     "Ditemukan di Livin' pada pencarian ulang ke-2 dari 3"),
    ("Not in Livin' on look-up 1 of 3 after the first",
     "Belum ada di Livin' pada pencarian ulang ke-1 dari 3"),
])
def test_the_reasons_the_system_writes_read_in_indonesian(stored, indonesian):
    with translation.override("id"):
        assert timeline.reason_text(stored) == indonesian


@pytest.mark.parametrize("attempts", [1, 7])
def test_a_count_in_a_reason_reads_in_english_with_its_plural_right(attempts):
    stored = f"Not delivered before its end after {attempts} attempt{'' if attempts == 1 else 's'}: timeout"
    with translation.override("en"):
        assert timeline.reason_text(stored) == stored


def test_a_reason_a_person_typed_is_shown_as_typed():
    with translation.override("id"):
        assert timeline.reason_text("Customer paid at the branch") == "Customer paid at the branch"
        assert timeline.reason_text("") == ""


def test_the_sentences_the_timeline_knows_are_still_the_ones_the_services_write():
    """Reword a reason in a service and this fails: update reminders/timeline.py with it."""
    paths = [ROOT / "notifications/services.py", ROOT / "reminders/services.py",
             *sorted((ROOT / "reminders/uploads").glob("*.py"))]
    sources = "".join(path.read_text() for path in paths)
    for sentence in timeline.FIXED:
        assert f'"{sentence}"' in sources, sentence
    for stem in ("Received through {", "(upload #{upload.pk})", "Upload #{upload.pk} approved",
                 "Upload #{upload.pk} rejected", "Upload #{upload.pk} withdrawn by the maker",
                 "Paid through {channel}, payment {payment_reference}",
                 'f"{attempts} attempt" if attempts == 1 else f"{attempts} attempts"',
                 "Not delivered before its end after {tries}: {error}",
                 "Livin' refused the push: {refused}", "Bill Reminder stopped for biller code {registration.code}",
                 "Found in Livin' on look-up {check} of {checks} after the first",
                 "Not in Livin' on look-up {bill.rechecks + 1} of {checks} after the first",
                 "quota left: looked up again later", "has another active or newer reminder: not looked up again"):
        assert stem in sources, stem
