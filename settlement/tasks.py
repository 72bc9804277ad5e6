from celery import shared_task

from core.plugins import configured
from settlement import services


@shared_task(name="settlement.sync_settlements")
def sync_settlements(registration_ids=None, **kwargs) -> int:
    """Reads the bank's statements of the days that may still bring a credit (beat, and after a payment)."""
    if not configured("PAYMENTS_GATEWAY"):
        return 0
    return services.settlements_sync(registration_ids=registration_ids)
