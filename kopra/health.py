"""Liveness and readiness probes for load balancers and orchestrators."""

import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.selectors import heartbeat_age_seconds
from kopra.celery import app as celery_app

_STARTED = time.monotonic()


@never_cache
@require_GET
def healthz(request):
    """The process is alive and serving requests."""
    return JsonResponse({"status": "ok"})


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_broker():
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        # Redis connects lazily: make it answer, not just resolve.
        client = getattr(conn.default_channel, "client", None)
        if client is not None and hasattr(client, "ping"):
            client.ping()


def _check_scheduler():
    """Beat's heartbeat task ran lately: beat ticks and a worker takes work.

    A web process just started (a deploy, ``make run`` on yesterday's database) gives beat
    and the workers the same time to beat before it calls them stale.
    """
    age = heartbeat_age_seconds("beat")
    limit = settings.SCHEDULER_STALE_AFTER_SECONDS
    up = time.monotonic() - _STARTED
    if up > limit and (age is None or age > limit):
        last = "no heartbeat yet" if age is None else f"last heartbeat {age:.0f} s ago"
        raise RuntimeError(f"{last} (limit {limit} s)")
    return {"heartbeat_age_seconds": age}


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        found = check() or {}
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", reported by name
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1), **found}


@never_cache
@require_GET
def readyz(request):
    """The database, the broker and the scheduler each answer; 503 naming whichever does not.

    The scheduler is ready while beat's heartbeat task, run by a worker, ran within
    ``SCHEDULER_STALE_AFTER_SECONDS``: a worker that stopped taking work, or a beat that
    stopped, makes this answer 503 so an orchestrator restarts what is stuck.
    """
    checks = {"database": _timed(_check_database), "broker": _timed(_check_broker)}
    if checks["database"]["ok"]:
        checks["scheduler"] = _timed(_check_scheduler)
    down = [name for name, result in checks.items() if not result["ok"]]
    body = {
        "status": "ok" if not down else "unavailable",
        "down": down,
        "checks": checks,
    }
    return JsonResponse(body, status=200 if not down else 503)
