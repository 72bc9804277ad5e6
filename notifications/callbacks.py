"""Signed callbacks to billers (docs/api.md, "Callbacks to your system"), delivered from an outbox table.

An event is written in the same transaction as the change it reports, so it is never
lost and never sent for a change that rolled back; a sweep POSTs due events, and
non-2xx answers and timeouts are retried with backoff for 24 hours.
"""

import json
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billers.models import Company
from core import crypto, events, outbound, signing
from core.errors import InvalidInput
from core.links import console_link
from notifications.models import CallbackAttempt, CallbackEvent, CallbackSetting
from quota.models import QuotaAccount
from quota.services import quota_low_crossings
from reminders.models import Upload

BILL_EVENTS = {
    "DISPLAYED": "bill.displayed",
    "PAID": "bill.paid",
    "EXPIRED": "bill.expired",
    "CANCELLED": "bill.cancelled",
    "FAILED": "bill.failed",
    "NOT_LIVIN_USER": "bill.not_livin_user",
}
RETRY_FOR = timedelta(hours=24)
TIMEOUT_SECONDS = 10


def new_external_id() -> str:
    return f"{int(time.time() * 1000)}{secrets.randbelow(10**12):012d}"


def callback_setting_save(*, company: Company, url: str, actor=None,
                          request=None) -> tuple[CallbackSetting, str | None]:
    """Sets the company's callback URL; a new secret (returned, shown once) on first setup.

    ``InvalidInput`` naming the URL if it may not be called (``core.outbound``)."""
    from core import audit
    from core.audit import audit_record

    refusal = outbound.url_refusal(url)
    if refusal:
        raise InvalidInput(refusal, field="url")
    setting = CallbackSetting.objects.filter(company=company).first()
    secret = None
    if setting is None:
        secret = secrets.token_urlsafe(32)
        setting = CallbackSetting.objects.create(company=company, url=url,
                                                 secret_encrypted=crypto.encrypt_secret(secret))
    elif setting.url != url:
        setting.url = url
        setting.save(update_fields=["url", "updated_at"])
    audit_record(action="callback.configured", actor=actor, company=company, request=request, obj=setting,
                 sentence=gettext_noop("%(actor)s set the callback URL to %(url)s"),
                 params={"actor": audit.who(actor), "url": url})
    return setting, secret


def callback_secret_rotate(*, company: Company, actor=None, request=None) -> str:
    from core import audit
    from core.audit import audit_record

    setting = CallbackSetting.objects.get(company=company)
    secret = secrets.token_urlsafe(32)
    setting.secret_encrypted = crypto.encrypt_secret(secret)
    setting.save(update_fields=["secret_encrypted", "updated_at"])
    audit_record(action="callback.secret_rotated", actor=actor, company=company, request=request, obj=setting,
                 sentence=gettext_noop("%(actor)s rotated the callback secret"), params={"actor": audit.who(actor)})
    return secret


def bill_payload(bill) -> dict:
    def iso(moment):
        return signing.format_timestamp(moment) if moment else None

    return {
        "referenceNo": bill.reference_no,
        "partnerReferenceNo": bill.partner_reference_no,
        "billerCode": bill.registration.code,
        "billKey": bill.bill_key,
        "payerPhoneNumber": bill.payer_phone,
        "totalAmount": {"value": f"{bill.amount:.2f}", "currency": "IDR"},
        "status": bill.status,
        "startDate": iso(bill.start_at),
        "endDate": iso(bill.end_at),
        "livinUser": bill.livin_user,
        "displayedAt": iso(bill.displayed_at),
        "paidAt": iso(bill.paid_at),
        "paidAmount": {"value": f"{bill.paid_amount:.2f}", "currency": "IDR"} if bill.paid_amount else None,
        "paymentChannel": bill.payment_channel or None,
        "paymentReferenceNo": bill.payment_reference or None,
    }


def _queue_events(events: list[tuple[int, str, dict, object]]) -> None:
    """Writes ``(company id, event, data, bill or None)`` for each company with a callback URL: one
    outbox row each, all by one statement, in the caller's transaction (so an event is never
    sent for a change that rolled back)."""
    if not events:
        return
    listening = set(CallbackSetting.objects.filter(
        company_id__in={company_id for company_id, *_ in events}, enabled=True).values_list("company_id", flat=True))
    now = timezone.now()
    occurred = signing.format_timestamp(now)
    CallbackEvent.objects.bulk_create([
        CallbackEvent(
            company_id=company_id, bill=bill, event=event, external_id=new_external_id(),
            payload={"event": event, "occurredAt": occurred, "data": data},
            next_attempt_at=now, give_up_at=now + RETRY_FOR,
        )
        for company_id, event, data, bill in events if company_id in listening
    ])


def bills_event(bills, from_status: str = "") -> None:
    """Reports the bills' new status to their billers, where it is a status callers hear about
    (a ``reminders.lifecycle`` hook, in the transaction that moved them)."""
    _queue_events([(bill.company_id, BILL_EVENTS[bill.status], bill_payload(bill), bill)
                   for bill in bills if bill.status in BILL_EVENTS])


def upload_payload(upload) -> dict:
    """An upload whose check has ended, as ``upload.processed`` reports it (docs/api.md, section 12)."""
    refused = upload.status == Upload.Status.REFUSED
    return {
        "uploadId": upload.pk,
        "fileName": upload.original_name,
        "billerCode": upload.registration.code,
        "status": upload.status.upper(),
        "rowsTotal": upload.rows_total,
        "validRows": None if refused else upload.valid_rows,
        "invalidRows": None if refused else upload.invalid_rows,
        "repeatedRows": None if refused else upload.duplicate_rows,
        "activeReminderRows": None if refused else upload.active_conflicts,
        "refusal": {"code": upload.refusal_code, "message": upload.refusal_text} if refused else None,
        "reportUrl": console_link("upload_detail", upload.pk),
    }


def quota_low_sweep() -> int:
    """``quota.low`` for each code whose available quota fell below its threshold since last said:
    once per crossing, written with the mark that says it was told (beat, every minute)."""
    with transaction.atomic():
        accounts = quota_low_crossings()
        _queue_events([(account.company_id, "quota.low", {
            "billerCode": account.registration.code,
            "available": account.available,
            "threshold": account.registration.low_quota_threshold,
            "quotaUrl": console_link("quota_detail", account.registration_id),
        }, None) for account in accounts])
        if accounts:
            events.quota_low.send(sender=QuotaAccount, accounts=accounts)  # staff e-mail, for one
    return len(accounts)


def upload_event(upload) -> None:
    """``upload.processed``: an upload's check has ended, checked or refused; once per upload
    (a ``reminders.lifecycle`` hook, in the transaction that ended the check)."""
    with translation.override("en"):  # the refusal in the contract's language
        _queue_events([(upload.company_id, "upload.processed", upload_payload(upload), None)])


def _retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def signed_headers(*, url: str, body: str, secret: str, external_id: str) -> dict:
    parts = urlsplit(url)
    endpoint = parts.path or "/"
    if parts.query:
        endpoint += "?" + parts.query
    stamp = signing.format_timestamp(timezone.now())
    return {
        "Content-Type": "application/json",
        "X-EXTERNAL-ID": external_id,
        "X-TIMESTAMP": stamp,
        # As section 2, with the callback secret and an empty access token.
        "X-SIGNATURE": signing.hmac_signature(secret, "POST", endpoint, "", body, stamp),
    }


def _post(setting: CallbackSetting, payload: dict, *, external_id: str,
          transport: httpx.BaseTransport | None = None) -> tuple[int | None, str, int]:
    """POSTs ``payload`` signed to the company's callback URL: ``(HTTP status or None, error or
    "", milliseconds)``; the error is "" only for a 2xx answer."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    headers = signed_headers(url=setting.url, body=body, secret=crypto.decrypt_secret(setting.secret_encrypted),
                             external_id=external_id)
    started = time.monotonic()
    status_code, error = None, ""
    try:
        http = (httpx.Client(timeout=TIMEOUT_SECONDS, transport=transport) if transport is not None
                else outbound.client(timeout=TIMEOUT_SECONDS))
        with http:
            response = http.post(setting.url, content=body.encode(), headers=headers)
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"  # a redirect too: it is not followed
    except (httpx.HTTPError, outbound.OutboundRefused) as exc:
        # A category, never the target's own words: the page that shows it must not make the
        # portal a window onto whatever answered.
        error = outbound.failure(exc)
    return status_code, error, int((time.monotonic() - started) * 1000)


@dataclass(frozen=True)
class TestOutcome:
    url: str
    external_id: str
    status_code: int | None
    error: str
    latency_ms: int

    @property
    def delivered(self) -> bool:
        return not self.error


def callback_test(*, company: Company, actor=None, actor_label: str = "", request=None) -> TestOutcome:
    """Sends a signed ``callback.test`` event to the company's callback URL now, once, and says
    what its server answered; nothing is queued or retried. ``InvalidInput`` if no URL is set."""
    from core import audit
    from core.audit import audit_record

    setting = CallbackSetting.objects.filter(company=company).first()
    if setting is None or not setting.enabled:
        raise InvalidInput(_("Set a callback URL first: there is nowhere to send a test to."), field="url")
    external_id = new_external_id()
    payload = {"event": "callback.test", "occurredAt": signing.format_timestamp(timezone.now()),
               "data": {"message": "A test callback from Kopra Bill Reminder: nothing happened to a bill."}}
    status_code, error, latency_ms = _post(setting, payload, external_id=external_id)
    audit_record(action="callback.tested", actor=actor, actor_label=actor_label, company=company, request=request,
                 obj=setting,
                 sentence=gettext_noop("%(actor)s sent a test callback to %(url)s, which answered %(status)s")
                 if not error else gettext_noop("%(actor)s sent a test callback to %(url)s, which failed: %(error)s"),
                 params={"actor": audit.who(actor, actor_label), "url": setting.url}
                        | ({"status": status_code} if not error else {"error": audit.label(error)}))
    return TestOutcome(url=setting.url, external_id=external_id, status_code=status_code, error=error,
                       latency_ms=latency_ms)


def deliver(*, callback_id: int, transport: httpx.BaseTransport | None = None) -> bool:
    """POSTs one due callback; True when the biller answered 2xx."""
    callback = CallbackEvent.objects.filter(pk=callback_id, status=CallbackEvent.Status.PENDING).first()
    if callback is None:
        return True
    setting = CallbackSetting.objects.filter(company_id=callback.company_id).first()
    if setting is None or not setting.enabled:
        CallbackEvent.objects.filter(pk=callback.pk).update(lease_until=None, next_attempt_at=callback.give_up_at)
        return False
    status_code, error, latency_ms = _post(setting, callback.payload, external_id=callback.external_id,
                                           transport=transport)
    now = timezone.now()
    with transaction.atomic(durable=True):
        CallbackAttempt.objects.create(callback=callback, status_code=status_code, error=error,
                                       latency_ms=latency_ms)
        attempts = callback.attempts + 1
        if not error:
            CallbackEvent.objects.filter(pk=callback.pk).update(
                status=CallbackEvent.Status.DELIVERED, attempts=attempts, delivered_at=now, lease_until=None)
            return True
        next_at = now + _retry_delay(attempts)
        status = CallbackEvent.Status.GAVE_UP if next_at > callback.give_up_at else CallbackEvent.Status.PENDING
        CallbackEvent.objects.filter(pk=callback.pk).update(
            status=status, attempts=attempts, next_attempt_at=next_at, lease_until=None)
    return False


def callbacks_claim(limit: int) -> list[int]:
    from notifications.services import claim

    due = CallbackEvent.objects.filter(status=CallbackEvent.Status.PENDING, next_attempt_at__lte=timezone.now())
    return claim(due.order_by("next_attempt_at", "pk"), limit=limit)


def callback_resend(*, callback: CallbackEvent, actor=None, request=None) -> CallbackEvent:
    """Sends an event again now (and keeps retrying for another 24 hours)."""
    from core import audit
    from core.audit import audit_record

    now = timezone.now()
    CallbackEvent.objects.filter(pk=callback.pk).update(
        status=CallbackEvent.Status.PENDING, next_attempt_at=now, give_up_at=now + RETRY_FOR, lease_until=None)
    audit_record(action="callback.resent", actor=actor, company=callback.company, request=request, obj=callback,
                 sentence=gettext_noop("%(actor)s re-sent callback %(event)s #%(callback)s"),
                 params={"actor": audit.who(actor), "event": callback.event, "callback": callback.pk})
    callback.refresh_from_db()
    return callback
