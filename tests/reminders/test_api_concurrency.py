"""Concurrency rules of the Open API over real HTTP, with one database connection per request."""

import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.db import connection

from quota.selectors import quota_summary
from reminders.models import Bill
from snap.client import MESSAGES_PATH
from tests.reminders.conftest import make_client
from tests.reminders.test_api import message

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
PARALLEL = 50


@pytest.fixture
def http_api(company, registration, keypair, live_server_fresh_connections):
    # A connection per parallel call that stays open for the test: a pool smaller than the
    # burst closes idle connections as calls finish, which httpcore can do under a thread
    # that has just been handed one ("Bad file descriptor").
    pool = httpx.Limits(max_connections=PARALLEL, max_keepalive_connections=PARALLEL, keepalive_expiry=60)
    client = make_client(company, keypair, transport=httpx.HTTPTransport(limits=pool))
    client.base_url = live_server_fresh_connections.url
    client.get_token()
    return client


def in_parallel(count, call):
    with ThreadPoolExecutor(max_workers=count) as pool:
        results = list(pool.map(lambda _: call(), range(count)))
    connection.close()
    return results


def test_fifty_parallel_requests_with_one_external_id_make_one_bill(http_api, registration):
    body = message()
    responses = in_parallel(PARALLEL, lambda: http_api.call(MESSAGES_PATH, body, external_id="20261125123456"))

    assert Bill.objects.count() == 1
    assert {r.status_code for r in responses} == {200}
    assert len({r.text for r in responses}) == 1, "every answer is the first one, to the byte"
    assert quota_summary(registration)["reserved"] == 1


def test_parallel_requests_for_one_bill_key_leave_one_active_reminder(http_api, registration):
    numbers = itertools.count(1)  # next() is atomic: each call its own partner reference

    def create_one():
        return http_api.call(MESSAGES_PATH, message(partnerReferenceNo=f"INV-{next(numbers):04d}"))

    responses = in_parallel(20, create_one)
    codes = sorted(r.body["responseCode"] for r in responses)
    assert codes.count("2009000") == 1
    assert codes.count("4099000") == 19
    assert Bill.objects.count() == 1
    assert quota_summary(registration)["reserved"] == 1


def test_creates_racing_a_stop_leave_no_active_bill_on_the_stopped_code(http_api, registration, maker, approver):
    """Eight connections keep creating while the code is stopped: every bill answered 200 before the
    stop ends cancelled with its push given back, every create after it is refused, and the stop
    is not held up by the stream of creates."""
    from django.core.management import call_command

    from billers.registrations import service_change_approve, service_change_request
    from quota.services import quota_grant
    from reminders.models import ACTIVE_STATUSES, BillStatus

    quota_grant(registration=registration, units=5000, reference="race:grant")
    answers, stopped = [], threading.Event()
    deadline = time.monotonic() + 4

    def keep_creating(worker):
        number = 0
        while time.monotonic() < deadline:
            number += 1
            response = http_api.call(MESSAGES_PATH, message(partnerReferenceNo=f"RACE-{worker}-{number}",
                                                            billKey=f"{worker:02d}{number:08d}"))
            answers.append((stopped.is_set(), response.body["responseCode"]))

    threads = [threading.Thread(target=keep_creating, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    change = service_change_request(registration=registration, action="stop", actor=maker)
    started = time.monotonic()
    service_change_approve(change=change, approver=approver)
    stop_seconds = time.monotonic() - started
    stopped.set()
    for thread in threads:
        thread.join()
    connection.close()

    created = [code for _, code in answers if code == "2009000"]
    assert len(created) > 20, "the creates ran before the stop"
    assert any(after and code == "4039001" for after, code in answers), "creates after the stop were refused"
    assert not any(after and code == "2009000" for after, code in answers)
    assert not Bill.objects.filter(registration=registration, status__in=ACTIVE_STATUSES).exists()
    assert Bill.objects.filter(registration=registration).count() == len(created)
    assert set(Bill.objects.filter(registration=registration).values_list("status", flat=True)) == {
        BillStatus.CANCELLED}
    assert quota_summary(registration)["reserved"] == 0
    call_command("quota_reconcile")  # exits 1 on a mismatch
    assert stop_seconds < 20, f"the stop waited {stop_seconds:.1f} s for the creates"
