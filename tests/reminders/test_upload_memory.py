"""Hostile upload files are checked within 200 MB of memory, measured on a worker process of their own.

tracemalloc (tests/fileformat/test_readers.py) sees only Python's allocations; here
each check runs in a forked child and the operating system's peak resident size of that child
(``ru_maxrss``) is compared before and after, which counts everything: C parsers,
decompression buffers, the database driver.
"""

import hashlib
import json
import os
import resource

import pytest
from django.core.files.base import ContentFile
from django.db import connections

from quota.models import LedgerEntry
from reminders.models import Bill, Upload
from reminders.uploads import upload_validate
from tests.factories import UserFactory, registered_code
from tests.reminders.test_uploads import _workbook_with_sheet, fixture

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT_BYTES = 200 * 1024 * 1024
MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
ROW = "K{},081234567890,Budi Santoso,150000,01/01/2027,31/01/2027,REF-{}\r\n"


def zip_bomb() -> bytes:
    """Under 1 MB packed, 64 MB of sheet XML unpacked."""
    spaces = b" " * (8 * 1024 * 1024)
    return _workbook_with_sheet([b'<worksheet xmlns="' + MAIN + b'"><sheetData>', *[spaces] * 8,
                                 b"</sheetData></worksheet>"])


def entity_bomb() -> bytes:
    """A billion laughs: nine levels of entities, each ten of the one below."""
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%s;" % (b"" if i == 1 else str(i - 1).encode())) * 10)
                         for i in range(1, 10)) + b"]>")
    return _workbook_with_sheet([laughs, b'<worksheet xmlns="' + MAIN + b'"><sheetData><row r="1"><c r="A1" '
                                 b't="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'])


def over_the_row_limit() -> bytes:
    """200,000 rows (15 MB) where the limit is set to 100,000: read up to the limit, then refused."""
    header = "bill_key,payer_phone,payer_name,amount,start_date,end_date,partner_reference_no\r\n"
    return (header + "".join(ROW.format(n, n) for n in range(200_000))).encode()


HOSTILE = {
    "zip bomb": ("bomb.xlsx", zip_bomb, "refused", "zip_bomb"),
    "XML entity expansion": ("laughs.xlsx", entity_bomb, "refused", "xml_declarations"),
    "over the row limit": ("big.csv", over_the_row_limit, "refused", "too_many_rows"),
    "encrypted workbook": ("secret.xlsx", lambda: fixture("encrypted_password_rahasia.xlsx"), "refused", "encrypted"),
    "workbook named .csv": ("bills.csv", lambda: fixture("bills_openpyxl.xlsx"), "refused", "content_mismatch"),
    "formulas without results": ("bills.xlsx", lambda: fixture("bills_openpyxl.xlsx"), "validated", ""),
}


@pytest.fixture(autouse=True)
def _media_and_limits(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.UPLOAD_MAX_ROWS = 100_000


def stored_upload(registration, maker, name: str, data: bytes) -> Upload:
    """The upload as ``upload_receive`` leaves it, without queueing its check (the child runs it)."""
    upload = Upload(company_id=registration.company_id, registration=registration, original_name=name,
                    size=len(data), sha256=hashlib.sha256(data).hexdigest(), uploaded_by=maker)
    upload.file.save(name, ContentFile(data), save=False)
    upload.save()
    return upload


def peak_growth_of_check(upload_id: int) -> int:
    """Bytes by which a forked child's peak RSS grew while it checked the upload."""
    connections.close_all()  # the child opens its own; an inherited socket would be shared
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: check, report, leave without running the parent's clean-ups
        code = 1
        try:
            os.close(reader)
            upload = Upload.objects.get(pk=upload_id)
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            upload_validate(upload=upload)
            after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            os.write(writer, json.dumps({"growth_kb": after - before}).encode())
            connections.close_all()
            code = 0
        finally:
            os._exit(code)
    os.close(writer)
    with os.fdopen(reader) as answer:
        report = answer.read()
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the child failed to check the upload"
    return json.loads(report)["growth_kb"] * 1024  # Linux counts ru_maxrss in kilobytes


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_file_is_checked_within_200_mb_and_touches_no_bill(company, kind):
    registration = registered_code(company, quota=100, code="70001")
    maker = UserFactory(company=company, user_id="maker", is_maker=True)
    name, make, status, code = HOSTILE[kind]
    upload = stored_upload(registration, maker, name, make())

    growth = peak_growth_of_check(upload.pk)

    upload.refresh_from_db()
    assert (upload.status, upload.refusal_code) == (status, code), upload.refusal_text
    assert growth < LIMIT_BYTES, f"{kind}: peak RSS grew by {growth / 1024**2:.0f} MB"
    assert not Bill.objects.exists()
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.RESERVE).exists()
