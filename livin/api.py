"""The sandbox's own signed HTTP API, the one ``notifications.gateway.HttpLivinGateway`` calls.

Requests carry X-PARTNER-ID, X-TIMESTAMP and an HMAC-SHA512 X-SIGNATURE made with
``core.signing`` and the shared LIVIN_SECRET (empty access token): the same signing
helper as the Open API and the callbacks.
"""

import json
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core import signing
from livin import display


def _verified(request) -> dict:
    headers = request.headers
    stamp = headers.get("X-TIMESTAMP", "")
    if headers.get("X-PARTNER-ID") != settings.LIVIN_PARTNER_ID:
        raise PermissionError("unknown partner")
    if not signing.verify_hmac_signature(settings.LIVIN_SECRET, request.method, request.get_full_path(), "",
                                         request.body, stamp, headers.get("X-SIGNATURE", "")):
        raise PermissionError("invalid signature")
    try:
        if not signing.timestamp_within_window(signing.parse_timestamp(stamp), timezone.now()):
            raise PermissionError("timestamp out of window")
    except ValueError as exc:
        raise PermissionError("invalid timestamp") from exc
    try:
        return json.loads(request.body)
    except ValueError as exc:
        raise ValueError("body is not JSON") from exc


def _api(handler):
    @csrf_exempt
    @require_POST
    def view(request):
        try:
            payload = _verified(request)
            return JsonResponse(handler(payload))
        except PermissionError as exc:
            return JsonResponse({"error": str(exc)}, status=401)
        except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
            return JsonResponse({"error": f"bad request: {exc}"}, status=400)
        except display.SandboxUnavailable as exc:
            return JsonResponse({"error": str(exc)}, status=503)

    view.sandbox_api = True
    return view


@_api
def lookup(payload):
    return {"users": display.lookup([str(phone) for phone in payload["phones"]])}


@_api
def push(payload):
    bills = [
        display.PushedBill(
            reference=item["reference"], phone=item["phone"], biller_code=item["billerCode"],
            biller_name=item.get("billerName", ""), bill_key=item["billKey"], payer_name=item.get("payerName", ""),
            amount=Decimal(item["amount"]), description=item.get("description", ""),
            start_at=signing.parse_timestamp(item["startAt"]), end_at=signing.parse_timestamp(item["endAt"]),
        )
        for item in payload["bills"]
    ]
    return {"results": display.push(bills)}


@_api
def withdraw(payload):
    return {"withdrawn": display.withdraw(payload["reference"])}
