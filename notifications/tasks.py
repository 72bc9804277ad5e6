"""Delivery tasks: thin, idempotent, safe to run twice. Beat runs the sweeps every few seconds."""

from celery import shared_task
from django.conf import settings

from notifications import callbacks, services


def _chunks(ids: list[int], size: int):
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


@shared_task(name="notifications.check_directory")
def check_directory(bill_ids: list[int], **kwargs) -> None:
    services.directory_check(bill_ids=bill_ids)


@shared_task(name="notifications.directory_sweep")
def directory_sweep(**kwargs) -> int:
    """Claims received bills and checks them against the Livin' directory in batches."""
    if not services.gateway_ready():
        return 0
    ids = services.directory_claim(limit=settings.DELIVERY_BATCH_SIZE * 10)
    for chunk in _chunks(ids, 500):
        check_directory.delay(chunk)
    return len(ids)


@shared_task(name="notifications.dispatch_due_bills")
def dispatch_due_bills(**kwargs) -> int:
    """Claims bills whose start (or retry time) has come and hands them to push tasks."""
    if not services.gateway_ready():
        return 0
    ids = services.dispatch_claim(limit=settings.DELIVERY_BATCH_SIZE * 10)
    for chunk in _chunks(ids, settings.DELIVERY_BATCH_SIZE):
        push_bills.delay(chunk)
    return len(ids)


@shared_task(name="notifications.push_bills")
def push_bills(bill_ids: list[int], **kwargs) -> None:
    services.push_bills(bill_ids=bill_ids)


@shared_task(name="notifications.expire_due_bills")
def expire_due_bills(**kwargs) -> int:
    return services.expire_due_bills() + services.withdraw_sweep()


@shared_task(name="notifications.withdraw_bill", bind=True, max_retries=5)
def withdraw_bill(self, bill_id: int, **kwargs) -> None:
    if not services.withdraw(bill_id=bill_id):
        # A short retry; the expiry sweep withdraws it later if these run out too.
        raise self.retry(countdown=min(60, 5 * 2 ** self.request.retries))


@shared_task(name="notifications.deliver_due_callbacks")
def deliver_due_callbacks(**kwargs) -> int:
    ids = callbacks.callbacks_claim(limit=200)
    for callback_id in ids:
        deliver_callback.delay(callback_id)
    return len(ids)


@shared_task(name="notifications.deliver_callback")
def deliver_callback(callback_id: int, **kwargs) -> None:
    callbacks.deliver(callback_id=callback_id)
