"""Platform tasks."""

from celery import shared_task

from core.services import heartbeat_record


@shared_task(name="core.heartbeat")
def heartbeat(name: str = "beat", **kwargs) -> None:
    """Proves beat, broker and a worker are all moving (shown by /readyz)."""
    heartbeat_record(name=name)
