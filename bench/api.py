"""Open API benchmark: signed creates on one biller code, served as production serves them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kopra REDIS_URL=redis://127.0.0.1:6379/6 \\
        .venv/bin/python bench/api.py --connections 8 --seconds 20

In one run, on a fresh PostgreSQL database with one company, one biller code (quota enough
for the whole run) and one API credential whose rate limit is raised out of the way:

* the server: the Procfile's ``web`` command (gunicorn with ``kopra/gunicorn.conf.py``,
  ``WEB_CONCURRENCY`` 2 processes of 4 threads) with ``KOPRA_ENV=production`` and the rate
  limit counted in Redis, every request sent as the TLS proxy in front of it would
  (``X-Forwarded-Proto: https``);
* the floor: ``GET /healthz`` of the same server, driven by the same generator, same
  connections, same duration;
* signed creates: ``POST /snap/v1.0/bill-reminder/messages``, each pre-signed with its own
  X-EXTERNAL-ID, partnerReferenceNo and billKey, all for the one biller code;
* the batch create: ``POST /snap/v1.0/bill-reminder/messages/batch`` with ``--batch``
  bills a call, in bills a second.

For each: requests a second, p50/p90/p99 latency, the answers by HTTP status; the creates'
ratios to the floor; the server's peak RSS and the load average. Then it checks that every
bill answered 200 exists once, that the code's reserved quota equals the bills created and
that ``quota_reconcile`` is clean. Results also go to var/bench/api-results.json.

The generator is a small asyncio HTTP/1.1 keep-alive client (``Generator``), not aiohttp or
httpx: it shares the two cores with the server it measures, and on this 2-core machine it
drives ``/healthz`` at about 1.6x the rate aiohttp's client does, so the server, not the
generator, sets the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kopra.settings")
BENCH_DIR = ROOT / "var" / "bench"
CODE = "88001"
CREATE_PATH = "/snap/v1.0/bill-reminder/messages"
BATCH_PATH = "/snap/v1.0/bill-reminder/messages/batch"

from bench.procs import cpu_seconds, family, status_mb  # noqa: E402 (after the path is set)


def procfile(name: str) -> list[str]:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return shlex.split(line.split(":", 1)[1])
    raise SystemExit(f"no {name} in the Procfile")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the load generator ----------------------------------------------------------------------


class Generator:
    """Sends pre-built requests over ``connections`` keep-alive connections, opened once and kept for
    every phase, so that each phase meets the same spread of connections over the server's processes."""

    def __init__(self, port: int, connections: int):
        self.port, self.count = port, connections
        self.loop = asyncio.new_event_loop()
        self.streams: list = []

    def open(self) -> None:
        async def connect():
            for _ in range(self.count):
                self.streams.append(list(await asyncio.open_connection("127.0.0.1", self.port)))
                await asyncio.sleep(0.02)  # as traffic ramps up, not all at once
        self.loop.run_until_complete(connect())

    def close(self) -> None:
        for _reader, writer in self.streams:
            writer.close()
        self.loop.close()

    async def _exchange(self, stream, raw: bytes) -> int:
        reader, writer = stream
        writer.write(raw)
        status_line = await reader.readline()
        if not status_line:  # the server closed an idle connection: open it again, send again
            stream[:] = await asyncio.open_connection("127.0.0.1", self.port)
            return await self._exchange(stream, raw)
        length, close = 0, False
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        if length:
            await reader.readexactly(length)
        if close:
            writer.close()
            stream[:] = await asyncio.open_connection("127.0.0.1", self.port)
        return int(status_line.split()[1])

    async def _connection(self, stream, requests, deadline, latencies, statuses):
        for raw in requests:
            if time.monotonic() >= deadline:
                break
            started = time.perf_counter()
            status = await self._exchange(stream, raw)
            latencies.append(time.perf_counter() - started)
            statuses[status] += 1

    def run(self, requests, seconds: float) -> dict:
        """``requests`` (an iterator of raw request bytes, shared by the connections) for ``seconds``."""
        latencies: list[float] = []
        statuses: Counter = Counter()

        async def drive():
            deadline = time.monotonic() + seconds
            started = time.perf_counter()
            await asyncio.gather(*(self._connection(stream, requests, deadline, latencies, statuses)
                                   for stream in self.streams))
            return time.perf_counter() - started

        elapsed = self.loop.run_until_complete(drive())
        latencies.sort()

        def quantile(q):
            return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else 0.0

        return {"requests": len(latencies), "seconds": elapsed, "per_second": len(latencies) / elapsed,
                "p50_ms": quantile(0.50), "p90_ms": quantile(0.90), "p99_ms": quantile(0.99),
                "statuses": dict(sorted(statuses.items()))}


def raw_request(method: str, path: str, headers: dict, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "X-Forwarded-Proto: https",
             f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()
              if name.lower() not in ("host", "content-length")]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


# --- the data and the server -----------------------------------------------------------------


def seed(quota: int) -> dict:
    """One company, one biller code with ``quota`` pushes, one credential; its keys for the client."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from billers.models import Company
    from snap.credentials import credential_create
    from tests.factories import registered_code

    company = Company.objects.create(company_id="BENCH02", name="PT Bench API")
    registration = registered_code(company, quota=quota, code=CODE)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    credential, secret = credential_create(company=company, actor=None, name="bench", public_key_pem=public_pem,
                                           rate_limit_per_minute=2_000_000_000)
    return {"registration": registration.pk, "client_key": credential.client_key, "secret": secret,
            "private_pem": private_pem}


def start_server(env: dict, port: int) -> subprocess.Popen:
    server = subprocess.Popen(procfile("web"), cwd=ROOT, env={**env, "BIND": f"127.0.0.1:{port}"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                probe.sendall(raw_request("GET", "/healthz", {}))
                if probe.recv(64).startswith(b"HTTP/1.1 200"):
                    return server
        except OSError:
            pass
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        time.sleep(0.3)
    raise SystemExit("the server did not answer /healthz within 60 s")


def machine_busy_seconds() -> float:
    """CPU time the whole machine spent busy so far (every core; /proc/stat)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")


def connections_per_process(port: int) -> list[int]:
    """How the generator's connections are spread over the server's processes (``ss``), most first."""
    listing = subprocess.run(["ss", "-tnpH", "state", "established", f"( sport = :{port} )"],
                             capture_output=True, text=True).stdout
    owners = Counter(line.split("pid=", 1)[1].split(",", 1)[0] for line in listing.splitlines() if "pid=" in line)
    return sorted(owners.values(), reverse=True)


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of ``pid`` and its children, the largest one, in MB."""
    return max((status_mb(each, "VmHWM") or 0.0 for each in family(pid)), default=0.0)


class Signer:
    """Pre-signs calls as the SDK signs them (``snap.client``), then keeps only their bytes."""

    def __init__(self, port: int, data: dict):
        from snap.client import SnapClient

        self.client = SnapClient(f"http://127.0.0.1:{port}", data["client_key"], data["secret"],
                                 data["private_pem"])
        token = self.client.send(self.client.build_token_request(headers_override={"X-Forwarded-Proto": "https"}))
        if not token.ok:
            raise SystemExit(f"no access token: {token.status_code} {token.body}")
        self.token = token.body["accessToken"]
        self.serial = 0

    def _external_id(self) -> str:
        self.serial += 1
        return f"{int(time.time())}{self.serial:012d}"

    def message(self, run: str, number: int) -> dict:
        start = dt.datetime.now(dt.UTC)
        return {
            "partnerReferenceNo": f"{run}-{number:09d}", "billerCode": CODE, "billKey": f"{run}{number:09d}"[-20:],
            "payerPhoneNumber": f"+62812{number % 100_000_000:08d}", "payerName": "Budi Santoso",
            "totalAmount": {"value": "150000.00", "currency": "IDR"}, "billDescription": "Tagihan air",
            "startDate": start.isoformat(timespec="seconds"),
            "endDate": (start + dt.timedelta(days=7)).isoformat(timespec="seconds"),
        }

    def signed(self, path: str, body: dict) -> bytes:
        request = self.client.build_request(path, body, access_token=self.token, external_id=self._external_id())
        return raw_request("POST", path, dict(request.headers), request.content)


# --- the run -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--batch", type=int, default=1000, help="bills per batch call")
    parser.add_argument("--max-rate", type=int, default=2_500,
                        help="creates a second the pre-signed requests are enough for")
    options = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/kopra")
    if not os.environ.get("REDIS_URL", "").startswith("redis://"):
        raise SystemExit("Set REDIS_URL to a Redis server, e.g. redis://127.0.0.1:6379/6")
    # Production's secrets, this run's own; the seeding below encrypts the client secret with them.
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(64)
    os.environ.setdefault("FIELD_ENCRYPTION_KEYS", secrets.token_urlsafe(32))

    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection

    from quota.models import QuotaAccount
    from reminders.models import Bill

    creates = int(options.max_rate * options.seconds)
    batches = max(1, int(10_000 * options.seconds / options.batch))
    database = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    cache.clear()
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{database}"
    env = {**os.environ, "DATABASE_URL": url, "KOPRA_ENV": "production", "SANDBOX_ENABLED": "true",
           "LIVIN_SECRET": secrets.token_urlsafe(32),
           "ALLOWED_HOSTS": "127.0.0.1", "KOPRA_VAR_DIR": tempfile.mkdtemp(prefix="kopra-bench-"),
           "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    port = free_port()
    results: dict = {"at": dt.datetime.now().isoformat("T", "seconds"), "cpus": os.cpu_count(),
                     "connections": options.connections, "seconds": options.seconds,
                     "load_start": os.getloadavg()[0]}
    print(f"database {database}; {os.cpu_count()} CPUs; {options.connections} connections, "
          f"{options.seconds:.0f} s a phase; load average {os.getloadavg()[0]:.1f}", flush=True)
    server = None
    try:
        data = seed(quota=creates + batches * options.batch + 1_000)
        connection.close()
        server = start_server(env, port)
        signer = Signer(port, data)
        generator = Generator(port, options.connections)

        print(f"pre-signing {creates:,} creates and {batches:,} batches of {options.batch:,}...", flush=True)
        warm = iter([signer.signed(CREATE_PATH, signer.message("W", n)) for n in range(400)])
        single = [signer.signed(CREATE_PATH, signer.message("S", n)) for n in range(creates)]
        batch = [signer.signed(BATCH_PATH, {"messages": [signer.message("B", b * options.batch + n)
                                                         for n in range(options.batch)]})
                 for b in range(batches)]
        health = raw_request("GET", "/healthz", {})
        generator.open()
        results["connections_per_process"] = spread = connections_per_process(port)
        print(f"connections per server process: {', '.join(map(str, spread))}", flush=True)

        generator.run(iter(lambda: health, None), 2)  # warm-up: every thread connected, code loaded
        warmed = generator.run(warm, 2)

        def show(label, result, unit="req/s", scale=1):
            statuses = ", ".join(f"{status}: {n:,}" for status, n in result["statuses"].items())
            print(f"{label:<18}{result['per_second'] * scale:10,.0f} {unit}  p50 {result['p50_ms']:6.1f} ms  "
                  f"p90 {result['p90_ms']:6.1f} ms  p99 {result['p99_ms']:6.1f} ms  CPU a call: server "
                  f"{result['server_cpu_ms']:.2f} ms, database and rest {result['database_cpu_ms']:.2f} ms  "
                  f"({statuses})", flush=True)

        def measured(requests):
            """The generator's figures, with the CPU time a call cost the server, and the rest of the
            machine but the generator (the database, Redis, the kernel's share of the network)."""
            server_pids = family(server.pid)
            server_before, machine_before = cpu_seconds(server_pids), machine_busy_seconds()
            generator_before = time.process_time()
            result = generator.run(requests, options.seconds)
            done = max(result["requests"], 1)
            spent = cpu_seconds(server_pids) - server_before
            rest = machine_busy_seconds() - machine_before - spent - (time.process_time() - generator_before)
            result["server_cpu_ms"] = spent * 1000 / done
            result["database_cpu_ms"] = max(rest, 0) * 1000 / done
            return result

        results["healthz"] = floor = measured(iter(lambda: health, None))
        show("GET /healthz", floor)
        results["create"] = create = measured(iter(single))
        show("signed create", create)
        if create["requests"] >= len(single):
            print("  (every pre-signed create was sent: raise --max-rate)")
        results["batch"] = bulk = measured(iter(batch))
        bulk["bills_per_second"] = bulk["per_second"] * options.batch
        show(f"batch of {options.batch:,}", bulk, unit="bills/s", scale=options.batch)
        generator.close()
        results["server_peak_rss_mb"] = peak_rss_mb(server.pid)
        results["load_end"] = os.getloadavg()[0]

        # Every bill answered 200 is there once; the quota reserved is exactly the bills.
        expected = (warmed["statuses"].get(200, 0) + create["statuses"].get(200, 0)
                    + bulk["statuses"].get(200, 0) * options.batch)
        bills = Bill.objects.filter(registration_id=data["registration"]).count()
        reserved = QuotaAccount.objects.get(registration_id=data["registration"]).reserved
        results["bills"], results["reserved"] = bills, reserved
        call_command("quota_reconcile")  # exits 1 on a mismatch
        check = "ok" if bills == reserved == expected else "MISMATCH"
        print(f"bills created {bills:,}, quota reserved {reserved:,}, {expected:,} answered 200: {check}; "
              f"ledger reconciled", flush=True)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        connection.creation.destroy_test_db(database, verbosity=0)

    ratio = create["per_second"] / floor["per_second"]
    p99_ratio = create["p99_ms"] / floor["p99_ms"] if floor["p99_ms"] else float("inf")
    results.update(create_ratio=ratio, create_p99_ratio=p99_ratio)
    print(f"create / healthz: {ratio:.2f}x rate, {p99_ratio:.1f}x p99; server peak RSS "
          f"{results['server_peak_rss_mb']:,.0f} MB per process; load {results['load_start']:.1f} -> "
          f"{results['load_end']:.1f}")
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    target = BENCH_DIR / "api-results.json"
    target.write_text(json.dumps(results, indent=2, default=str))
    errors = sum(n for status, n in create["statuses"].items() if status != 200)
    print(f"targets: >= 500 creates/s: {create['per_second']:,.0f}; >= 0.35x healthz: {ratio:.2f}x; "
          f"p99 <= 3x healthz p99: {p99_ratio:.1f}x; no error: {errors:,}; batch >= 5,000 bills/s: "
          f"{bulk['bills_per_second']:,.0f}  ({target.relative_to(ROOT)})")
    if check != "ok":
        raise SystemExit(1)


if __name__ == "__main__":
    main()
