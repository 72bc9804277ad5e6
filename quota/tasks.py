"""Periodic work of the quota app."""

from celery import shared_task

from quota.topups import topups_expire, topups_settle_debits


@shared_task(name="quota.expire_topups")
def expire_topups(**kwargs) -> int:
    """Ends unpaid top-ups whose payment time has passed."""
    return topups_expire()


@shared_task(name="quota.settle_debits")
def settle_debits(**kwargs) -> int:
    """Asks the bank again about debits it has not answered (it debits each order once)."""
    return topups_settle_debits()
