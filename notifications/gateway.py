"""The Livin' gateway: the portal's one door to the bank's app, whichever side is behind it.

``LIVIN_GATEWAY`` names the class (``core.plugins``): ``HttpLivinGateway`` calls a bank
over signed HTTP (the sandbox serves the same API, so the client is tested against it);
the sandbox's in-process gateway lives with the sandbox (``livin.gateways``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

import httpx
from django.conf import settings
from django.utils import timezone

from core import signing
from core.plugins import plugin


class GatewayError(Exception):
    """The bank did not do what was asked."""


class TemporaryGatewayError(GatewayError):
    """Worth retrying: a timeout, a 5xx, a connection refused."""


class PermanentGatewayError(GatewayError):
    """Not worth retrying: the bank refused the request itself (4xx)."""


@dataclass(frozen=True)
class PushRequest:
    """What Livin' needs to notify the payer and show the bill."""

    reference: str
    phone: str
    biller_code: str
    biller_name: str
    bill_key: str
    payer_name: str
    amount: Decimal
    description: str
    start_at: object
    end_at: object


class LivinGateway(Protocol):
    def lookup_users(self, phones: list[str]) -> dict[str, bool]: ...

    def push_bills(self, bills: list[PushRequest]) -> dict[str, str]:
        """Per reference: ``pushed`` or ``not_livin_user``; idempotent by reference."""
        ...

    def withdraw_bill(self, reference: str) -> None: ...


def _jsonable(bill: PushRequest) -> dict:
    return {
        "reference": bill.reference, "phone": bill.phone, "billerCode": bill.biller_code,
        "billerName": bill.biller_name, "billKey": bill.bill_key, "payerName": bill.payer_name,
        "amount": f"{bill.amount:.2f}", "description": bill.description,
        "startAt": signing.format_timestamp(bill.start_at), "endAt": signing.format_timestamp(bill.end_at),
    }


class HttpLivinGateway:
    """A bank's Livin' API over HTTP: signed requests, timeouts, a few quick retries."""

    def __init__(self, base_url: str | None = None, partner_id: str | None = None, secret: str | None = None, *,
                 timeout: float | None = None, retries: int = 2, transport: httpx.BaseTransport | None = None):
        self.base_url = (base_url or settings.LIVIN_BASE_URL).rstrip("/")
        self.partner_id = partner_id or settings.LIVIN_PARTNER_ID
        self.secret = secret or settings.LIVIN_SECRET
        self.retries = retries
        self.http = httpx.Client(timeout=timeout or settings.LIVIN_TIMEOUT_SECONDS, transport=transport)

    def _post(self, path: str, payload: dict) -> dict:
        body = json.dumps(payload, separators=(",", ":"))
        last_error: Exception | None = None
        for attempt in range(self.retries + 1):
            stamp = signing.format_timestamp(timezone.now())
            headers = {
                "Content-Type": "application/json", "X-PARTNER-ID": self.partner_id, "X-TIMESTAMP": stamp,
                "X-SIGNATURE": signing.hmac_signature(self.secret, "POST", path, "", body, stamp),
            }
            try:
                response = self.http.post(self.base_url + path, content=body, headers=headers)
            except httpx.HTTPError as exc:  # timeouts, refused connections
                last_error = TemporaryGatewayError(f"{path}: {type(exc).__name__}: {exc}")
            else:
                if response.status_code < 300:
                    return response.json()
                if response.status_code < 500 and response.status_code != 429:
                    raise PermanentGatewayError(f"{path}: {response.status_code} {response.text[:200]}")
                last_error = TemporaryGatewayError(f"{path}: {response.status_code} {response.text[:200]}")
            if attempt < self.retries:
                time.sleep(0.2 * (2**attempt))
        raise last_error

    def lookup_users(self, phones):
        return self._post("/sandbox/api/livin/lookup", {"phones": list(phones)})["users"]

    def push_bills(self, bills):
        return self._post("/sandbox/api/livin/push", {"bills": [_jsonable(bill) for bill in bills]})["results"]

    def withdraw_bill(self, reference):
        self._post("/sandbox/api/livin/withdraw", {"reference": reference})


def livin_gateway() -> LivinGateway:
    """The gateway ``LIVIN_GATEWAY`` names; ``NotConfigured`` (naming the setting) if none is."""
    return plugin("LIVIN_GATEWAY")()
