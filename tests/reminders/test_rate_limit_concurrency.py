"""A rate limit of N calls per minute lets exactly N through when 200 arrive at once.

Real HTTP into two gunicorn processes (threads in each) that share nothing but the
database and, where configured, Redis: the count must be exact across processes, on the
Redis counter (INCR) and on the database counter (a conditional UPDATE) alike. Separate
processes also keep the number of database connections bounded (gunicorn's threads),
where the test server would open one per concurrent request.
"""

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from core import signing
from snap.client import QUOTA_PATH
from tests.conftest import ROOT, database_url_of_test_db, free_port, redis_url_or_skip
from tests.factories import registered_code
from tests.reminders.conftest import make_client

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LIMIT = 37
CALLS = 200


@pytest.fixture
def web_processes(transactional_db):
    """Starts gunicorn (2 processes x 16 threads) on the test database; ``start(env)`` returns its URL."""
    started = []

    def start(extra_env: dict) -> str:
        port = free_port()
        env = {**os.environ, "DATABASE_URL": database_url_of_test_db(), "BIND": f"127.0.0.1:{port}",
               "WEB_CONCURRENCY": "2", "WEB_THREADS": "16", "CONN_MAX_AGE": "0", **extra_env}
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "kopra.wsgi:application", "--config", "kopra/gunicorn.conf.py",
             "--access-logfile", "/dev/null", "--error-logfile", "-",
             # A connection the client pools between two calls must not be closed under it:
             # on a loaded machine a calling thread may start seconds after another finished.
             "--keep-alive", "60"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    return url
            except httpx.HTTPError:
                pass
            assert process.poll() is None, process.communicate()[0][-3000:]
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)

    yield start
    for process in started:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        print(output[-6000:])  # shown with a failure: what the server said


def away_from_the_minute_boundary():
    """The window is the calendar minute: start a burst with at least 12 s of it left."""
    while time.time() % 60 > 48:
        time.sleep(0.5)


def burst(client) -> list[str]:
    away_from_the_minute_boundary()
    client.get_token()
    with ThreadPoolExecutor(max_workers=CALLS) as pool:
        responses = list(pool.map(lambda _: client.call(QUOTA_PATH, {"billerCode": "89123"}), range(CALLS)))
    return [r.body.get("responseCode") for r in responses]


def limited_client(company, url):
    from snap.models import ApiCredential

    registered_code(company, quota=10, code="89123")
    # One connection per concurrent call, none closed while the burst lasts: a smaller pool
    # closes idle connections as calls finish, and httpcore can then close one under a
    # thread that has just been handed it ("Bad file descriptor").
    pool = httpx.Limits(max_connections=CALLS, max_keepalive_connections=CALLS, keepalive_expiry=60)
    client = make_client(company, signing.generate_rsa_keypair(), transport=httpx.HTTPTransport(limits=pool))
    client.base_url = url
    ApiCredential.objects.filter(pk=client.credential.pk).update(rate_limit_per_minute=LIMIT)
    return client


@pytest.mark.redis
def test_exactly_n_of_200_concurrent_calls_pass_a_limit_of_n_on_redis(company, web_processes):
    import redis

    redis_url = redis_url_or_skip()
    url = web_processes({"REDIS_URL": redis_url})
    client = limited_client(company, url)
    # The servers count under Django's default key prefix: forget counts an earlier run left
    # for a credential with the same pk in this minute or the next.
    minute = int(time.time()) // 60
    redis.Redis.from_url(redis_url).delete(
        *(f":1:rate:credential:{client.credential.pk}:{m}" for m in range(minute, minute + 2)))
    codes = burst(client)
    assert codes.count("2009300") == LIMIT, sorted(set(codes))
    assert codes.count("4299300") == CALLS - LIMIT


def test_exactly_n_of_200_concurrent_calls_pass_a_limit_of_n_on_the_database(company, web_processes, settings):
    from snap.models import RateWindow

    settings.REDIS_URL = ""
    url = web_processes({"REDIS_URL": ""})
    codes = burst(limited_client(company, url))
    assert codes.count("2009300") == LIMIT, sorted(set(codes))
    assert codes.count("4299300") == CALLS - LIMIT
    # The service calls alone (the token request has windows of its own).
    assert sum(RateWindow.objects.filter(key__startswith="credential:").values_list("count", flat=True)) == LIMIT
