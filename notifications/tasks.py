"""Delivery tasks: thin, idempotent, safe to run twice. Beat runs the sweeps every few seconds."""

from celery import shared_task
from django.conf import settings

from notifications import callbacks, services


def _waiting(queue: str) -> int:
    """Messages waiting in ``queue`` at the broker (0 if the broker cannot say)."""
    from kopra.celery import app

    try:
        with app.connection_for_read() as connection:
            return connection.default_channel.queue_declare(queue=queue, passive=True).message_count
    except Exception:  # noqa: BLE001 - an unknown depth claims as if the queue were empty
        return 0


def _top_up(queue: str, claim, task) -> int:
    """Claims batches and queues them until ``queue`` holds DELIVERY_QUEUE_BATCHES or nothing is due."""
    size, target = settings.DELIVERY_BATCH_SIZE, settings.DELIVERY_QUEUE_BATCHES
    waiting, claimed = _waiting(queue), 0
    while waiting < target:
        ids = claim(size)
        if not ids:
            break
        task.delay(ids)
        claimed += len(ids)
        waiting += 1
        if len(ids) < size:
            break
    return claimed


@shared_task(name="notifications.directory_sweep")
def directory_sweep(**kwargs) -> int:
    """Claims received bills for the directory check, as many batches as the queue wants."""
    if not services.gateway_ready():
        return 0
    return _top_up("directory", services.directory_claim, check_directory)


@shared_task(name="notifications.dispatch_due_bills")
def dispatch_due_bills(**kwargs) -> int:
    """Claims bills whose start (or retry time) has come, as many batches as the queue wants."""
    if not services.gateway_ready():
        return 0
    return _top_up("push", services.dispatch_claim, push_bills)


@shared_task(name="notifications.check_directory")
def check_directory(bill_ids: list[int], **kwargs) -> None:
    services.directory_check(bill_ids=bill_ids)
    if len(bill_ids) >= settings.DELIVERY_BATCH_SIZE:
        directory_sweep.delay()  # a full batch: more may be waiting, so claim the next now


@shared_task(name="notifications.push_bills")
def push_bills(bill_ids: list[int], **kwargs) -> None:
    services.push_bills(bill_ids=bill_ids)
    if len(bill_ids) >= settings.DELIVERY_BATCH_SIZE:
        dispatch_due_bills.delay()  # a full batch: more may be due, so claim the next now


@shared_task(name="notifications.recheck_sweep")
def recheck_sweep(**kwargs) -> int:
    """Claims bills of payers without Livin' whose next look-up has come."""
    if not services.gateway_ready():
        return 0
    return _top_up("directory", services.recheck_claim, recheck_non_users)


@shared_task(name="notifications.recheck_non_users")
def recheck_non_users(bill_ids: list[int], **kwargs) -> None:
    services.recheck_non_users(bill_ids=bill_ids)


@shared_task(name="notifications.expire_due_bills")
def expire_due_bills(**kwargs) -> int:
    return services.expire_due_bills() + services.withdraw_sweep()


@shared_task(name="notifications.withdraw_bill", bind=True, max_retries=5)
def withdraw_bill(self, bill_id: int, **kwargs) -> None:
    if not services.withdraw(bill_id=bill_id):
        # A short retry; the expiry sweep withdraws it later if these run out too.
        raise self.retry(countdown=min(60, 5 * 2 ** self.request.retries))


@shared_task(name="notifications.quota_low_sweep")
def quota_low_sweep(**kwargs) -> int:
    """quota.low to each biller whose code's available quota fell below its threshold."""
    return callbacks.quota_low_sweep()


@shared_task(name="notifications.deliver_due_callbacks")
def deliver_due_callbacks(**kwargs) -> int:
    ids = callbacks.callbacks_claim(limit=200)
    for callback_id in ids:
        deliver_callback.delay(callback_id)
    return len(ids)


@shared_task(name="notifications.deliver_callback")
def deliver_callback(callback_id: int, **kwargs) -> None:
    callbacks.deliver(callback_id=callback_id)
