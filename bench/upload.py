"""Bill upload benchmark: a million realistic rows as CSV and XLSX, checked and submitted on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kopra \\
        .venv/bin/python bench/upload.py --rows 1000000 [--skip-xlsx]

In one run it times:

* the raw floor: the CSV read with the csv module and the same rows COPYed, as text, into
  a scratch table (what any loader of this file pays at least);
* upload-to-report for the CSV and the XLSX: ``upload_receive`` (store and hash) then
  ``upload_validate`` (the Celery task's work: read, check every cell, stage, find repeats
  and conflicts, count), exactly as the worker runs it;
* submit of the valid CSV rows (``upload_submit``: bills, events, one reservation).

Each step runs in a forked process of its own, so its peak RSS is its own. The database is
a fresh test database (``test_<name>_<pid>``) dropped at the end; the generated files are
kept in var/bench/ and reused while their dates are still valid. Results are printed and
written to var/bench/upload-results.json.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import multiprocessing
import os
import random
import resource
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kopra.settings")
BENCH_DIR = ROOT / "var" / "bench"
# A million rows must fit in the 100 MB limit (about 100 bytes a row): the optional
# biller_code column is left out, as most billing exports do, and half the rows have a description.
HEADER = ["bill_key", "payer_phone", "payer_name", "amount", "description", "start_date", "end_date",
          "partner_reference_no"]
BILLER_CODE = "70001"
# A generated file stays usable while its rows end in the future: reuse it for this long.
REUSE_DAYS = 30
FIRST = ["Budi", "Siti", "Agus", "Dewi", "Rudi", "Ani", "Joko", "Sri", "Wahyu", "Putri", "Eko", "Rina", "Hendra",
         "Nur", "Bambang", "Lestari", "Andi", "Fitri", "Dedi", "Yuni"]
LAST = ["Santoso", "Wijaya", "Saputra", "Hidayat", "Lestari", "Kurniawan", "Pratama", "Siregar", "Nasution",
        "Simanjuntak", "Gunawan", "Setiawan", "Rahmawati", "Susanto", "Halim", ""]
WHAT = ["Air", "SPP", "Listrik", "Cicilan", "Asuransi", "Iuran RT", "Internet"]


# --- The files ----------------------------------------------------------------------------


def _rows(count: int, today: dt.date):
    """Realistic rows, in the writings docs/file-format.md lists; about 1 in 500 has a problem."""
    rng = random.Random(20261125)
    start, end = today, today + dt.timedelta(days=60)
    month = today.strftime("%m/%Y")
    for i in range(count):
        number = rng.randrange(10_000_000, 99_999_999)
        writing = i % 10
        if writing < 6:
            phone = f"0812{number}"
        elif writing < 8:
            phone = f"+62 812-{str(number)[:4]}-{str(number)[4:]}"
        elif writing < 9:
            phone = f"62812{number}"
        else:
            phone = f"812{number}"  # a number cell that lost its leading zero
        if i % 997 == 0:
            phone = f"021{number}"  # a landline: refused
        key = f"{i:010d}"
        if i % 1999 == 1:
            key = f"{i - 1:010d}"  # the bill key of the row before: a repeat
        amount = rng.randrange(10, 2_000) * 1000
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}".strip()
        what = f"{rng.choice(WHAT)} {month}" if i % 2 else ""
        yield [key, phone, name, amount, what, start, end, f"INV{i:07d}"]


def bench_files(count: int, *, want_xlsx: bool) -> tuple[Path, Path | None]:
    """The cached CSV and XLSX of ``count`` rows, generated if none recent enough exists."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    today = dt.date.today()
    paths = {}
    for extension in ("csv", "xlsx") if want_xlsx else ("csv",):
        # bills-<rows>-<yyyy-mm-dd>.<extension>
        recent = [p for p in sorted(BENCH_DIR.glob(f"bills-{count}-????-??-??.{extension}"))
                  if (today - dt.date.fromisoformat(p.stem[-10:])).days <= REUSE_DAYS]
        if recent:
            paths[extension] = recent[-1]
            continue
        path = BENCH_DIR / f"bills-{count}-{today.isoformat()}.{extension}"
        started = time.perf_counter()
        (_write_csv if extension == "csv" else _write_xlsx)(path, count, today)
        print(f"generated {path.relative_to(ROOT)} ({path.stat().st_size / 1024**2:,.1f} MB) "
              f"in {time.perf_counter() - started:,.1f} s", flush=True)
        paths[extension] = path
    return paths["csv"], paths.get("xlsx")


def _write_csv(path: Path, count: int, today: dt.date) -> None:
    temporary = path.with_suffix(".tmp")
    with temporary.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADER)
        for i, values in enumerate(_rows(count, today)):
            key, phone, name, amount, what, start, end, reference = values
            # Billing systems write amounts both ways.
            shown = f"{amount:,}".replace(",", ".") if i % 3 == 0 else str(amount)
            writer.writerow([key, phone, name, shown, what, start.strftime("%d/%m/%Y"), end.strftime("%d/%m/%Y"),
                             reference])
    temporary.rename(path)


def _write_xlsx(path: Path, count: int, today: dt.date) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Bills")
    sheet.append(HEADER)
    date_cells = {}
    for values in _rows(count, today):
        for index in (5, 6):  # real date cells, as Excel saves them
            day = values[index]
            cell = date_cells.get((index, day))
            if cell is None:
                cell = date_cells[(index, day)] = WriteOnlyCell(sheet, value=day)
                cell.number_format = "dd/mm/yyyy"
            values[index] = cell
        sheet.append(values)
    temporary = path.with_suffix(".tmp")
    workbook.save(temporary)
    temporary.rename(path)


# --- Steps, each in a process of its own ------------------------------------------------------


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _in_child(step, *args):
    """Runs ``step(*args)`` in a forked process; returns its result and the process's peak RSS in MB.

    The result gains ``cpu_seconds``: the step process's own CPU time, which other work on
    the machine hardly changes (the wall time it does); the database server's is not in it.
    """
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def run():
        try:
            started = _cpu_seconds()
            result = step(*args)
            result["cpu_seconds"] = _cpu_seconds() - started
            sender.send(("ok", result, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
        except BaseException as exc:  # reported by the parent
            import traceback

            sender.send(("error", traceback.format_exc(), 0))
            raise SystemExit(1) from exc

    process = context.Process(target=run)
    process.start()
    status, result, peak = receiver.recv()
    process.join()
    if status != "ok":
        raise SystemExit(f"step {step.__name__} failed:\n{result}")
    return result, peak


def floor_step(csv_path: str) -> dict:
    """The csv module reading the file, and COPY of the same rows as text into a scratch table."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor")
        cursor.execute("CREATE TABLE bench_floor (" + ", ".join(f"c{i} text" for i in range(len(HEADER))) + ")")
    started = time.perf_counter()
    rows = 0
    with open(csv_path, encoding="utf-8", newline="") as stream, connection.cursor() as cursor:
        reader = csv.reader(stream)
        next(reader)
        with cursor.cursor.copy("COPY bench_floor FROM STDIN") as copy:
            for values in reader:
                copy.write_row(values)
                rows += 1
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_floor")
    return {"rows": rows, "seconds": seconds}


def check_step(path: str, registration_id: int, maker_id: int) -> dict:
    """upload_receive then upload_validate, as the console and the worker do."""
    from unittest import mock

    from django.core.files import File

    from billers.models import Registration, User
    from reminders import uploads

    registration = Registration.objects.select_related("biller_code", "company").get(pk=registration_id)
    maker = User.objects.get(pk=maker_id)
    started = time.perf_counter()
    with mock.patch("reminders.tasks.validate_upload.delay_on_commit"), open(path, "rb") as stream:
        upload = uploads.upload_receive(registration=registration, uploaded_file=File(stream, name=Path(path).name),
                                        actor=maker)
    received = time.perf_counter()
    upload = uploads.upload_validate(upload=upload)
    done = time.perf_counter()
    if upload.status != "validated":
        raise RuntimeError(f"upload {upload.pk} is {upload.status}: {upload.refusal_text}")
    return {"upload": upload.pk, "rows": upload.rows_total, "valid": upload.valid_rows,
            "invalid": upload.invalid_rows, "repeated": upload.duplicate_rows, "receive_seconds": received - started,
            "check_seconds": done - received}


def submit_step(upload_id: int, maker_id: int) -> dict:
    from unittest import mock

    from billers.models import User
    from reminders import uploads
    from reminders.models import Upload

    upload, maker = Upload.objects.get(pk=upload_id), User.objects.get(pk=maker_id)
    started = time.perf_counter()
    with mock.patch("reminders.tasks.purge_upload_rows.delay_on_commit"):
        upload = uploads.upload_submit(upload=upload, actor=maker)
    return {"bills": upload.bills_created, "seconds": time.perf_counter() - started}


# --- The run ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-xlsx", action="store_true", help="only the CSV (the XLSX takes minutes to make)")
    options = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/kopra")
    os.environ.setdefault("UPLOAD_MAX_ROWS", str(max(options.rows, 1_000_000)))

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    settings.MEDIA_ROOT = BENCH_DIR / "media"
    csv_path, xlsx_path = bench_files(options.rows, want_xlsx=not options.skip_xlsx)
    database = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    # Other work on the machine slows every step: the load average is printed so a reader can tell.
    print(f"database {database}; {os.cpu_count()} CPUs; PostgreSQL "
          f"{connection.cursor().connection.info.server_version}; load average {os.getloadavg()[0]:.1f}", flush=True)
    results: dict = {"rows": options.rows, "cpus": os.cpu_count(), "load_before": os.getloadavg()[0],
                     "at": dt.datetime.now().isoformat(timespec="seconds")}
    try:
        from billers.models import Company
        from tests.factories import UserFactory, registered_code

        company = Company.objects.create(company_id="BENCH01", name="PT Bench", approval_for_upload=False)
        maker = UserFactory(company=company, user_id="maker", is_maker=True)
        for_csv = registered_code(company, quota=2 * options.rows, code=BILLER_CODE)
        for_xlsx_company = Company.objects.create(company_id="BENCH02", name="PT Bench 2", approval_for_upload=False)
        xlsx_maker = UserFactory(company=for_xlsx_company, user_id="maker", is_maker=True)
        for_xlsx = registered_code(for_xlsx_company, quota=2 * options.rows, code="70002")

        floor, floor_peak = _in_child(floor_step, str(csv_path))
        floor_rate = floor["rows"] / floor["seconds"]
        results["floor"] = {**floor, "rows_per_second": floor_rate, "peak_rss_mb": floor_peak}
        print(f"floor   csv module + COPY    {floor['seconds']:7.1f} s {floor_rate:10,.0f} rows/s  "
              f"(cpu {floor['cpu_seconds']:.1f} s)", flush=True)

        checked, peak = _in_child(check_step, str(csv_path), for_csv.pk, maker.pk)
        rate = checked["rows"] / checked["check_seconds"]
        results["csv"] = {**checked, "rows_per_second": rate, "ratio_to_floor": rate / floor_rate,
                          "peak_rss_mb": peak, "file_mb": csv_path.stat().st_size / 1024**2}
        print(f"csv     receive              {checked['receive_seconds']:7.1f} s", flush=True)
        print(f"csv     check (report)       {checked['check_seconds']:7.1f} s {rate:10,.0f} rows/s "
              f"{rate / floor_rate:5.2f}x floor  peak {peak:,.0f} MB  (cpu {checked['cpu_seconds']:.1f} s; "
              f"{checked['valid']:,} valid, {checked['invalid']:,} invalid, {checked['repeated']:,} repeated)",
              flush=True)

        if xlsx_path is not None:
            # The XLSX bill keys are the CSV's too: another company's code, so they do not collide.
            checked_xlsx, peak_xlsx = _in_child(check_step, str(xlsx_path), for_xlsx.pk, xlsx_maker.pk)
            rate_xlsx = checked_xlsx["rows"] / checked_xlsx["check_seconds"]
            results["xlsx"] = {**checked_xlsx, "rows_per_second": rate_xlsx, "peak_rss_mb": peak_xlsx,
                               "file_mb": xlsx_path.stat().st_size / 1024**2}
            print(f"xlsx    receive              {checked_xlsx['receive_seconds']:7.1f} s", flush=True)
            print(f"xlsx    check (report)       {checked_xlsx['check_seconds']:7.1f} s {rate_xlsx:10,.0f} rows/s "
                  f"           peak {peak_xlsx:,.0f} MB  (cpu {checked_xlsx['cpu_seconds']:.1f} s)", flush=True)

        submitted, submit_peak = _in_child(submit_step, checked["upload"], maker.pk)
        results["submit"] = {**submitted, "peak_rss_mb": submit_peak}
        print(f"submit  {submitted['bills']:,} bills        {submitted['seconds']:7.1f} s "
              f"{submitted['bills'] / submitted['seconds']:10,.0f} rows/s  peak {submit_peak:,.0f} MB  "
              f"(cpu {submitted['cpu_seconds']:.1f} s: the rest is the database)", flush=True)
    finally:
        from django.db import connections

        connections.close_all()
        connection.creation.destroy_test_db(database, verbosity=0)
        # The stored copies of the uploads (the generated files themselves stay cached).
        shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
    results["load_after"] = os.getloadavg()[0]
    print(f"load average {results['load_after']:.1f}")
    target = BENCH_DIR / "upload-results.json"
    target.write_text(json.dumps(results, indent=2))
    print(f"targets: csv >= 0.5x floor: {results['csv']['ratio_to_floor']:.2f}x; "
          + (f"xlsx >= 50,000 rows/s and <= 600 MB: {results['xlsx']['rows_per_second']:,.0f} rows/s, "
             f"{results['xlsx']['peak_rss_mb']:,.0f} MB; " if "xlsx" in results else "")
          + f"submit <= 15 s: {results['submit']['seconds']:.1f} s  ({target.relative_to(ROOT)})")


if __name__ == "__main__":
    main()
