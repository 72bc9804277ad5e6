"""Reads of the platform's own rows."""

from django.utils import timezone

from core.models import Heartbeat


def heartbeat_age_seconds(name: str) -> float | None:
    """Seconds since the named process last beat, or None if it never did."""
    beat_at = Heartbeat.objects.filter(name=name).values_list("beat_at", flat=True).first()
    if beat_at is None:
        return None
    return round((timezone.now() - beat_at).total_seconds(), 1)


def created_by_requests(model_label: str, pks) -> dict[str, str]:
    """The id of the request that created each object (from its ``*.created`` audit row), by pk."""
    from core.models import AuditEvent

    rows = AuditEvent.objects.filter(
        object_type=model_label, object_id__in=[str(pk) for pk in pks], action__endswith=".created",
    ).values_list("object_id", "request_id")
    return dict(rows)
