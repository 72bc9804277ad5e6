"""Reads of the platform's own rows."""

from django.utils import timezone

from kopra.models import Heartbeat


def heartbeat_age_seconds(name: str) -> float | None:
    """Seconds since the named process last beat, or None if it never did."""
    beat_at = Heartbeat.objects.filter(name=name).values_list("beat_at", flat=True).first()
    if beat_at is None:
        return None
    return round((timezone.now() - beat_at).total_seconds(), 1)
