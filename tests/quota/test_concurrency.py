"""Many bills reserving at once never take more quota than there is (PostgreSQL, real threads)."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection

from core.errors import Conflict, InsufficientQuota
from quota import selectors
from quota.models import LedgerEntry
from quota.services import quota_consume, quota_reserve
from tests.factories import registration_with_quota

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 32  # each thread holds its own connection; the server allows 100


def _race(count, move, registration, reference):
    """Runs ``count`` calls of ``move`` from WORKERS threads at once; returns (successes, refusals)."""
    start = Barrier(WORKERS)

    def one(i):
        try:
            if i < WORKERS:
                start.wait()  # the first wave leaves together
            move(registration=registration, units=1, reference=reference(i))
            return "ok"
        except (InsufficientQuota, Conflict) as refused:
            return refused.message
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        outcomes = list(pool.map(one, range(count)))
    successes = outcomes.count("ok")
    return successes, [o for o in outcomes if o != "ok"]


def test_a_thousand_concurrent_reservations_against_500_give_exactly_500(company):
    registration = registration_with_quota(company, 500, biller_code__code="89123")

    successes, refusals = _race(1000, quota_reserve, registration, lambda i: f"bill:{i}")

    assert successes == 500
    assert len(refusals) == 500
    assert all(r.startswith("Not enough quota for 89123: 0 available, 1 needed") for r in refusals)
    summary = selectors.quota_summary(registration)
    assert (summary["balance"], summary["reserved"], summary["available"]) == (500, 500, 0)
    assert LedgerEntry.objects.filter(kind="reserve").count() == 500
    assert selectors.ledger_mismatches() == []


def test_a_thousand_concurrent_consumptions_of_500_reserved_give_exactly_500(company):
    registration = registration_with_quota(company, 500, biller_code__code="89123")
    quota_reserve(registration=registration, units=500, reference="upload:1")

    successes, refusals = _race(1000, quota_consume, registration, lambda i: f"bill:{i}")

    assert successes == 500
    assert len(refusals) == 500
    summary = selectors.quota_summary(registration)
    assert (summary["balance"], summary["reserved"], summary["available"]) == (0, 0, 0)
    assert selectors.ledger_mismatches() == []


def test_the_same_reservation_sent_by_many_threads_at_once_is_booked_once(company):
    registration = registration_with_quota(company, 500, biller_code__code="89123")

    successes, refusals = _race(200, quota_reserve, registration, lambda i: "bill:42")

    assert (successes, refusals) == (200, [])  # each caller gets the one booked entry
    assert selectors.quota_summary(registration)["reserved"] == 1
    assert LedgerEntry.objects.filter(kind="reserve").count() == 1
