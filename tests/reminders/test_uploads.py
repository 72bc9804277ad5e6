"""Bill file uploads end to end: receive, background check, report, submit, approve, discard."""

import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import time_machine
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile

from core.errors import Conflict, InsufficientQuota, InvalidInput, NotAllowed
from core.models import AuditEvent
from core.time import WIB
from fileformat import RowValues
from quota.models import LedgerEntry
from quota.selectors import ledger_mismatches, quota_summary
from reminders import uploads
from reminders.models import Bill, BillEvent, BillSource, BillStatus, Upload, UploadError, UploadRow
from reminders.services import bill_cancel, bill_create
from reminders.uploads import report as upload_report
from reminders.uploads import validate as upload_validation
from tests.factories import UserFactory, registered_code

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "uploads"
# The fixture files show bills in January-March 2027.
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=WIB)
HEADER = "bill_key,payer_phone,payer_name,amount,start_date,end_date,partner_reference_no"


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
def receive(registration, maker, django_capture_on_commit_callbacks):
    """Uploads ``data`` as ``name`` and runs the background check; returns the upload as the report shows it."""

    def receive(name, data, *, actor=maker, to=registration):
        with django_capture_on_commit_callbacks(execute=True):
            upload = uploads.upload_receive(registration=to, uploaded_file=SimpleUploadedFile(name, data),
                                            actor=actor)
        upload.refresh_from_db()
        return upload

    return receive


@pytest.fixture
def submit(maker, django_capture_on_commit_callbacks):
    def submit(upload, *, actor=maker):
        with django_capture_on_commit_callbacks(execute=True):
            return uploads.upload_submit(upload=upload, actor=actor)

    return submit


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode()


def row(key="K1", phone="081234567890", name="Budi", amount="150000", start="01/12/2026", end="31/12/2026",
        reference=""):
    return ",".join([key, phone, name, amount, start, end, reference])


def errors_of(upload):
    return [(e.row_number, e.column, e.value, e.code) for e in uploads.upload_errors(upload)]


def staged(upload):
    return {r.bill_key: r for r in UploadRow.objects.filter(upload=upload, problem="")}


def wib(*args):
    return dt.datetime(*args, tzinfo=WIB)


# --- Files as Excel, LibreOffice, Google Sheets and billing systems write them -----------


def test_a_utf8_csv_with_bom_crlf_quotes_and_trailing_empty_rows_becomes_bills_exactly(receive, submit):
    upload = receive("bills.csv", fixture("bills_utf8_bom_crlf.csv"))
    assert upload.status == Upload.Status.VALIDATED
    assert (upload.rows_total, upload.valid_rows, upload.invalid_rows) == (3, 3, 0)
    submit(upload)
    bills = {b.bill_key: b for b in Bill.objects.filter(upload=upload)}
    first, second, third = bills["INV-001"], bills["INV-002"], bills["INV-003"]
    assert (first.payer_name, first.description) == ("Santoso, Budi", 'Tagihan "air" Januari')
    assert first.payer_phone == "+6281234567890" and first.amount == Decimal("150000.00")
    assert first.start_at == wib(2027, 1, 1, 0, 0) and first.end_at == wib(2027, 1, 31, 23, 59, 59)
    assert second.payer_phone == "+6281234567891" and second.amount == Decimal("150000.50")
    assert second.start_at == wib(2027, 1, 1, 8, 0) and second.end_at == wib(2027, 2, 15, 17, 30)
    assert third.payer_phone == "+6281234567892" and third.payer_name == "José Müller"
    assert third.amount == Decimal("1500000.00") and third.partner_reference_no is None
    assert first.partner_reference_no == "REF-001"
    assert {b.source for b in bills.values()} == {BillSource.UPLOAD}


def test_a_windows_1252_csv_with_semicolons_and_indonesian_headers_is_read(receive):
    upload = receive("tagihan.csv", fixture("bills_cp1252_semicolon.csv"))
    assert (upload.valid_rows, upload.invalid_rows) == (2, 0), errors_of(upload)
    rows = staged(upload)
    assert rows["INV-101"].payer_name == "Renée Dubois" and rows["INV-101"].payer_phone == "+6281234567890"
    assert rows["INV-102"].payer_name == "Jürgen Weiß" and rows["INV-102"].amount == Decimal("150000.00")
    assert rows["INV-102"].payer_phone == "+6281234567891"
    assert upload.columns["payer_phone"] == "No HP"


def test_an_unknown_column_is_reported_and_bad_cells_are_listed_with_row_column_value_and_reason(receive):
    upload = receive("bills.csv", fixture("bills_utf8_unknown_column.csv"))
    assert upload.status == Upload.Status.VALIDATED
    assert (upload.rows_total, upload.valid_rows, upload.invalid_rows) == (2, 1, 1)
    assert upload.warnings_text == ["Column notes is not a bill column; its values are ignored."]
    found = errors_of(upload)
    assert {(r, c, v) for r, c, v, _code in found} >= {(3, "payer_phone", "021123456"), (3, "amount", "0"),
                                                       (3, "start_date", "31/02/2027")}
    reasons = {e.column: e.text for e in uploads.upload_errors(upload)}
    assert reasons["amount"] == "The amount must be more than 0 (got 0)."
    assert "31/02/2027 is not a real date" in reasons["start_date"]


def test_an_openpyxl_workbook_with_number_cells_dates_and_formulas_is_read(receive):
    upload = receive("bills.xlsx", fixture("bills_openpyxl.xlsx"))
    assert (upload.rows_total, upload.valid_rows, upload.invalid_rows) == (5, 3, 2)
    rows = staged(upload)
    number_cells = rows["INV-301"]
    assert number_cells.payer_phone == "+6281234567890"  # a number cell that lost its leading zero
    assert number_cells.partner_reference_no == "1234567890"
    assert rows["INV-302"].amount == Decimal("150000.50") and rows["INV-302"].start_at == wib(2027, 1, 1, 8, 0)
    cached = rows["1234567890"]  # a number bill key, a phone in scientific notation, a cached formula result
    assert cached.payer_phone == "+6281234567890" and cached.amount == Decimal("300000.00")
    assert cached.start_at == wib(2027, 1, 1)  # Excel serial 46388
    assert {(r, code) for r, _c, _v, code in errors_of(upload)} == {
        (5, "cell_error_value"), (6, "formula_without_value")}


def test_a_csv_converted_by_libreoffice_in_an_indonesian_locale_is_read_as_meant(receive):
    upload = receive("bills.xlsx", fixture("libreoffice_converted.xlsx"))
    assert (upload.valid_rows, upload.invalid_rows) == (3, 0), errors_of(upload)
    rows = staged(upload)
    assert rows["INV-401"].payer_phone == "+6281234567890"
    assert rows["INV-402"].payer_phone == "+6281234567891" and rows["INV-402"].amount == Decimal("150000.50")
    assert rows["INV-403"].start_at == wib(2027, 1, 15, 8, 0)


def test_formulas_saved_by_libreoffice_are_read_from_their_results(receive):
    upload = receive("bills.xlsx", fixture("libreoffice_formulas.xlsx"))
    rows = staged(upload)
    assert rows["INV-501"].end_at == wib(2027, 1, 31, 23, 59, 59)
    assert rows["INV-502"].amount == Decimal("150000.00") and rows["INV-502"].partner_reference_no == "INV-501-B"


def test_phone_amount_and_date_writings_of_the_format_are_all_accepted(receive):
    upload = receive("bills.csv", csv_file(
        row("K1", '"+62 812-3456-7890"', amount='"Rp 150.000"', start="2026-12-02T08:00:00+07:00"),
        row("K2", "'081234567891", amount='"150,000"', start="02-12-2026", end="31/12/2026 17:00"),
        row("K3", '"(0812) 3456 7892"', amount='"150000,50"'),
        row("K4", "8.1234567893E+10", amount="150000.50"),
    ))
    assert (upload.valid_rows, upload.invalid_rows) == (4, 0), errors_of(upload)
    rows = staged(upload)
    assert [rows[k].payer_phone for k in ("K1", "K2", "K3", "K4")] == [
        "+6281234567890", "+6281234567891", "+6281234567892", "+6281234567893"]
    assert [rows[k].amount for k in ("K1", "K2", "K3", "K4")] == [
        Decimal("150000"), Decimal("150000"), Decimal("150000.50"), Decimal("150000.50")]
    assert rows["K2"].end_at == wib(2026, 12, 31, 17, 0)


# --- Problems between rows and with the database ----------------------------------------


def test_a_bill_key_repeated_in_the_file_keeps_the_first_row_and_flags_the_rest(receive, submit):
    upload = receive("bills.csv", csv_file(row("K1"), row("K2"), row("K1", name="Again"), row("K1", name="Thrice")))
    assert (upload.rows_total, upload.valid_rows, upload.duplicate_rows) == (4, 2, 2)
    repeated = list(uploads.upload_errors(upload))
    assert [(e.row_number, e.column, e.value, e.code) for e in repeated] == [
        (4, "bill_key", "K1", "duplicate_in_file"), (5, "bill_key", "K1", "duplicate_in_file")]
    assert repeated[0].text.startswith("The bill key K1 is also in row 2; only that first row is kept.")
    submit(upload)
    assert list(Bill.objects.filter(bill_key="K1").values_list("payer_name", flat=True)) == ["Budi"]


def test_a_reference_repeated_in_the_file_is_flagged_so_the_bulk_insert_never_collides(receive):
    upload = receive("bills.csv", csv_file(row("K1", reference="R1"), row("K2", reference="R1")))
    assert (upload.valid_rows, upload.duplicate_rows) == (1, 1)
    assert errors_of(upload) == [(3, "partner_reference_no", "R1", "duplicate_reference_in_file")]


def _active_bill(registration, key, reference=None):
    values = RowValues(row_number=1, bill_key=key, payer_phone="+6281234567899", payer_name="", amount=Decimal(1),
                       description="", start_at=wib(2026, 12, 2), end_at=wib(2026, 12, 20),
                       partner_reference_no=reference or "")
    return bill_create(registration=registration, row=values, source=BillSource.API)


def test_a_bill_key_with_an_active_reminder_is_counted_and_skipped(receive, submit, registration):
    _active_bill(registration, "K1")
    upload = receive("bills.csv", csv_file(row("K1"), row("K2")))
    assert (upload.valid_rows, upload.active_conflicts) == (1, 1)
    assert errors_of(upload) == [(2, "bill_key", "K1", "active_reminder")]
    submit(upload)
    assert Bill.objects.filter(bill_key="K1").count() == 1
    assert Bill.objects.filter(upload=upload).count() == 1


def test_every_problem_between_rows_or_with_the_database_is_reported_with_its_own_reason(receive, registration):
    _active_bill(registration, "K9")
    _active_bill(registration, "OLD", reference="R9")
    upload = receive("bills.csv", csv_file(row("K1", reference="R1"), row("K1", reference="R2"),
                                           row("K2", reference="R1"), row("K9", reference="R3"),
                                           row("K3", reference="R9"), row("K4")))
    reported = [(e.row_number, e.column, e.value, e.code, e.params, e.message) for e in uploads.upload_errors(upload)]
    assert [line[:5] for line in reported] == [
        (3, "bill_key", "K1", "duplicate_in_file", {"key": "K1", "first": 2}),
        (4, "partner_reference_no", "R1", "duplicate_reference_in_file", {"reference": "R1", "first": 2}),
        (5, "bill_key", "K9", "active_reminder", {"key": "K9"}),
        (6, "partner_reference_no", "R9", "reference_used", {"reference": "R9"}),
    ]
    assert [line[5] for line in reported] == [
        uploads.MESSAGES[code] for code in ("duplicate_in_file", "duplicate_reference_in_file", "active_reminder",
                                            "reference_used")]
    assert (upload.valid_rows, upload.invalid_rows, upload.duplicate_rows, upload.active_conflicts) == (2, 1, 2, 1)


def test_rows_that_ended_or_gained_an_active_reminder_since_the_check_are_each_reported_at_submit(
        receive, submit, registration):
    upload = receive("bills.csv", csv_file(row("K1", end="02/12/2026"), row("K2"), row("K3")))
    _active_bill(registration, "K3")
    with time_machine.travel(dt.datetime(2026, 12, 3, 9, 0, tzinfo=WIB), tick=True):
        upload = submit(upload)
    reported = [(e.row_number, e.column, e.value, e.code, e.params, e.message) for e in uploads.upload_errors(upload)]
    assert reported == [
        (2, "end_date", "02/12/2026 23:59 WIB", "ended_since_check", {"end": "02/12/2026 23:59 WIB"},
         uploads.MESSAGES["ended_since_check"]),
        (4, "bill_key", "K3", "active_reminder", {"key": "K3"}, uploads.MESSAGES["active_reminder"]),
    ]
    assert (upload.bills_created, upload.skipped_at_submit) == (1, 2)


def test_a_reference_already_used_by_the_company_is_an_invalid_row(receive, registration):
    _active_bill(registration, "OLD", reference="R1")
    upload = receive("bills.csv", csv_file(row("K1", reference="R1"), row("K2")))
    assert (upload.valid_rows, upload.invalid_rows) == (1, 1)
    assert errors_of(upload) == [(2, "partner_reference_no", "R1", "reference_used")]


def test_rows_whose_bill_key_gained_an_active_reminder_since_the_check_are_skipped_and_reported(
        receive, submit, registration):
    upload = receive("bills.csv", csv_file(row("K1"), row("K2"), row("K3")))
    assert upload.valid_rows == 3
    _active_bill(registration, "K2")
    upload = submit(upload)
    assert (upload.bills_created, upload.skipped_at_submit) == (2, 1)
    assert sorted(Bill.objects.filter(upload=upload).values_list("bill_key", flat=True)) == ["K1", "K3"]
    assert errors_of(upload) == [(3, "bill_key", "K2", "active_reminder")]
    assert LedgerEntry.objects.get(reference=f"upload:{upload.pk}").units == 2


def test_rows_whose_end_passed_since_the_check_are_skipped(receive, submit):
    upload = receive("bills.csv", csv_file(row("K1", end="02/12/2026"), row("K2")))
    with time_machine.travel(dt.datetime(2026, 12, 3, 9, 0, tzinfo=WIB)):
        upload = submit(upload)
    assert (upload.bills_created, upload.skipped_at_submit) == (1, 1)
    ended = uploads.upload_errors(upload).get()
    assert (ended.row_number, ended.column, ended.value) == (2, "end_date", "02/12/2026 23:59 WIB")
    assert ended.text == "The end date 02/12/2026 23:59 WIB has passed since the file was checked; this row is skipped."


# --- Quota, submit, approval ------------------------------------------------------------


def test_submit_creates_the_bills_with_one_reservation_of_n_units_and_one_audit_line(receive, submit, registration,
                                                                                    maker):
    upload = receive("bills.csv", csv_file(row("K1"), row("K2"), row("K3")))
    upload = submit(upload)
    assert upload.status == Upload.Status.SUBMITTED and upload.bills_created == 3
    bills = Bill.objects.filter(upload=upload)
    assert bills.count() == 3 and set(bills.values_list("status", flat=True)) == {BillStatus.RECEIVED}
    assert set(bills.values_list("created_by", flat=True)) == {maker.pk}
    assert len(set(bills.values_list("reference_no", flat=True))) == 3
    reservations = LedgerEntry.objects.filter(account__registration=registration, kind=LedgerEntry.Kind.RESERVE)
    assert list(reservations.values_list("units", "reference")) == [(3, f"upload:{upload.pk}")]
    assert quota_summary(registration)["reserved"] == 3
    assert BillEvent.objects.filter(bill__upload=upload, to_status=BillStatus.RECEIVED).count() == 3
    assert AuditEvent.objects.filter(action="upload.submitted").count() == 1
    assert not UploadRow.objects.filter(upload=upload).exists()  # the staging rows are purged


def test_submit_is_refused_while_quota_is_short_and_nothing_is_created(receive, submit, company):
    short = registered_code(company, quota=2, code="70002")
    upload = receive("bills.csv", csv_file(row("K1"), row("K2"), row("K3")), to=short)
    with pytest.raises(InsufficientQuota) as refused:
        submit(upload)
    assert refused.value.message == ("Not enough quota for 70002 (needed: 3, available: 2): top up at least 1 push "
                                     "before you submit.")
    upload.refresh_from_db()
    assert upload.status == Upload.Status.VALIDATED
    assert not Bill.objects.exists()
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.RESERVE).exists()
    assert UploadRow.objects.filter(upload=upload).count() == 3


def test_a_company_that_approves_uploads_holds_the_bills_until_another_approver_approves(
        receive, submit, company, registration, maker, approver):
    company.approval_for_upload = True
    company.save()
    upload = submit(receive("bills.csv", csv_file(row("K1"), row("K2"))))
    assert upload.status == Upload.Status.PENDING_APPROVAL
    assert set(Bill.objects.filter(upload=upload).values_list("status", flat=True)) == {BillStatus.PENDING_APPROVAL}
    assert quota_summary(registration)["reserved"] == 2

    maker.is_approver = True
    maker.save()
    with pytest.raises(NotAllowed, match="another approver"):
        uploads.upload_approve(upload=upload, approver=maker)

    upload = uploads.upload_approve(upload=upload, approver=approver)
    assert upload.status == Upload.Status.SUBMITTED and upload.approved_by == approver
    assert set(Bill.objects.filter(upload=upload).values_list("status", flat=True)) == {BillStatus.RECEIVED}
    timeline = BillEvent.objects.filter(bill__upload=upload).order_by("bill", "id")
    assert [(e.from_status, e.to_status) for e in timeline] == [
        ("", "PENDING_APPROVAL"), ("PENDING_APPROVAL", "RECEIVED")] * 2
    assert quota_summary(registration)["reserved"] == 2


def test_the_uploader_cannot_approve_what_another_maker_submitted(receive, submit, company, maker):
    company.approval_for_upload = True
    company.save()
    uploader = UserFactory(company=company, user_id="uploader", is_maker=True, is_approver=True)
    upload = receive("bills.csv", csv_file(row("K1")), actor=uploader)
    upload = submit(upload, actor=maker)
    with pytest.raises(NotAllowed):
        uploads.upload_approve(upload=upload, approver=uploader)


def test_a_rejected_upload_cancels_its_bills_and_releases_their_quota(receive, submit, company, registration,
                                                                      approver):
    company.approval_for_upload = True
    company.save()
    upload = submit(receive("bills.csv", csv_file(row("K1"), row("K2"), row("K3"))))
    bill_cancel(bill=Bill.objects.get(bill_key="K1"), actor_label="test")  # one released on its own
    upload = uploads.upload_reject(upload=upload, approver=approver, reason="Wrong month")
    assert upload.status == Upload.Status.REJECTED and upload.rejection_reason == "Wrong month"
    assert set(Bill.objects.filter(upload=upload).values_list("status", flat=True)) == {BillStatus.CANCELLED}
    release = LedgerEntry.objects.get(kind=LedgerEntry.Kind.RELEASE, reference=f"upload:{upload.pk}")
    assert release.units == -2
    assert quota_summary(registration) == {"balance": 100, "reserved": 0, "available": 100, "low": False}
    assert ledger_mismatches() == []


def test_the_maker_can_withdraw_an_upload_waiting_for_approval(receive, submit, company, registration, maker):
    company.approval_for_upload = True
    company.save()
    upload = submit(receive("bills.csv", csv_file(row("K1"))))
    upload = uploads.upload_discard(upload=upload, actor=maker)
    assert upload.status == Upload.Status.DISCARDED
    assert Bill.objects.get(bill_key="K1").status == BillStatus.CANCELLED
    assert quota_summary(registration)["reserved"] == 0


def test_a_discarded_upload_creates_nothing_and_cannot_be_submitted(receive, submit, maker):
    upload = receive("bills.csv", csv_file(row("K1")))
    upload = uploads.upload_discard(upload=upload, actor=maker)
    assert upload.status == Upload.Status.DISCARDED
    with pytest.raises(Conflict):
        submit(upload)
    assert not Bill.objects.exists()


def test_the_ledger_balances_when_bills_of_an_upload_are_then_cancelled_one_by_one(receive, submit, registration):
    upload = submit(receive("bills.csv", csv_file(row("K1"), row("K2"))))
    bill_cancel(bill=Bill.objects.get(upload=upload, bill_key="K2"), actor_label="test")
    assert quota_summary(registration)["reserved"] == 1
    assert ledger_mismatches() == []


def test_a_submit_with_no_valid_row_is_refused(receive, submit):
    upload = receive("bills.csv", csv_file(row("K1", phone="123")))
    with pytest.raises(Conflict, match="No row of this upload can be sent"):
        submit(upload)


def test_only_a_maker_of_the_company_uploads_and_submits(receive, company, other_company, registration):
    viewer = UserFactory(company=company, is_maker=False, is_viewer=True)
    with pytest.raises(NotAllowed):
        receive("bills.csv", csv_file(row()), actor=viewer)
    stranger = UserFactory(company=other_company, is_maker=True)
    upload = receive("bills.csv", csv_file(row()))
    with pytest.raises(NotAllowed):
        uploads.upload_submit(upload=upload, actor=stranger)


def test_a_stopped_biller_code_takes_no_upload(receive, registration):
    registration.status = registration.Status.STOPPED
    registration.save()
    with pytest.raises(NotAllowed, match="stopped"):
        receive("bills.csv", csv_file(row()))


# --- Decisions carried out by the worker -------------------------------------------------


def test_a_decision_is_checked_at_once_and_carried_out_by_the_worker(receive, maker,
                                                                   django_capture_on_commit_callbacks):
    upload = receive("bills.csv", csv_file(row("K1"), row("K2")))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        asked = uploads.upload_decide(upload=upload, action="submit", actor=maker)
    assert asked.working_on == "submit" and not Bill.objects.exists()
    for callback in queued:
        callback()
    upload.refresh_from_db()
    assert (upload.status, upload.working_on, upload.bills_created) == (Upload.Status.SUBMITTED, "", 2)
    # A redelivered task finds nothing left to do.
    assert uploads.upload_decision_carry_out(upload_id=upload.pk, action="submit", actor_id=maker.pk) is None
    assert Bill.objects.count() == 2


def test_a_short_quota_is_refused_when_asked_with_the_numbers(receive, company, maker):
    short = registered_code(company, quota=1, code="70002")
    upload = receive("bills.csv", csv_file(row("K1"), row("K2")), to=short)
    with pytest.raises(InsufficientQuota, match=r"\(needed: 2, available: 1\): top up at least 1 push before"):
        uploads.upload_decide(upload=upload, action="submit", actor=maker)
    upload.refresh_from_db()
    assert upload.working_on == "" and upload.status == Upload.Status.VALIDATED


def test_a_refusal_found_by_the_worker_is_kept_on_the_upload(receive, registration, maker):
    upload = receive("bills.csv", csv_file(row("K1"), row("K2")))
    uploads.upload_decide(upload=upload, action="submit", actor=maker)  # queued, not yet carried out
    from quota.services import quota_reserve

    quota_reserve(registration=registration, units=99, reference="elsewhere")
    upload = uploads.upload_decision_carry_out(upload_id=upload.pk, action="submit", actor_id=maker.pk)
    assert (upload.status, upload.working_on) == (Upload.Status.VALIDATED, "")
    assert upload.decision_error.startswith("Not enough quota for 70001 (needed: 2, available: 1): "
                                            "top up at least 1 push")
    assert not Bill.objects.filter(upload=upload).exists()


def test_no_second_decision_while_one_is_under_way(receive, maker):
    upload = receive("bills.csv", csv_file(row("K1")))
    uploads.upload_decide(upload=upload, action="submit", actor=maker)
    with pytest.raises(Conflict, match="already being worked on"):
        uploads.upload_decide(upload=upload, action="discard", actor=maker)
    with pytest.raises(Conflict, match="already being worked on"):
        uploads.upload_discard(upload=upload, actor=maker)


def test_an_approval_asked_by_the_submitter_is_refused_at_once(receive, submit, company, maker):
    company.approval_for_upload = True
    company.save()
    maker.is_approver = True
    maker.save()
    upload = submit(receive("bills.csv", csv_file(row("K1"))))
    with pytest.raises(NotAllowed, match="another approver"):
        uploads.upload_decide(upload=upload, action="approve", actor=maker)


# --- The same file again ----------------------------------------------------------------


def test_the_same_file_uploaded_again_within_30_days_is_flagged(receive):
    data = csv_file(row("K1"))
    first = receive("bills.csv", data)
    again = receive("renamed.csv", data)
    assert again.duplicate_of == first
    assert receive("bills.csv", csv_file(row("K2"))).duplicate_of is None
    with time_machine.travel(NOW + dt.timedelta(days=31)):
        assert receive("bills.csv", data).duplicate_of is None


# --- Bad files: refused with a clear message, no bill touched ----------------------------


def _nothing_touched():
    assert not Bill.objects.exists()
    assert not UploadRow.objects.exists()
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.RESERVE).exists()


@pytest.mark.parametrize("name, code, says", [
    ("bills.txt", "unsupported_format", "Only .xlsx and .csv files are accepted"),
    ("bills.xls", "unsupported_format", "Old Excel files (.xls) are not accepted"),
    ("bills.xlsm", "macros", "macros"),
    ("..\\..\\bills.csv", "bad_filename", "not a plain file name"),
])
def test_a_file_with_a_bad_name_is_refused_before_it_is_stored(receive, name, code, says):
    with pytest.raises(InvalidInput) as refused:
        receive(name, csv_file(row()))
    assert refused.value.code == code and says in refused.value.message
    assert not Upload.objects.exists()


def test_a_path_in_the_file_name_is_refused(registration, maker):
    with pytest.raises(InvalidInput, match="not a plain file name"):
        uploads.upload_receive(registration=registration, uploaded_file=File(io.BytesIO(b"x"), name="../evil.csv"),
                               actor=maker)
    assert not Upload.objects.exists()


def test_a_file_over_the_size_limit_is_refused_naming_the_limit(receive, settings):
    settings.UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    with pytest.raises(InvalidInput) as refused:
        receive("bills.csv", csv_file(row()) + b" " * (3 * 1024 * 1024))
    assert refused.value.code == "too_large"
    assert refused.value.message == "The file is 3.0 MB; the limit is 2.0 MB."
    assert not Upload.objects.exists()


def test_a_file_over_the_row_limit_is_refused_and_nothing_stays_staged(receive, settings):
    settings.UPLOAD_MAX_ROWS = 3
    upload = receive("bills.csv", csv_file(*(row(f"K{i}") for i in range(4))))
    assert upload.status == Upload.Status.REFUSED and upload.refusal_code == "too_many_rows"
    assert upload.refusal_text == "The file has more than 3 rows of bills (the limit). Split it into smaller files."
    _nothing_touched()


def test_an_encrypted_workbook_is_refused_asking_to_remove_the_password(receive):
    upload = receive("bills.xlsx", fixture("encrypted_password_rahasia.xlsx"))
    assert upload.status == Upload.Status.REFUSED and upload.refusal_code == "encrypted"
    assert "password" in upload.refusal_text
    _nothing_touched()


def _workbook_with_sheet(sheet_xml_chunks) -> bytes:
    """A real openpyxl workbook whose first sheet's XML is replaced by ``sheet_xml_chunks``."""
    template = io.BytesIO()
    workbook = openpyxl.Workbook()
    workbook.active.append(["bill_key"])
    workbook.save(template)
    out = io.BytesIO()
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with target.open(info.filename, "w", force_zip64=True) as part:
                    for chunk in sheet_xml_chunks:
                        part.write(chunk)
            else:
                target.writestr(info, source.read(info.filename))
    return out.getvalue()


def test_a_zip_bomb_is_refused_without_being_read(receive):
    main = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    spaces = b" " * (8 * 1024 * 1024)
    bomb = _workbook_with_sheet([b'<worksheet xmlns="' + main + b'"><sheetData>', *[spaces] * 8,
                                 b"</sheetData></worksheet>"])
    assert len(bomb) < 1024 * 1024
    upload = receive("bills.xlsx", bomb)
    assert upload.status == Upload.Status.REFUSED and upload.refusal_code == "zip_bomb"
    assert "zip bomb" in upload.refusal_text
    _nothing_touched()


def test_an_xml_entity_bomb_is_refused(receive):
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%s;" % (b"" if i == 1 else str(i - 1).encode())) * 10)
                         for i in range(1, 10)) + b"]>")
    main = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    upload = receive("bills.xlsx", _workbook_with_sheet([
        laughs, b'<worksheet xmlns="' + main + b'"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t>'
                b"</is></c></row></sheetData></worksheet>"]))
    assert upload.status == Upload.Status.REFUSED
    assert "declarations" in upload.refusal_text
    _nothing_touched()


def test_a_workbook_named_csv_is_refused_as_not_what_its_name_says(receive):
    upload = receive("bills.csv", fixture("bills_openpyxl.xlsx"))
    assert upload.status == Upload.Status.REFUSED and upload.refusal_code == "content_mismatch"
    _nothing_touched()


def test_a_file_without_a_recognised_header_is_refused(receive):
    upload = receive("bills.csv", b"name,phone\nBudi,0812\n")
    assert upload.status == Upload.Status.REFUSED and upload.refusal_code == "no_header"
    assert "No bill column was recognised in the first row" in upload.refusal_text
    _nothing_touched()


def test_a_refusal_while_reading_leaves_no_staged_row_behind(receive):
    upload = receive("bills.csv", csv_file(row("K1"), row("K2")) + b'K3,"0812,unclosed quote\n' + b"x" * 200_000)
    assert upload.status == Upload.Status.REFUSED and upload.refusal_code == "malformed_csv"
    _nothing_touched()


# --- Background reading -------------------------------------------------------------------


def test_rows_are_staged_in_batches_with_progress_committed_between_them(receive, monkeypatch):
    monkeypatch.setattr(upload_validation, "BATCH_ROWS", 2)
    progress = []
    flush = upload_validation._StagingWriter.flush

    def spy(self, valid, errors, read):
        flush(self, valid, errors, read)
        progress.append(Upload.objects.get(pk=self.upload_id).rows_read)

    monkeypatch.setattr(upload_validation._StagingWriter, "flush", spy)
    upload = receive("bills.csv", csv_file(*(row(f"K{i}") for i in range(5)), row("BAD", phone="1")))
    assert progress == [2, 4, 6, 6]
    assert (upload.rows_total, upload.valid_rows, upload.invalid_rows) == (6, 5, 1)
    assert UploadRow.objects.filter(upload=upload).count() == 5


def test_an_upload_deleted_takes_its_staged_rows_and_problems_with_it(receive):
    upload = receive("bills.csv", csv_file(row("K1"), row("K2", phone="1")))
    kept = receive("other.csv", csv_file(row("K3")))
    assert UploadRow.objects.filter(upload=upload).exists() and UploadError.objects.filter(upload=upload).exists()
    Upload.objects.filter(pk=upload.pk).delete()
    assert not UploadRow.objects.filter(upload_id=upload.pk).exists()
    assert not UploadError.objects.filter(upload_id=upload.pk).exists()
    assert list(UploadRow.objects.values_list("upload_id", "bill_key")) == [(kept.pk, "K3")]


def test_checking_again_an_upload_already_checked_changes_nothing(receive):
    upload = receive("bills.csv", csv_file(row("K1"), row("K1")))
    before = errors_of(upload)
    uploads.upload_validate(upload=upload)
    assert errors_of(upload) == before and UploadRow.objects.filter(upload=upload).count() == 2


def test_a_redelivered_check_starts_over_without_doubling_rows(receive):
    upload = receive("bills.csv", csv_file(row("K1"), row("K2", phone="1")))
    # The worker died mid-way and its lease ran out (tests/reminders/test_upload_recovery.py has the rest).
    Upload.objects.filter(pk=upload.pk).update(status=Upload.Status.VALIDATING,
                                               lease_until=NOW - dt.timedelta(seconds=1))
    upload = uploads.upload_validate(upload=upload)
    assert (upload.status, upload.valid_rows, upload.invalid_rows) == (Upload.Status.VALIDATED, 1, 1)
    assert UploadRow.objects.filter(upload=upload).count() == 1 and len(errors_of(upload)) == 1


def test_an_upload_discarded_while_being_read_stops_and_leaves_nothing(receive, monkeypatch):
    def discard_midway(self, valid, errors, read):
        Upload.objects.filter(pk=self.upload_id).update(status=Upload.Status.DISCARDED)
        return original(self, valid, errors, read)

    original = upload_validation._StagingWriter.flush
    monkeypatch.setattr(upload_validation._StagingWriter, "flush", discard_midway)
    upload = receive("bills.csv", csv_file(row("K1")))
    assert upload.status == Upload.Status.DISCARDED
    assert not UploadRow.objects.exists() and not UploadError.objects.exists()


# --- The error file ---------------------------------------------------------------------


def test_the_error_file_has_the_original_columns_of_failing_rows_an_error_column_and_safe_cells(receive):
    upload = receive("bills.csv", csv_file(row("K1"), row("K2", phone="12345", name="=HYPERLINK(1)"),
                                           row("K1", name="again")))
    rows = list(uploads.upload_error_file_rows(upload))
    assert rows[0] == [*HEADER.split(","), "error"]
    assert rows[1][:3] == ["K2", "12345", "=HYPERLINK(1)"]  # neutralised by the writer (core.exports)
    assert rows[1][-1] == ("payer_phone: 12345 is not an Indonesian mobile number; write it like 081234567890 "
                           "or +6281234567890.")
    assert rows[2][0] == "K1" and rows[2][-1].startswith("bill_key: The bill key K1 is also in row 2")
    assert len(rows) == 3


def test_the_error_file_reads_errors_a_page_at_a_time_in_file_order(receive, monkeypatch):
    monkeypatch.setattr(upload_report._ErrorsInFileOrder, "PAGE", 2)
    upload = receive("bills.csv", csv_file(*(row(f"K{i}", phone="1", amount="x") for i in range(5)), row("OK")))
    rows = list(uploads.upload_error_file_rows(upload))
    assert [r[0] for r in rows[1:]] == ["K0", "K1", "K2", "K3", "K4"]
    # Both problems of each row, none lost where a page of errors ends.
    assert all(r[-1].startswith("payer_phone: ") and "; amount: " in r[-1] for r in rows[1:])



def test_a_date_in_year_9999_is_a_row_error_not_a_failed_upload(receive):
    upload = receive("bills.csv", csv_file(row("K1"), row("K2", end="31/12/9999"), row("K3", start="01/01/0001")))
    assert upload.status == Upload.Status.VALIDATED
    assert (upload.valid_rows, upload.invalid_rows) == (1, 2)
    reasons = {(e.row_number, e.column): e.text for e in uploads.upload_errors(upload)}
    assert "outside the years 2000 to 2099" in reasons[(3, "end_date")]
    assert "outside the years 2000 to 2099" in reasons[(4, "start_date")]
