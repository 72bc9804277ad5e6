"""PostgreSQL restarted in the middle of a wave of bills.

A cluster of the test's own (initdb into a temporary folder, a free port, trust auth)
serves gunicorn and a worker with beat, as in production. While a biller's system sends
bills through the Open API, the cluster is stopped for a few seconds and started again.
During the outage the API answers 503 with a SNAP body, never a stack trace; afterwards the
worker's sweeps carry on by themselves, every accepted bill is shown in Livin' and charged
once, and ``quota_reconcile`` finds no half-written ledger movement.
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from snap.client import SnapClient
from tests.conftest import ROOT, free_port, missing_service

pytestmark = pytest.mark.postgres

BEFORE = 80  # bills answered before the cluster stops
AFTER = 80  # and after it is back
OUTAGE_SECONDS = 4
UNAVAILABLE = {"responseCode": "5039000", "responseMessage": "Service Unavailable. Try again later"}


class Cluster:
    """A throwaway PostgreSQL cluster run by the ``postgres`` user when the test runs as root."""

    def __init__(self):
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            missing_service("postgres", "install PostgreSQL's server binaries (initdb, pg_ctl)")
        self.bin = Path(found[-1]).parent
        self.root = Path(tempfile.mkdtemp(prefix="kopra-pg-"))
        self.port = free_port()
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_owner:
            shutil.chown(self.root, "postgres")
        self.data = self.root / "data"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/kopra"

    def run(self, *args, check=True):
        return subprocess.run([*self.as_owner, *args], check=check, capture_output=True, text=True, timeout=120)

    def init(self):
        self.run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                 "--no-sync")
        self.start()
        self.run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "kopra")

    def start(self):
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-o",
                 f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off", "start")

    def stop(self):
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def query(self, sql: str) -> str:
        return self.run(str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d",
                        "kopra", "-tAc", sql).stdout.strip()

    def remove(self):
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def cluster():
    cluster = Cluster()
    try:
        cluster.init()
        yield cluster
    finally:
        cluster.remove()


def drained(process) -> list[str]:
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True).start()
    return lines


@pytest.fixture
def stack(cluster, tmp_path):
    """Migrates and seeds the cluster's database, then starts gunicorn and a worker with beat."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": cluster.url, "KOPRA_VAR_DIR": str(tmp_path / "var"),
           "CELERY_BROKER_URL": "filesystem://", "KOPRA_CELERY_DIR": str(tmp_path / "celery"), "REDIS_URL": "",
           "KOPRA_BASE_URL": f"http://127.0.0.1:{port}", "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2",
           "WEB_THREADS": "4", "DELIVERY_LEASE_SECONDS": "5", "CONN_MAX_AGE": "60"}
    for command in (["migrate", "--no-input", "-v0"], ["seed_demo"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True,
                       timeout=300)
    processes = [
        subprocess.Popen([sys.executable, "-m", "gunicorn", "kopra.wsgi:application", "--config",
                          "kopra/gunicorn.conf.py", "--access-logfile", "/dev/null"], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True),
        subprocess.Popen([sys.executable, "-m", "celery", "--app", "kopra", "worker", "--pool", "solo", "--beat",
                          "--schedule", str(tmp_path / "beat-schedule"), "--loglevel", "WARNING",
                          "--without-gossip", "--without-mingle", "--without-heartbeat"], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True),
    ]
    outputs = [drained(process) for process in processes]
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "".join(outputs[0])[-3000:]
        time.sleep(0.2)
    credentials = json.loads((tmp_path / "var" / "demo" / "credentials.json").read_text())["api"]
    key_path = Path(credentials["private_key_path"])
    api = SnapClient(url, credentials["client_key"], credentials["client_secret"],
                     (key_path if key_path.is_absolute() else ROOT / key_path).read_text(), timeout=30)
    yield {"api": api, "processes": processes, "outputs": outputs, "env": env}
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_database_restart_mid_wave_gives_snap_503s_then_every_accepted_bill_is_delivered_once(cluster, stack):
    api = stack["api"]
    api.get_token()
    answers: list[tuple[str, int, dict, str]] = []
    now = datetime.now(UTC)
    sent_at: dict[str, float] = {}
    back_at: list[float] = []

    def send(number: int):
        reference = f"INV-WAVE-{number}"
        sent_at[reference] = time.monotonic()
        try:
            response = api.create_message(partner_reference_no=reference, biller_code="89123", bill_key=f"W{number}",
                                          payer_phone_number="081234567890", total_amount="150000",
                                          start_date=now, end_date=now + timedelta(days=2))
        except httpx.HTTPError as exc:  # the server itself never refuses a connection here
            answers.append((reference, 0, {}, repr(exc)))
            return
        answers.append((reference, response.status_code, response.body, response.text))

    restarted_at: list[int] = []

    def outage():
        while len(answers) < BEFORE:
            time.sleep(0.05)
        cluster.stop()
        time.sleep(OUTAGE_SECONDS)
        cluster.start()
        back_at.append(time.monotonic())
        restarted_at.append(len(answers))

    restart = threading.Thread(target=outage)
    restart.start()
    with ThreadPoolExecutor(max_workers=4) as pool:
        number = 0
        while not restarted_at or len(answers) < restarted_at[0] + AFTER:
            pool.submit(send, number)
            number += 1
            time.sleep(0.03)
            assert number < 5000, "the wave never got through after the restart"
    restart.join()

    statuses = sorted({status for _ref, status, _body, _text in answers})
    refused = [(status, body, text[:200]) for _ref, status, body, text in answers if status not in (200, 503)]
    assert refused == [], refused[:5]
    unavailable = [body for _ref, status, body, _text in answers if status == 503]
    assert unavailable and all(body == UNAVAILABLE for body in unavailable), statuses
    accepted = {ref for ref, status, body, _text in answers if status == 200}
    late = {status for ref, status, _body, _text in answers if sent_at[ref] > back_at[0]}
    assert late == {200}, "accepted again as soon as the database is back"

    # The worker carries on by itself: every accepted bill is shown, and only those.
    deadline = time.monotonic() + 120
    while int(cluster.query("SELECT count(*) FROM reminders_bill WHERE status = 'DISPLAYED'")) < len(accepted):
        assert stack["processes"][1].poll() is None, "".join(stack["outputs"][1])[-3000:]
        assert time.monotonic() < deadline, "".join(stack["outputs"][1])[-3000:]
        time.sleep(0.5)
    stored = set(cluster.query("SELECT partner_reference_no FROM reminders_bill WHERE partner_reference_no "
                               "LIKE 'INV-WAVE-%'").split())
    assert accepted <= stored and len(stored - accepted) <= 1, "a 503 kept no bill (one may have been in commit)"
    assert cluster.query("SELECT count(*) FROM livin_displayedbill") == str(len(stored))
    assert cluster.query("SELECT count(*) FROM (SELECT reference, count(*) n FROM quota_ledgerentry "
                         "WHERE kind = 'consume' GROUP BY reference HAVING count(*) > 1) twice") == "0"
    reconcile = subprocess.run([sys.executable, "manage.py", "quota_reconcile"], cwd=ROOT, env=stack["env"],
                               capture_output=True, text=True, timeout=120)
    assert reconcile.returncode == 0, reconcile.stdout + reconcile.stderr
    print(f"\n{len(answers)} calls: {len(accepted)} accepted, {len(unavailable)} answered 503 during a "
          f"{OUTAGE_SECONDS} s restart; all {len(stored)} bills shown once, ledger reconciled")
