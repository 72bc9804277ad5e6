"""A signing client for the Open API (the SDK an integrator imports); its command line is ``snap.cli``.

Signs exactly the bytes it sends (docs/api.md, "Step 1" and "Step 2") with core.signing. Tests pass
`transport=httpx.WSGITransport(app=...)` to talk to a WSGI app without a server, and use
`build_request(..., sign_*=..., headers_override=...)` to send deliberately wrong requests.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import httpx

from core import signing
from core.time import WIB

TOKEN_PATH = "/snap/v1.0/access-token/b2b"
MESSAGES_PATH = "/snap/v1.0/bill-reminder/messages"
INQUIRY_PATH = "/snap/v1.0/bill-reminder/messages/inquiry"
CANCEL_PATH = "/snap/v1.0/bill-reminder/messages/cancel"
QUOTA_PATH = "/snap/v1.0/bill-reminder/quota/inquiry"
BATCH_PATH = "/snap/v1.0/bill-reminder/messages/batch"
LIST_PATH = "/snap/v1.0/bill-reminder/messages/list"
CALLBACK_LIST_PATH = "/snap/v1.0/bill-reminder/callbacks/list"
CALLBACK_TEST_PATH = "/snap/v1.0/bill-reminder/callbacks/test"
SETTLEMENT_PATH = "/snap/v1.0/bill-reminder/settlements/inquiry"

DEFAULT_CHANNEL_ID = "95221"
DEFAULT_CREDENTIALS_PATH = "var/demo/credentials.json"
# Ask for a new token this long before the old one expires, so that a token never
# expires between signing a request and the server reading it.
TOKEN_REFRESH_MARGIN = timedelta(seconds=60)
_UNSET: Any = object()

Clock = Callable[[], datetime]
Body = Mapping[str, Any] | str | bytes | None


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SnapResponse:
    """An API answer: HTTP status, the JSON body ({} if not JSON) and headers."""

    status_code: int
    body: dict[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)
    text: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def response_code(self) -> str | None:
        return self.body.get("responseCode")

    @classmethod
    def from_httpx(cls, response: httpx.Response) -> SnapResponse:
        try:
            parsed = response.json()
        except ValueError:
            parsed = None
        return cls(
            status_code=response.status_code,
            body=parsed if isinstance(parsed, dict) else {},
            headers=dict(response.headers),
            text=response.text,
        )


class SnapTokenError(Exception):
    """The access-token request was refused; `response` holds the server's answer."""

    def __init__(self, response: SnapResponse):
        self.response = response
        reason = response.body.get("responseMessage") or response.text[:150] or "no body"
        super().__init__(f"Access token refused (HTTP {response.status_code}): {reason}")


def new_external_id(now: datetime | None = None) -> str:
    """A numeric X-EXTERNAL-ID: milliseconds since the epoch + 12 random digits (25 digits)."""
    moment = now or _utc_now()
    return f"{int(moment.timestamp() * 1000)}{secrets.randbelow(10**12):012d}"


def new_partner_reference(now: datetime | None = None) -> str:
    """A partnerReferenceNo for ad-hoc calls: `CLI-<Jakarta time>-<random>`."""
    moment = (now or _utc_now()).astimezone(WIB)
    return f"CLI-{moment:%Y%m%d%H%M%S}-{secrets.token_hex(3).upper()}"


def format_amount(value: Decimal | int | str | Mapping[str, Any], currency: str = "IDR") -> dict:
    """`{"value": "150000.00", "currency": "IDR"}` from a number (or an amount dict as is)."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, float):
        raise TypeError("Pass amounts as Decimal, int or str, not float.")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"Amount {value!r} is not a number.") from None
    return {"value": f"{amount.quantize(Decimal('0.01'))}", "currency": currency}


def _camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _encode_body(body: Body) -> bytes:
    # Compact JSON: what is sent is already minified, so nothing can differ between the
    # bytes signed and the bytes received.
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class SnapClient:
    """Calls the Open API as one credential: fetches and caches the token, signs every call."""

    def __init__(
        self,
        base_url: str,
        client_key: str,
        client_secret: str,
        private_key_pem: str | bytes,
        *,
        channel_id: str = DEFAULT_CHANNEL_ID,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        timeout: float = 30.0,
    ):
        self.base_url = base_url.rstrip("/")
        self.client_key = client_key
        self.client_secret = client_secret
        self.private_key_pem = private_key_pem
        self.channel_id = channel_id
        self.clock: Clock = clock or _utc_now
        self._http = httpx.Client(transport=transport, timeout=timeout)
        self._token: str | None = None
        self._token_refresh_at: datetime | None = None

    @classmethod
    def from_credentials_file(
        cls, path: str | Path, base_url: str | None = None, **kwargs: Any
    ) -> SnapClient:
        """A client from the JSON the demo seeder writes (its "api" section).

        A relative private_key_path is read from the current directory.
        """
        path = Path(path)
        try:
            api = json.loads(path.read_text(encoding="utf-8"))["api"]
            key_path = Path(api["private_key_path"])
            url = base_url or api.get("base_url") or ""
            client_key, client_secret = api["client_key"], api["client_secret"]
        except FileNotFoundError:
            raise FileNotFoundError(f"Credentials file {path} not found.") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(
                f"Credentials file {path} needs an \"api\" object with base_url, client_key, "
                f"client_secret and private_key_path ({type(exc).__name__}: {exc})."
            ) from None
        try:
            private_key_pem = key_path.read_text(encoding="ascii")
        except FileNotFoundError:
            raise FileNotFoundError(
                f"Private key {key_path} (private_key_path in {path}) not found; a relative "
                f"path is read from the current directory, {Path.cwd()}."
            ) from None
        if not url:
            raise ValueError(f"No base URL: pass --base-url or set api.base_url in {path}.")
        kwargs.setdefault("channel_id", api.get("channel_id", DEFAULT_CHANNEL_ID))
        return cls(url, client_key, client_secret, private_key_pem, **kwargs)

    # --- plumbing ------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SnapClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def send(self, request: httpx.Request) -> SnapResponse:
        """Send a request built by build_request/build_token_request (possibly altered)."""
        return SnapResponse.from_httpx(self._http.send(request))

    def _timestamp(self) -> str:
        return signing.format_timestamp(self.clock())

    # --- access token (section 1) ----------------------------------------------------

    def build_token_request(
        self,
        *,
        timestamp: str | None = None,
        sign_client_key: str | None = None,
        sign_timestamp: str | None = None,
        headers_override: Mapping[str, str | None] | None = None,
    ) -> httpx.Request:
        """The signed access-token request; sign_* sign a different value than the one sent."""
        timestamp = timestamp or self._timestamp()
        message = signing.token_string_to_sign(
            sign_client_key if sign_client_key is not None else self.client_key,
            sign_timestamp if sign_timestamp is not None else timestamp,
        )
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-TIMESTAMP": timestamp,
            "X-CLIENT-KEY": self.client_key,
            "X-SIGNATURE": signing.rsa_sign(self.private_key_pem, message),
        }
        return self._build(
            "POST",
            self.base_url + TOKEN_PATH,
            headers,
            headers_override,
            _encode_body({"grantType": "client_credentials"}),
        )

    def request_token(self, **build_kwargs: Any) -> SnapResponse:
        """Ask for a new access token, without caching; the raw answer."""
        return self.send(self.build_token_request(**build_kwargs))

    def get_token(self, *, force: bool = False) -> str:
        """The cached access token, fetched anew when missing or about to expire."""
        now = self.clock()
        if (
            not force
            and self._token is not None
            and self._token_refresh_at is not None
            and now < self._token_refresh_at
        ):
            return self._token
        response = self.request_token()
        token = response.body.get("accessToken")
        if not response.ok or not isinstance(token, str) or not token:
            raise SnapTokenError(response)
        try:
            lifetime = timedelta(seconds=int(response.body.get("expiresIn", 0)))
        except (TypeError, ValueError):
            lifetime = timedelta(0)
        self._token = token
        self._token_refresh_at = now + max(lifetime - TOKEN_REFRESH_MARGIN, lifetime / 2)
        return token

    def forget_token(self) -> None:
        self._token = None
        self._token_refresh_at = None

    # --- signed service calls (section 2) ----------------------------------------------

    def build_request(
        self,
        path: str,
        body: Body,
        *,
        method: str = "POST",
        external_id: str | None = None,
        timestamp: str | None = None,
        access_token: str | None = None,
        sign_method: str | None = None,
        sign_path: str | None = None,
        sign_token: str | None = None,
        sign_body: Body = _UNSET,
        sign_timestamp: str | None = None,
        headers_override: Mapping[str, str | None] | None = None,
    ) -> httpx.Request:
        """A signed request, ready for send().

        A dict body is sent as compact JSON; str/bytes are sent as they are. Each sign_*
        argument signs that value instead of the one sent, and headers_override replaces
        headers after signing (None removes one): tests use both to prove tampering fails.
        """
        token = access_token if access_token is not None else self.get_token()
        timestamp = timestamp or self._timestamp()
        content = _encode_body(body)
        url = httpx.URL(self.base_url + path)
        # The endpoint as it goes on the wire (after httpx's quoting), not as typed.
        endpoint_url = url.raw_path.decode("ascii")
        signature = signing.hmac_signature(
            self.client_secret,
            sign_method if sign_method is not None else method,
            sign_path if sign_path is not None else endpoint_url,
            sign_token if sign_token is not None else token,
            content if sign_body is _UNSET else _encode_body(sign_body),
            sign_timestamp if sign_timestamp is not None else timestamp,
        )
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {token}",
            "X-TIMESTAMP": timestamp,
            "X-PARTNER-ID": self.client_key,
            "X-EXTERNAL-ID": external_id or new_external_id(self.clock()),
            "CHANNEL-ID": self.channel_id,
            "X-SIGNATURE": signature,
        }
        return self._build(method, url, headers, headers_override, content)

    def _build(
        self,
        method: str,
        url: httpx.URL | str,
        headers: dict[str, str],
        headers_override: Mapping[str, str | None] | None,
        content: bytes,
    ) -> httpx.Request:
        overrides = headers_override or {}
        for name, value in overrides.items():
            headers = {k: v for k, v in headers.items() if k.lower() != name.lower()}
            if value is not None:
                headers[name] = value
        request = self._http.build_request(method, url, headers=headers, content=content)
        for name, value in overrides.items():
            # Also drops httpx's own defaults (Accept, User-Agent...) when asked to.
            if value is None and name in request.headers:
                del request.headers[name]
        return request

    def call(self, path: str, body: Body, **build_kwargs: Any) -> SnapResponse:
        """Sign and send one service call (see build_request for the keyword arguments)."""
        request = self.build_request(path, body, **build_kwargs)
        response = self.send(request)
        if (
            response.status_code == 401
            and str(response.response_code or "").endswith("01")
            and "access_token" not in build_kwargs
            and request.headers.get("Authorization") == f"Bearer {self._token}"
        ):
            # The server no longer knows our token (restart, revocation): fetch a new one
            # next time instead of failing until the cache would have expired.
            self.forget_token()
        return response

    # --- the operations of docs/api.md, "Endpoints" -----------------------------------------

    def create_message(
        self,
        *,
        external_id: str | None = None,
        timestamp: str | None = None,
        **fields: Any,
    ) -> SnapResponse:
        """Create a bill reminder; fields in snake_case or camelCase (`bill_key` or `billKey`).

        total_amount may be a number (made IDR with two decimals); dates may be datetimes.
        """
        return self.call(MESSAGES_PATH, message_body(**fields), external_id=external_id, timestamp=timestamp)

    def create_messages(
        self,
        messages: list[Mapping[str, Any]],
        *,
        external_id: str | None = None,
        timestamp: str | None = None,
    ) -> SnapResponse:
        """Create up to 1,000 bill reminders in one call; each message as `create_message` takes its
        fields. The answer's ``results`` has each message's own outcome, in order."""
        body = {"messages": [message_body(**message) for message in messages]}
        return self.call(BATCH_PATH, body, external_id=external_id, timestamp=timestamp)

    def inquiry(
        self, partner_reference_no: str | None = None, reference_no: str | None = None
    ) -> SnapResponse:
        """Status of one message, by partnerReferenceNo or referenceNo."""
        return self.call(INQUIRY_PATH, _reference_body(partner_reference_no, reference_no))

    def cancel(
        self,
        partner_reference_no: str | None = None,
        reference_no: str | None = None,
        *,
        reason: str,
    ) -> SnapResponse:
        """Cancel one message, by partnerReferenceNo or referenceNo."""
        body = _reference_body(partner_reference_no, reference_no)
        body["reason"] = reason
        return self.call(CANCEL_PATH, body)

    def quota_inquiry(self, biller_code: str) -> SnapResponse:
        """Quota balance, reserved and available units of one biller code."""
        return self.call(QUOTA_PATH, {"billerCode": biller_code})

    def list_messages(
        self,
        changed_since: datetime | str | None = None,
        *,
        cursor: str | None = None,
        biller_code: str | None = None,
        status: str | None = None,
        page_size: int | None = None,
    ) -> SnapResponse:
        """One page of the bills changed since a moment (or the page after ``cursor``, sent
        alone); the answer's ``nextCursor`` leads on, its ``listedUntil`` starts the next listing."""
        body = _feed_body("changedSince", changed_since, cursor, page_size,
                          {"billerCode": biller_code, "status": status})
        return self.call(LIST_PATH, body)

    def list_callbacks(
        self,
        occurred_since: datetime | str | None = None,
        *,
        cursor: str | None = None,
        event: str | None = None,
        page_size: int | None = None,
    ) -> SnapResponse:
        """One page of the callback events written since a moment, delivered or not (or the page
        after ``cursor``, sent alone): what a receiver that was down catches up from."""
        return self.call(CALLBACK_LIST_PATH,
                         _feed_body("occurredSince", occurred_since, cursor, page_size, {"event": event}))

    def pages(
        self, listing: Callable[..., SnapResponse], since: datetime | str, **filters: Any
    ) -> Iterator[SnapResponse]:
        """Every page of a listing (``list_messages`` or ``list_callbacks``), first to last; stops
        at a refusal, which it yields. The last page's ``listedUntil`` is where the next one starts."""
        response = listing(since, **filters)
        while True:
            yield response
            if not response.ok or not response.body.get("nextCursor"):
                return
            response = listing(cursor=response.body["nextCursor"], page_size=filters.get("page_size"))

    def settlement_inquiry(
        self, biller_code: str, settlement_date: date | str, *, cursor: str | None = None,
        page_size: int | None = None,
    ) -> SnapResponse:
        """What reached the collection account of ``biller_code`` on ``settlement_date`` (WIB): the
        day's count and Rp, and its payments a page at a time (``nextCursor`` leads on)."""
        body: dict[str, Any] = {"billerCode": biller_code, "settlementDate": str(settlement_date)}
        if cursor:
            body["cursor"] = cursor
        if page_size:
            body["pageSize"] = page_size
        return self.call(SETTLEMENT_PATH, body)

    def test_callback(self) -> SnapResponse:
        """Has the portal send a signed ``callback.test`` to your callback URL now; the answer
        says what your server answered."""
        return self.call(CALLBACK_TEST_PATH, {})


def message_body(**fields: Any) -> dict[str, Any]:
    """A message's JSON from fields in snake_case or camelCase; total_amount may be a number (made
    IDR with two decimals), dates may be datetimes."""
    body: dict[str, Any] = {}
    for name, value in fields.items():
        key = _camel_case(name)
        if key == "totalAmount":
            value = format_amount(value)
        elif isinstance(value, datetime):
            value = signing.format_timestamp(value)
        body[key] = value
    return body


def _feed_body(since_name: str, since: datetime | str | None, cursor: str | None, page_size: int | None,
               filters: Mapping[str, Any]) -> dict[str, Any]:
    if bool(since) == bool(cursor):
        raise ValueError(f"Give exactly one of {since_name} and cursor.")
    body: dict[str, Any] = {"cursor": cursor} if cursor else {
        since_name: signing.format_timestamp(since) if isinstance(since, datetime) else since,
        **{name: value for name, value in filters.items() if value},
    }
    if page_size:
        body["pageSize"] = page_size
    return body


def _reference_body(partner_reference_no: str | None, reference_no: str | None) -> dict:
    if bool(partner_reference_no) == bool(reference_no):
        raise ValueError("Give exactly one of partner_reference_no and reference_no.")
    if partner_reference_no:
        return {"partnerReferenceNo": partner_reference_no}
    return {"referenceNo": reference_no}
