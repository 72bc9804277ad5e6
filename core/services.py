"""Writes of the platform's own rows."""

from django.utils import timezone

from core.models import Heartbeat


def heartbeat_record(*, name: str) -> None:
    """Notes that the named process is alive now."""
    Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": timezone.now()})
