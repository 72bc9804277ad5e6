"""The one way to write the audit log, and to read a line of it back.

A line is stored as its message, the English source text marked for translation
(``gettext_noop``), and its parameters (JSON). It is put together when shown, in the reader's
language: amounts as Rupiah, moments in Jakarta time, choices (statuses, roles, methods) by
their translated labels. Lines written before messages had parameters hold a finished English
sentence and no parameters, and are shown as stored.

    audit_record(action="bill.cancelled", actor=actor, obj=bill,
                 sentence=gettext_noop("%(actor)s cancelled bill %(reference)s: %(reason)s"),
                 params={"actor": actor, "reference": bill.reference_no, "reason": reason})

A parameter is shown as written, except: a ``TextChoices`` member, ``label(...)`` or a lazy
translation shows as its translated label; ``money(...)`` as ``Rp 1.234.567``; a datetime or
``moment(...)`` in WIB; a list as its items joined by commas; ``phrase(...)`` as a message of
its own with its own parameters (an optional clause, one change among several).
"""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from core.models import AuditEvent
from core.observability import current_request_id

# Never written to the log, whatever a caller passes in details or params.
_SECRET_KEYS = {"password", "secret", "client_secret", "token", "signature", "otp", "private_key"}

# Between "Rp" and the number on a page: a line never breaks inside an amount.
NO_BREAK_SPACE = "\u00a0"


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


# --- Parameters that are shown in the reader's language -------------------------------------


def money(amount) -> dict:
    """An amount in rupiah, shown as ``Rp 1.234.567`` (``Rp 1.234.567,50`` when not whole)."""
    return {"money": str(Decimal(str(amount)))}


def moment(when: dt.datetime) -> dict:
    """A moment, shown in Jakarta time (``05 Mar 2026 14:30 WIB``, the month in the reader's language)."""
    if timezone.is_naive(when):
        raise ValueError(f"An audit moment must be aware: {when!r}")
    return {"moment": when.astimezone(dt.UTC).isoformat()}


def label(text) -> dict:
    """A word marked for translation (a choice's label, a field's name), shown translated."""
    return {"label": _source_text(text)}


def phrase(message: str, **params) -> dict:
    """A message of its own (``gettext_noop``) with its own parameters, shown translated."""
    _check(message, params)
    return {"phrase": message, "params": _stored(params)}


def who(actor, name: str = "") -> str | dict:
    """Who acted, for a sentence: the user, else ``name`` (an API credential), else "system" translated."""
    if actor is not None:
        return str(actor)
    return name if name and name != "system" else label(gettext_noop("system"))


def yes_no(value: bool) -> dict:
    """A setting's state, shown as Yes or No in the reader's language."""
    return label(gettext_noop("Yes") if value else gettext_noop("No"))


def because(reason: str) -> dict | str:
    """A reason someone typed, as the end of a sentence (``: the reason``); nothing when there is none."""
    return phrase(gettext_noop(": %(reason)s"), reason=reason) if reason else ""


def _source_text(text) -> str:
    """``text``'s English source text (what ``gettext`` looks up), whatever language is active."""
    with translation.override(None):
        return str(text)


def _stored_value(value) -> Any:
    if isinstance(value, models.Choices):  # a status, role, method: its label, not its code
        return label(value.label)
    if isinstance(value, Promise):
        return label(value)
    if isinstance(value, dt.datetime):
        return moment(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return {"list": [_stored_value(item) for item in value]}
    if isinstance(value, dict) or value is None or isinstance(value, (bool, int, str)):
        return value
    return _source_text(value)  # a user, a Decimal count: as written


def _stored(params: dict[str, Any] | None) -> dict[str, Any]:
    return {key: _stored_value(value) for key, value in (params or {}).items() if key.lower() not in _SECRET_KEYS}


def _check(message: str, params: dict) -> None:
    """Refuses a message whose placeholders and parameters do not match, when written, not when read."""
    if not params:
        if "%(" in message:
            raise ValueError(f"Audit message {message!r} has placeholders but no parameters")
        return
    try:
        message % dict.fromkeys(params, "")
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"Audit message {message!r} does not fit its parameters {sorted(params)}: {error}") from None


# --- Reading a line back ----------------------------------------------------------------------


def audit_text(message: str, params: dict | None, *, space: str = NO_BREAK_SPACE) -> str:
    """A stored message with its parameters, in the active language; a line without parameters as
    stored (translated when it is a message of its own)."""
    text = gettext(message) if message else ""
    if not params:
        return text
    shown = {key: _shown(value, space) for key, value in params.items()}
    try:
        return text % shown
    except (KeyError, TypeError, ValueError):
        # A translation that lost a placeholder must not hide what happened.
        try:
            return message % shown
        except (KeyError, TypeError, ValueError):
            return message


def _shown(value, space: str) -> str:
    from core import money as rupiah
    from core.templatetags.kopra_format import wib

    if isinstance(value, dict):
        if "money" in value:
            return rupiah.rupiah(value["money"], space=space)
        if "moment" in value:
            return wib(dt.datetime.fromisoformat(value["moment"]))
        if "label" in value:
            return gettext(value["label"]) if value["label"] else ""
        if "list" in value:
            return ", ".join(_shown(item, space) for item in value["list"])
        if "phrase" in value:
            return audit_text(value["phrase"], value.get("params"), space=space)
    if value is None:
        return rupiah.NOTHING
    return str(value)


# Every action the services write, as an admin reads it in the log's filter and column.
ACTIONS = {
    "login.succeeded": _("Signed in"),
    "login.failed": _("Sign-in failed"),
    "login.locked_out": _("Sign-in locked"),
    "logout": _("Signed out"),
    "user.created": _("User created"),
    "user.updated": _("User changed"),
    "user.enabled": _("User enabled"),
    "user.disabled": _("User disabled"),
    "user.password_reset": _("Password reset"),
    "user.password_changed": _("Password changed by its user"),
    "user.two_factor_reset": _("Two-factor sign-in reset"),
    "company.settings_changed": _("Company settings changed"),
    "mail.preferences": _("E-mail preferences changed"),
    "registration.created": _("Biller code registered"),
    "registration.threshold_changed": _("Low-quota warning changed"),
    "registration.stop_requested": _("Stop of service requested"),
    "registration.resume_requested": _("Resumption of service requested"),
    "registration.change_rejected": _("Service request rejected"),
    "registration.change_cancelled": _("Service request cancelled"),
    "registration.stopped": _("Service stopped"),
    "registration.resumed": _("Service resumed"),
    "registration.stopped_by_registry": _("Service stopped by the registry"),
    "api_credential.created": _("API credential created"),
    "api_credential.updated": _("API credential changed"),
    "api_credential.rotated": _("API client secret rotated"),
    "api_credential.revoked": _("API credential revoked"),
    "callback.configured": _("Callback URL set"),
    "callback.secret_rotated": _("Callback secret rotated"),
    "callback.tested": _("Test callback sent"),
    "callback.resent": _("Callback re-sent"),
    "quota.grant": _("Quota granted"),
    "quota.topup": _("Quota topped up"),
    "quota.adjust": _("Quota adjusted"),
    "topup.requested": _("Top-up ordered"),
    "topup.approved": _("Top-up approved"),
    "topup.refused": _("Top-up refused"),
    "topup.cancelled": _("Top-up cancelled"),
    "topup.paid": _("Top-up paid"),
    "topup.payment_refused": _("Top-up payment refused"),
    "topup.expired": _("Top-up expired"),
    "bill.created": _("Bill created"),
    "bill.cancelled": _("Bill cancelled"),
    "bills.api_approved": _("API bills approved"),
    "bills.api_rejected": _("API bills rejected"),
    "upload.received": _("File uploaded"),
    "upload.validated": _("Upload checked"),
    "upload.refused": _("Upload refused"),
    "upload.submit_requested": _("Upload submission requested"),
    "upload.submitted": _("Upload submitted"),
    "upload.approve_requested": _("Upload approval requested"),
    "upload.approved": _("Upload approved"),
    "upload.reject_requested": _("Upload rejection requested"),
    "upload.rejected": _("Upload rejected"),
    "upload.discard_requested": _("Upload discard requested"),
    "upload.discarded": _("Upload discarded"),
    "upload.files_removed": _("Upload files removed"),
}


def action_label(action: str) -> str:
    """The action's label in the reader's language; an action without one as its code."""
    return str(ACTIONS[action]) if action in ACTIONS else action


# --- Writing ----------------------------------------------------------------------------------


def audit_record(
    *,
    action: str,
    sentence: str,
    params: dict[str, Any] | None = None,
    actor=None,
    company=None,
    request=None,
    obj=None,
    details: dict[str, Any] | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Appends one audit line; ``actor`` and ``company`` default to the request's user.

    ``sentence`` is the message (``gettext_noop``), ``params`` its parameters (see the module).
    ``actor_label`` names an actor that is not a user (an API credential, the bank).
    """
    if actor is None and request is not None and getattr(request, "user", None) is not None:
        actor = request.user if request.user.is_authenticated else None
    if company is None and actor is not None:
        company = getattr(actor, "company", None)
    message = _source_text(sentence)
    _check(message, params or {})
    clean_details = {k: v for k, v in (details or {}).items() if k.lower() not in _SECRET_KEYS}
    return AuditEvent.objects.create(
        at=timezone.now(),
        actor=actor,
        actor_label=str(actor) if actor is not None else (actor_label or "system"),
        company=company,
        action=action,
        sentence=message,
        params=_stored(params),
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip=client_ip(request),
        request_id=current_request_id(),
        details=clean_details,
    )


def audit_record_each(
    *, action: str, sentence: str, entries: Iterable[tuple[Any, dict[str, Any]]], actor=None, actor_label: str = "",
    company=None,
) -> None:
    """Appends one audit line per ``(object, params)`` of ``entries``, all with the message ``sentence``
    and in one statement: the lines ``audit_record`` would write one by one, for a batch (the bills
    of one API call)."""
    from core.bulk import insert_rows

    now, request_id = timezone.now(), current_request_id()
    message = _source_text(sentence)
    shown_actor = str(actor) if actor is not None else (actor_label or "system")
    actor_id, company_id = getattr(actor, "pk", None), getattr(company, "pk", company)

    def rows():
        for obj, params in entries:
            _check(message, params)
            yield (now, actor_id, shown_actor, company_id, action, message, _stored(params), obj._meta.label,
                   str(obj.pk), None, request_id, {})

    insert_rows(AuditEvent, ["at", "actor", "actor_label", "company", "action", "sentence", "params",
                             "object_type", "object_id", "ip", "request_id", "details"], rows())
