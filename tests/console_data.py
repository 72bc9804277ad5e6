"""Known data for the console's list, dashboard and report tests: bills, pushes and payments in bulk.

Rows are written directly (bulk_create) where a test needs many of them in a given state
quickly; tests about behaviour (cancel, approve) go through the services instead.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.time import WIB
from notifications.models import DeliveryAttempt
from reminders.models import Bill, BillEvent, BillSource, BillStatus

_numbers = itertools.count(1)


def wib(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=WIB)


def bills(registration, count: int, **fields) -> list[Bill]:
    """``count`` bills of ``registration``; ``fields`` may be values or callables of the bill's index."""
    now = dt.datetime.now(dt.UTC)
    made = []
    for index in range(count):
        number = next(_numbers)
        values = {
            "company_id": registration.company_id, "registration": registration, "bill_key": f"K{number:07d}",
            "payer_phone": "+6281234567890", "payer_name": f"Payer {number}", "amount": Decimal("150000.00"),
            "start_at": now - dt.timedelta(hours=1), "end_at": now + dt.timedelta(days=7),
            "status": BillStatus.RECEIVED, "source": BillSource.API, "created_at": now,
            "reference_no": f"T{number:011d}X{index:011d}"[:24],
        }
        for name, value in fields.items():
            values[name] = value(index) if callable(value) else value
        made.append(Bill(**values))
    return Bill.objects.bulk_create(made)


def events(bill: Bill, count: int) -> None:
    BillEvent.objects.bulk_create(
        BillEvent(bill=bill, to_status=BillStatus.RECEIVED, actor_label="test", reason=f"event {n}")
        for n in range(count)
    )


def pushes(bill_list, *, at=None, lag_ms=None, ok=True) -> None:
    """One push attempt per bill; ``at`` and ``lag_ms`` may be values or callables of the index."""
    DeliveryAttempt.objects.bulk_create(
        DeliveryAttempt(
            company_id=bill.company_id, bill=bill, operation=DeliveryAttempt.Operation.PUSH, ok=ok,
            error="" if ok else "gateway timeout", latency_ms=20,
            at=(at(index) if callable(at) else at) or dt.datetime.now(dt.UTC),
            lag_ms=lag_ms(index) if callable(lag_ms) else lag_ms,
        )
        for index, bill in enumerate(bill_list)
    )


def queries_of(call) -> int:
    """How many queries ``call()`` issued."""
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)
