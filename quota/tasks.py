"""Periodic work of the quota app."""

from celery import shared_task

from quota.services import topups_expire


@shared_task(name="quota.expire_topups")
def expire_topups(**kwargs) -> int:
    """Ends unpaid top-ups whose payment time has passed."""
    return topups_expire()
