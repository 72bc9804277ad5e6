"""Staff e-mail from the worker: the outbox sent, and top-ups about to expire told to their makers."""

from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from quota.models import TopUpOrder
from staffmail import receivers, services

EXPIRING_WITHIN = timedelta(hours=2)


@shared_task(name="staffmail.send_pending")
def send_pending(**kwargs) -> int:
    return services.send_pending()


@shared_task(name="staffmail.topup_expiry_sweep")
def topup_expiry_sweep(**kwargs) -> int:
    """Tells each maker whose top-up's virtual account closes within two hours, once per order."""
    now = timezone.now()
    orders = (TopUpOrder.objects.filter(status=TopUpOrder.Status.AWAITING_PAYMENT, method=TopUpOrder.Method.VA,
                                        expires_at__gt=now, expires_at__lte=now + EXPIRING_WITHIN)
              .select_related("registration__biller_code", "requested_by"))
    queued = 0
    with transaction.atomic():
        for order in orders:
            queued += receivers.topup_expiring(order)
    return queued
