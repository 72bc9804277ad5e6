"""Delivery benchmark: N bills for Livin' users due now, checked and pushed by the real worker and beat.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kopra CELERY_BROKER_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/dispatch.py --bills 100000

In one run, on a fresh PostgreSQL database:

* the floor: raw SQL on scratch tables over the N rows, per batch of 200 one UPDATE of the
  batch and one INSERT per row (the bills moved, their timeline lines);
* one worker: N bills RECEIVED at once, then the ``worker`` and ``beat`` commands of the
  Procfile started as they are written there; timed from the bills' own rows: the directory
  check (first to last bill SCHEDULED) and the push (first to last bill DISPLAYED);
* two workers: the same with N new bills and the Procfile's worker started twice.

Then it checks that every bill was shown once (one display and one notification at the
sandbox bank, one consume in the ledger each) and that ``quota_reconcile`` is clean, and
prints the rates, the ratio to the floor, each worker's peak RSS and the load average.
Results also go to var/bench/dispatch-results.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kopra.settings")
BENCH_DIR = ROOT / "var" / "bench"

from bench.procs import family, status_mb  # noqa: E402 (after the path is set)

PHONES = 5_000  # distinct Livin' users the bills are spread over
BATCH = 200


def procfile(name: str) -> list[str]:
    """The Procfile's command for ``name``, as honcho runs it."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return shlex.split(line.split(":", 1)[1])
    raise SystemExit(f"no {name} in the Procfile")


def floor(rows: int) -> float:
    """Rows a second of raw SQL on scratch tables: per batch of 200, one UPDATE of the batch and one
    INSERT per row (the floor the delivery issue measured, 6,278 rows/s on this machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_bills, bench_events")
        cursor.execute("CREATE TABLE bench_bills (id bigint PRIMARY KEY, status varchar(16), "
                       "displayed_at timestamptz, lease_until timestamptz)")
        cursor.execute("CREATE TABLE bench_events (id bigserial PRIMARY KEY, bill_id bigint, at timestamptz, "
                       "from_status varchar(16), to_status varchar(16), reason text)")
        cursor.execute("INSERT INTO bench_bills SELECT g, 'SCHEDULED', NULL, now() FROM generate_series(1, %s) g",
                       [rows])
    started = time.perf_counter()
    for first in range(1, rows + 1, BATCH):
        ids = list(range(first, min(first + BATCH, rows + 1)))
        with connection.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("UPDATE bench_bills SET status = 'DISPLAYED', displayed_at = now(), lease_until = NULL "
                           "WHERE id = ANY(%s) AND status = 'SCHEDULED'", [ids])
            for bill_id in ids:
                cursor.execute("INSERT INTO bench_events (bill_id, at, from_status, to_status, reason) "
                               "VALUES (%s, now(), 'SCHEDULED', 'DISPLAYED', 'Pushed to Livin'' and shown')", [bill_id])
            cursor.execute("COMMIT")
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_bills, bench_events")
    return rows / seconds


def make_bills(count: int, code: str) -> int:
    """``count`` bills RECEIVED for one new code, spread over the Livin' users; returns the registration id."""
    from django.utils import timezone

    from billers.models import Company
    from quota.services import quota_reserve
    from reminders.models import Bill, BillSource, BillStatus
    from tests.factories import registered_code

    company = Company.objects.get(company_id="BENCH01")
    registration = registered_code(company, quota=count, code=code)
    quota_reserve(registration=registration, units=count, reference=f"bench:{code}")
    now = timezone.now()
    for first in range(0, count, 10_000):
        Bill.objects.bulk_create([
            Bill(company=company, registration=registration, bill_key=f"{code}{i:09d}",
                 reference_no=f"B{code}{i:09d}", payer_phone=f"+62812{i % PHONES:08d}", payer_name="Budi",
                 amount=150_000, description="Tagihan air", start_at=now, end_at=now + dt.timedelta(days=7),
                 status=BillStatus.RECEIVED, source=BillSource.API)
            for i in range(first, min(first + 10_000, count))
        ], batch_size=2_000)
    return registration.pk


def rss_mb(pids: list[int]) -> dict[int, float]:
    """Resident memory of each process of ``pids`` and of their children, in MB."""
    found = {}
    for pid in pids:
        for each in family(pid):
            mb = status_mb(each, "VmRSS")
            if mb is not None:
                found[each] = mb
    return found


def run(registration_id: int, count: int, workers: int, env: dict, timeout: float) -> dict:
    """Starts beat and ``workers`` workers as the Procfile does, waits for every bill to be shown."""
    from django.db import connection
    from django.db.models import Count

    from reminders.models import Bill, BillEvent, BillStatus

    load_start = os.getloadavg()[0]
    processes = [subprocess.Popen(procfile("beat"), cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)]
    worker_pids = []
    for number in range(workers):
        command = procfile("worker") + ["--hostname", f"bench{number}@%h"]
        worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)
        processes.append(worker)
        worker_pids.append(worker.pid)
    peaks: dict[int, float] = {}
    bills = Bill.objects.filter(registration_id=registration_id)
    deadline = time.monotonic() + timeout
    try:
        while bills.filter(status=BillStatus.DISPLAYED).count() < count:
            if time.monotonic() > deadline:
                statuses = dict(bills.values_list("status").annotate(n=Count("pk")))
                raise SystemExit(f"not every bill was shown within {timeout:.0f} s: {statuses}")
            for pid, mb in rss_mb(worker_pids).items():
                peaks[pid] = max(peaks.get(pid, 0), mb)
            connection.close()
            time.sleep(0.5)
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    scheduled = BillEvent.objects.filter(bill__registration_id=registration_id, to_status=BillStatus.SCHEDULED)
    first_checked = scheduled.order_by("at").values_list("at", flat=True).first()
    last_checked = scheduled.order_by("-at").values_list("at", flat=True).first()
    first_shown = bills.order_by("displayed_at").values_list("displayed_at", flat=True).first()
    last_shown = bills.order_by("-displayed_at").values_list("displayed_at", flat=True).first()
    checked_seconds = max((last_checked - first_checked).total_seconds(), 1e-3)
    shown_seconds = max((last_shown - first_shown).total_seconds(), 1e-3)
    return {
        "workers": workers, "bills": count,
        "directory_seconds": checked_seconds, "directory_per_second": count / checked_seconds,
        "push_seconds": shown_seconds, "push_per_second": count / shown_seconds,
        "worker_peak_rss_mb": max(peaks.values(), default=0), "worker_processes_peak_mb": sorted(peaks.values()),
        "load_start": load_start, "load_end": os.getloadavg()[0],
    }


def verify(registration_id: int, count: int) -> None:
    """Every bill shown once, notified once and charged once; the ledger reconciles."""
    from django.core.management import call_command

    from livin.models import DisplayedBill, Notification
    from quota.models import LedgerEntry
    from reminders.models import Bill, BillStatus

    references = Bill.objects.filter(registration_id=registration_id).values("reference_no")
    shown = Bill.objects.filter(registration_id=registration_id, status=BillStatus.DISPLAYED).count()
    displayed = DisplayedBill.objects.filter(reference__in=references).count()
    notified = Notification.objects.filter(reference__in=references).count()
    charged = LedgerEntry.objects.filter(account__registration_id=registration_id, kind="consume").count()
    if not shown == displayed == notified == charged == count:
        raise SystemExit(f"expected {count} each: shown {shown}, displayed {displayed}, notified {notified}, "
                         f"charged {charged}")
    call_command("quota_reconcile")  # exits 1 on a mismatch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bills", type=int, default=100_000)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds a run may take at most")
    options = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/kopra")
    if not os.environ.get("CELERY_BROKER_URL", "").startswith("redis://"):
        raise SystemExit("Set CELERY_BROKER_URL to a Redis server, e.g. redis://127.0.0.1:6379/5")

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from kopra.celery import app

    database = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    with app.connection_for_write() as broker:  # a fresh broker database: nothing left from earlier runs
        broker.default_channel.client.flushdb()
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{database}"
    var = tempfile.mkdtemp(prefix="kopra-bench-")
    # As `make run` starts them: the virtualenv's commands first on the PATH.
    env = {**os.environ, "DATABASE_URL": url, "KOPRA_VAR_DIR": var, "LOG_LEVEL": "WARNING",
           "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    print(f"database {database}; {os.cpu_count()} CPUs; PostgreSQL "
          f"{connection.cursor().connection.info.server_version}; batch {settings.DELIVERY_BATCH_SIZE}; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    results: dict = {"bills": options.bills, "cpus": os.cpu_count(), "at": dt.datetime.now().isoformat("T", "seconds"),
                     "load_before": os.getloadavg()[0]}
    try:
        from billers.models import Company
        from livin.models import LivinUser

        Company.objects.create(company_id="BENCH01", name="PT Bench")
        LivinUser.objects.bulk_create([LivinUser(phone=f"+62812{i:08d}", name="Budi") for i in range(PHONES)])

        results["floor_per_second"] = floor_rate = floor(options.bills)
        print(f"floor     batch UPDATE + INSERT     {floor_rate:10,.0f} rows/s", flush=True)
        for workers, code in ((1, "70001"), (2, "70002")):
            registration_id = make_bills(options.bills, code)
            connection.close()
            result = run(registration_id, options.bills, workers, env, options.timeout)
            verify(registration_id, options.bills)
            result["push_ratio_to_floor"] = result["push_per_second"] / floor_rate
            results[f"workers_{workers}"] = result
            label = f"{workers} worker{'s' if workers > 1 else ' '}"
            print(f"{label}  directory check  {result['directory_per_second']:10,.0f} bills/s  "
                  f"push {result['push_per_second']:8,.0f} bills/s = {result['push_ratio_to_floor']:.2f}x floor  "
                  f"worker peak {result['worker_peak_rss_mb']:,.0f} MB  load {result['load_start']:.1f} -> "
                  f"{result['load_end']:.1f}  (every bill shown, notified and charged once; ledger reconciled)",
                  flush=True)
    finally:
        from django.db import connections

        connections.close_all()
        connection.creation.destroy_test_db(database, verbosity=0)
    results["load_after"] = os.getloadavg()[0]
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    target = BENCH_DIR / "dispatch-results.json"
    target.write_text(json.dumps(results, indent=2, default=str))
    one = results["workers_1"]
    print(f"targets (one worker): push >= 3,000 bills/s: {one['push_per_second']:,.0f}; push >= 0.5x floor: "
          f"{one['push_ratio_to_floor']:.2f}x; directory check >= 5,000 bills/s: {one['directory_per_second']:,.0f}  "
          f"({target.relative_to(ROOT)})")


if __name__ == "__main__":
    main()
