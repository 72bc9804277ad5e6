"""Liveness and readiness probes for load balancers and orchestrators."""

import time

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.selectors import heartbeat_age_seconds
from kopra.celery import app as celery_app


@never_cache
@require_GET
def healthz(request):
    """The process is alive and serving requests."""
    return JsonResponse({"status": "ok"})


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", reported by name
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


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


@never_cache
@require_GET
def readyz(request):
    """The database and the broker both answer; 503 naming whichever does not."""
    checks = {"database": _timed(_check_database), "broker": _timed(_check_broker)}
    down = [name for name, result in checks.items() if not result["ok"]]
    body = {
        "status": "ok" if not down else "unavailable",
        "down": down,
        "checks": checks,
    }
    if checks["database"]["ok"]:
        # Informational: a scheduler that stopped beating does not make the web unready.
        body["scheduler_heartbeat_age_seconds"] = heartbeat_age_seconds("beat")
    return JsonResponse(body, status=200 if not down else 503)
