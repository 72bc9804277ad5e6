"""The SNAP request pipeline every Open API view runs through.

Token endpoint: client key + RSA signature. Service endpoints: bearer token, HMAC
signature, timestamp window, IP allow-list, rate limit, X-EXTERNAL-ID idempotency,
then the operation. Each refusal is a SNAP body naming the field or reason; nothing
unexpected ever leaves as a stack trace.
"""

import json
import logging
import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, transaction
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from billers.selectors import registration_for_code
from core import signing
from core.audit import client_ip
from core.errors import Conflict, DomainError, InsufficientQuota, InvalidInput, NotAllowed
from core.observability import company_in_scope
from snap import credentials, errors, idempotency, ratelimit, shapes

logger = logging.getLogger(__name__)

EXTERNAL_ID = re.compile(r"^[0-9]{1,36}$")


MAX_DEPTH = 16  # a message nests three levels; deeper is not a body of this API


def _parse_json(body: bytes) -> dict:
    """The JSON object of a body, read exactly as it was signed: UTF-8 text (never another
    encoding a JSON reader might guess, which would let two bodies share one signature),
    standard JSON (no NaN or Infinity), nested at most ``MAX_DEPTH`` levels."""
    if not body.strip():
        return {}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.invalid_field("body (not UTF-8)") from exc
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except RecursionError as exc:
        raise errors.invalid_field(f"body (nested more than {MAX_DEPTH} levels)") from exc
    except ValueError as exc:
        raise errors.invalid_field("body (not valid JSON)") from exc
    if not isinstance(data, dict):
        raise errors.invalid_field("body (a JSON object is expected)")
    if _deeper_than(data, MAX_DEPTH):
        raise errors.invalid_field(f"body (nested more than {MAX_DEPTH} levels)")
    return data


def _too_big() -> errors.SnapError:
    """The refusal of a body over Django's limit, which it refuses to read."""
    return errors.invalid_field(f"body (more than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 2**20:g} MB)")


def _no_constant(name: str):
    raise ValueError(f"{name} is not standard JSON")


def _deeper_than(data, limit: int) -> bool:
    """Whether ``data`` nests objects or lists more than ``limit`` levels (without recursion)."""
    level = [data]
    for _depth in range(limit):
        level = [child for node in level
                 for child in (node.values() if isinstance(node, dict) else node)
                 if isinstance(child, dict | list)]
        if not level:
            return False
    return True


def _content_type_is_json(request) -> bool:
    """``application/json``, with no charset or UTF-8 (the body is read as UTF-8 whatever it says)."""
    kind, _, parameters = request.headers.get("Content-Type", "").partition(";")
    if kind.strip().lower() != "application/json":
        return False
    charset = parameters.strip().lower().replace(" ", "")
    return charset in ("", "charset=utf-8", "charset=\"utf-8\"")


def serializer_error(exc: serializers.ValidationError, prefix: str = "") -> errors.SnapError:
    """The first field error of a serializer as a SNAP error: missing or malformed."""
    detail = exc.detail
    path = prefix
    while isinstance(detail, dict):
        field, detail = next(iter(detail.items()))
        path = f"{path}.{field}" if path else field
    first = detail[0] if isinstance(detail, list) else detail
    if getattr(first, "code", "") in ("required", "null", "blank"):
        return errors.missing_field(path)
    return errors.invalid_field(path)


def domain_error(exc: DomainError) -> errors.SnapError:
    """Maps a refused business action to its SNAP code."""
    if isinstance(exc, InsufficientQuota):
        return errors.insufficient_quota()
    if isinstance(exc, NotAllowed):
        return errors.feature_not_allowed(exc.message)
    if isinstance(exc, Conflict):
        if exc.code == "duplicate_partner_reference":
            return errors.duplicate_partner_reference()
        return errors.conflict(exc.message)
    if isinstance(exc, InvalidInput):
        return errors.invalid_field(exc.field or exc.message)
    return errors.general_error()


class _Refused(Exception):  # noqa: N818 - a control-flow signal, not an error
    """An operation's refusal, leaving the transaction so that what it wrote is rolled back."""

    def __init__(self, status: int, body: dict):
        super().__init__(status)
        self.status, self.body = status, body


class _KeyTaken(Exception):  # noqa: N818
    """The call's X-EXTERNAL-ID was kept by another call first."""


def _render(body: dict) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _json_response(status: int, content: str) -> HttpResponse:
    return HttpResponse(content, status=status, content_type="application/json")


class SnapView(APIView):
    """Base of the signed service endpoints. Subclasses set ``service_code`` and ``input``
    (a serializer class) and implement ``perform(credential, data) -> dict``."""

    service_code: str = ""
    input: type[serializers.Serializer]
    authentication_classes: list = []
    permission_classes: list = []
    # Read by tests/test_routes.py: these routes answer 401 to strangers, not a login page.
    tenant_api = True

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)
        view.tenant_api = True
        return view

    def perform(self, credential, data: dict) -> dict:
        raise NotImplementedError

    # What ``perform`` left to do as the call's last statement, after its answer is kept: the
    # reservation of a create, which locks the code's quota account until the commit.
    last_step = None

    def _last_step(self) -> None:
        if self.last_step is None:
            return
        try:
            self.last_step()
        except DomainError as exc:
            snap = domain_error(exc)
            raise _Refused(snap.http_status, snap.body(self.service_code)) from exc

    def post(self, request, *args, **kwargs):
        try:
            raw = request._request.body
        except RequestDataTooBig:
            return self._answer(400, _too_big().body(self.service_code))
        try:
            credential = self._authenticate(request, raw)
        except errors.SnapError as exc:
            return self._answer(exc.http_status, exc.body(self.service_code))
        except DatabaseError:
            logger.exception("database unavailable during Open API authentication")
            return self._answer(503, errors.service_unavailable().body(self.service_code))
        except Exception:
            logger.exception("unexpected error in Open API authentication")
            return self._answer(500, errors.general_error().body(self.service_code))

        try:
            key = idempotency.Key.of(partner_id=credential.client_key, external_id=request.headers["X-EXTERNAL-ID"],
                                     method=request.method, path=request.get_full_path(), body=raw)
            status, content = self._run(credential, raw, key)
        except DatabaseError:
            logger.exception("database unavailable during Open API call")
            return self._answer(503, errors.service_unavailable().body(self.service_code))
        except Exception:
            logger.exception("unexpected error in Open API call")
            return self._answer(500, errors.general_error().body(self.service_code))
        return _json_response(status, content)

    # An operation that calls out (the test callback's POST) runs outside any transaction, so
    # no database lock waits on another server; its answer is kept afterwards.
    calls_out = False

    def _run(self, credential, raw: bytes, key: idempotency.Key) -> tuple[int, str]:
        """Processes the call and keeps its answer in one transaction, or answers what its
        X-EXTERNAL-ID was answered before (``snap.idempotency``)."""
        if self.calls_out:
            return self._run_calling_out(credential, raw, key)
        try:
            with transaction.atomic():
                status, body = self._process(credential, raw)
                content = _render(body)
                if not idempotency.keep(key, status, content):
                    raise _KeyTaken
                self._last_step()
            return status, content
        except _Refused as refused:
            # Nothing of the call is written (the transaction rolled back); the refusal is kept.
            status, content = refused.status, _render(refused.body)
            if idempotency.keep(key, status, content):
                return status, content
        except _KeyTaken:
            pass
        try:
            return idempotency.kept(key)
        except errors.SnapError as exc:
            return exc.http_status, _render(exc.body(self.service_code))

    def _run_calling_out(self, credential, raw: bytes, key: idempotency.Key) -> tuple[int, str]:
        """As ``_run``, for an operation that calls out: a key answered before is answered again
        without calling out; otherwise the call is processed outside a transaction, then kept."""
        try:
            answered = idempotency.answered(key)
        except errors.SnapError as exc:
            return exc.http_status, _render(exc.body(self.service_code))
        if answered is not None:
            return answered
        try:
            status, body = self._process(credential, raw)
        except _Refused as refused:
            status, body = refused.status, refused.body
        content = _render(body)
        if idempotency.keep(key, status, content):
            return status, content
        try:
            return idempotency.kept(key)
        except errors.SnapError as exc:
            return exc.http_status, _render(exc.body(self.service_code))

    def _process(self, credential, raw: bytes) -> tuple[int, dict]:
        """The operation's answer; a refusal leaves as ``_Refused``, rolling back what it wrote."""
        try:
            payload = _parse_json(raw)
            try:
                data = shapes.validated(self.input, payload)
            except serializers.ValidationError as exc:
                raise serializer_error(exc) from exc
            result = self.perform(credential, data)
        except errors.SnapError as exc:
            raise _Refused(exc.http_status, exc.body(self.service_code)) from exc
        except DomainError as exc:
            snap = domain_error(exc)
            raise _Refused(snap.http_status, snap.body(self.service_code)) from exc
        return 200, {
            "responseCode": f"200{self.service_code}00",
            "responseMessage": "Successful",
            **result,
        }

    def _answer(self, status: int, body: dict) -> HttpResponse:
        return _json_response(status, _render(body))

    def _authenticate(self, request, raw: bytes):
        headers = request.headers
        authorization = headers.get("Authorization", "")
        if not authorization.startswith("Bearer ") or not authorization[7:].strip():
            raise errors.invalid_token()
        token = authorization[7:].strip()
        credential = credentials.token_credential(token)
        if credential is None:
            raise errors.invalid_token()
        partner_id = headers.get("X-PARTNER-ID")
        if not partner_id:
            raise errors.missing_field("X-PARTNER-ID")
        if partner_id != credential.client_key:
            raise errors.invalid_token()
        for header in ("X-TIMESTAMP", "X-SIGNATURE"):
            if not headers.get(header):
                raise errors.missing_field(header)
        timestamp = headers["X-TIMESTAMP"]
        if not signing.verify_hmac_signature(
            credentials.client_secret(credential), request.method, request.get_full_path(), token, raw,
            timestamp, headers["X-SIGNATURE"],
        ):
            raise errors.unauthorized("Invalid signature")
        _check_timestamp(timestamp)
        if not credentials.ip_allowed(credential, client_ip(request)):
            raise errors.unauthorized("IP address not allowed")
        external_id = headers.get("X-EXTERNAL-ID")
        if not external_id:
            raise errors.missing_field("X-EXTERNAL-ID")
        if not EXTERNAL_ID.match(external_id):
            raise errors.invalid_field("X-EXTERNAL-ID")
        if raw.strip() and not _content_type_is_json(request):
            raise errors.invalid_field("Content-Type (application/json in UTF-8 is expected)")
        channel_id = headers.get("CHANNEL-ID")
        if not channel_id:
            raise errors.missing_field("CHANNEL-ID")
        if len(channel_id) != 5:
            raise errors.invalid_field("CHANNEL-ID")
        company_in_scope(credential.company)  # log lines of this call name the company
        if not ratelimit.allow(f"credential:{credential.pk}", credential.rate_limit_per_minute):
            raise errors.too_many_requests()
        return credential


def _check_timestamp(timestamp: str) -> None:
    try:
        moment = signing.parse_timestamp(timestamp)
    except ValueError as exc:
        raise errors.invalid_field("X-TIMESTAMP") from exc
    if not signing.timestamp_within_window(moment, timezone.now()):
        raise errors.unauthorized("X-TIMESTAMP is more than 300 seconds from the server time")


class TokenInput(serializers.Serializer):
    grantType = serializers.ChoiceField(choices=["client_credentials"])  # noqa: N815 (SNAP field name)


class TokenOutput(serializers.Serializer):
    responseCode = serializers.CharField()  # noqa: N815
    responseMessage = serializers.CharField()  # noqa: N815
    accessToken = serializers.CharField()  # noqa: N815
    tokenType = serializers.CharField()  # noqa: N815
    expiresIn = serializers.CharField()  # noqa: N815


class SnapRefusal(serializers.Serializer):
    responseCode = serializers.CharField()  # noqa: N815
    responseMessage = serializers.CharField()  # noqa: N815


SIGNED_HEADERS = [
    OpenApiParameter(name, location=OpenApiParameter.HEADER, required=True, description=text)
    for name, text in [
        ("Authorization", "Bearer <accessToken>"),
        ("X-TIMESTAMP", "ISO-8601 with offset, within ±300 s of the server clock"),
        ("X-PARTNER-ID", "The client key of the token's credential"),
        ("X-EXTERNAL-ID", "Numeric, at most 36 digits, unique per partner per day (idempotency key)"),
        ("CHANNEL-ID", "5 characters"),
        ("X-SIGNATURE", "Base64(HMAC-SHA512(client_secret, stringToSign))"),
    ]
]


# Every refusal is a SNAP body (docs/api.md, "Response codes"); each operation documents each status it
# can answer, so a client (and schemathesis) can rely on the shape of every answer.
SNAP_REFUSALS = {
    (status, "application/json"): SnapRefusal for status in (400, 401, 403, 404, 409, 429, 500, 503)
}


def snap_responses(ok) -> dict:
    """The OpenAPI responses of an operation: its answer, and a SNAP refusal for every other status."""
    return {200: ok, **SNAP_REFUSALS}



class AccessTokenView(APIView):
    """``POST /snap/v1.0/access-token/b2b``: a 900-second token for a client-key signature."""

    service_code = errors.SERVICE_TOKEN
    authentication_classes: list = []
    permission_classes: list = []

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)
        view.tenant_api = True
        return view

    @extend_schema(
        operation_id="access_token_b2b", summary="B2B access token (900 s)", request=TokenInput,
        responses={200: TokenOutput, **{(status, "application/json"): SnapRefusal
                                         for status in (400, 401, 429, 500, 503)}},
        parameters=[
            OpenApiParameter("X-CLIENT-KEY", location=OpenApiParameter.HEADER, required=True),
            OpenApiParameter("X-TIMESTAMP", location=OpenApiParameter.HEADER, required=True,
                             description="ISO-8601 with offset, within ±300 s"),
            OpenApiParameter("X-SIGNATURE", location=OpenApiParameter.HEADER, required=True,
                             description='Base64(SHA256withRSA(private key, X-CLIENT-KEY + "|" + X-TIMESTAMP))'),
        ],
    )
    def post(self, request, *args, **kwargs):
        try:
            return self._issue(request)
        except RequestDataTooBig:
            return Response(_too_big().body(self.service_code), status=400)
        except errors.SnapError as exc:
            return Response(exc.body(self.service_code), status=exc.http_status)
        except DatabaseError:
            logger.exception("database unavailable during token request")
            return Response(errors.service_unavailable().body(self.service_code), status=503)
        except Exception:
            logger.exception("unexpected error in token request")
            return Response(errors.general_error().body(self.service_code), status=500)

    def _issue(self, request) -> Response:
        headers = request.headers
        for header in ("X-CLIENT-KEY", "X-TIMESTAMP", "X-SIGNATURE"):
            if not headers.get(header):
                raise errors.missing_field(header)
        # Counted before the RSA check, which is what a flood would make the server do.
        if not ratelimit.allow(f"token-address:{client_ip(request)}", credentials.TOKENS_PER_ADDRESS_PER_MINUTE):
            raise errors.too_many_requests()
        credential = credentials.active_credential(headers["X-CLIENT-KEY"])
        if credential is None:
            raise errors.unauthorized("Unknown or revoked client")
        if not ratelimit.allow(f"token:{credential.pk}", credentials.TOKENS_PER_CREDENTIAL_PER_MINUTE):
            raise errors.too_many_requests()
        timestamp = headers["X-TIMESTAMP"]
        message = signing.token_string_to_sign(credential.client_key, timestamp)
        if not signing.rsa_verify(credential.public_key_pem, message, headers["X-SIGNATURE"]):
            raise errors.unauthorized("Invalid signature")
        _check_timestamp(timestamp)
        if not credentials.ip_allowed(credential, client_ip(request)):
            raise errors.unauthorized("IP address not allowed")
        serializer = TokenInput(data=_parse_json(request._request.body))
        try:
            serializer.is_valid(raise_exception=True)
        except serializers.ValidationError as exc:
            raise serializer_error(exc) from exc
        token, lifetime = credentials.token_issue(credential=credential)
        return Response({
            "responseCode": f"200{self.service_code}00",
            "responseMessage": "Successful",
            "accessToken": token,
            "tokenType": "Bearer",
            "expiresIn": str(lifetime),
        })


def registered_code(credential, code: str):
    """The company's Bill Reminder registration of biller code ``code``; the SNAP refusal
    ("Feature Not Allowed", naming the code) if it has none."""
    registration = registration_for_code(credential.company, code)
    if registration is None:
        raise errors.feature_not_allowed(f"biller code {code} is not registered for Bill Reminder")
    return registration
