"""Platform tasks."""

from celery import shared_task

from kopra.services import heartbeat_record


@shared_task(name="kopra.heartbeat")
def heartbeat(name: str = "beat", **kwargs) -> None:
    """Proves beat, broker and a worker are all moving (shown by /readyz)."""
    heartbeat_record(name=name)
