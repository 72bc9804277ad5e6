"""The one way to write the audit log."""

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from core.models import AuditEvent
from core.observability import current_request_id

# Never written to the log, whatever a caller passes in details.
_SECRET_KEYS = {"password", "secret", "client_secret", "token", "signature", "otp", "private_key"}


def client_ip(request) -> str | None:
    """The caller's address as the last trusted proxy saw it."""
    if request is None:
        return None
    from django.conf import settings

    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0)
    if forwarded and proxies:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    action: str,
    sentence: str,
    actor=None,
    company=None,
    request=None,
    obj=None,
    details: dict[str, Any] | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Appends one audit line; ``actor`` and ``company`` default to the request's user.

    ``actor_label`` names an actor that is not a user (an API credential, the bank).
    """
    if actor is None and request is not None and getattr(request, "user", None) is not None:
        actor = request.user if request.user.is_authenticated else None
    if company is None and actor is not None:
        company = getattr(actor, "company", None)
    clean_details = {k: v for k, v in (details or {}).items() if k.lower() not in _SECRET_KEYS}
    return AuditEvent.objects.create(
        at=timezone.now(),
        actor=actor,
        actor_label=str(actor) if actor is not None else (actor_label or "system"),
        company=company,
        action=action,
        sentence=str(sentence),
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip=client_ip(request),
        request_id=current_request_id(),
        details=clean_details,
    )


def audit_record_each(
    *, action: str, entries: Iterable[tuple[Any, str]], actor=None, actor_label: str = "", company=None,
) -> None:
    """Appends one audit line per ``(object, sentence)`` of ``entries``, all in one statement: the
    lines ``audit_record`` would write one by one, for a batch (the bills of one API call)."""
    from core.bulk import insert_rows

    now, request_id = timezone.now(), current_request_id()
    label = str(actor) if actor is not None else (actor_label or "system")
    actor_id, company_id = getattr(actor, "pk", None), getattr(company, "pk", company)
    insert_rows(AuditEvent, ["at", "actor", "actor_label", "company", "action", "sentence", "object_type",
                             "object_id", "ip", "request_id", "details"],
                ((now, actor_id, label, company_id, action, str(sentence), obj._meta.label, str(obj.pk), None,
                  request_id, {}) for obj, sentence in entries))
