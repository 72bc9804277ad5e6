"""Signatures of the SNAP-style Open API (docs/api.md: "Step 1", "Step 2", "Callbacks to your system").

The one signing helper of the project: the API verifies with it, the client and the
outgoing callbacks sign with it. Pure functions, no Django.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa

from core.time import WIB

TIMESTAMP_WINDOW_SECONDS = 300
MIN_RSA_KEY_BITS = 2048

_JSON_WHITESPACE = frozenset(" \t\n\r")
# Bodies are signed byte for byte; surrogateescape lets bytes that are not valid UTF-8
# survive the round trip to str and back instead of making verification raise.
_BODY_ENCODING = "utf-8"
_BODY_ERRORS = "surrogateescape"


# --- request bodies ----------------------------------------------------------------


def minify_json(body: bytes | str | None) -> str:
    """Remove the whitespace outside JSON strings, keeping every other character as sent.

    A scanner rather than json.loads/dumps, which would reformat numbers and escapes.
    """
    if not body:
        return ""
    if isinstance(body, bytes):
        # A call's body is minified twice (its signature, its idempotency key): once is enough.
        return _minify_bytes(body)
    return _minify_text(body)


@functools.lru_cache(maxsize=8)
def _minify_bytes(body: bytes) -> str:
    return _minify_text(body.decode(_BODY_ENCODING, _BODY_ERRORS))


def _minify_text(text: str) -> str:
    kept: list[str] = []
    in_string = False
    escaped = False
    for char in text:
        if in_string:
            kept.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char in _JSON_WHITESPACE:
            continue
        else:
            kept.append(char)
            if char == '"':
                in_string = True
    return "".join(kept)


def body_digest(body: bytes | str | None) -> str:
    """Lowercase hex SHA-256 of the minified body (the digest of "" for an empty body)."""
    minified = minify_json(body).encode(_BODY_ENCODING, _BODY_ERRORS)
    return hashlib.sha256(minified).hexdigest()


# --- service calls: HMAC-SHA512 (section 2) ----------------------------------------


def string_to_sign(
    method: str,
    endpoint_url: str,
    access_token: str,
    body: bytes | str | None,
    timestamp: str,
) -> str:
    """`METHOD:endpoint:token:sha256hex(minified body):timestamp`, as in docs/api.md, "Step 2".

    endpoint_url is the path (and query, if any) as requested, without scheme and host.
    """
    return ":".join(
        (method.upper(), endpoint_url, access_token, body_digest(body), timestamp)
    )


def _hmac_digest(
    secret: str | bytes,
    method: str,
    endpoint_url: str,
    access_token: str,
    body: bytes | str | None,
    timestamp: str,
) -> bytes:
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    message = string_to_sign(method, endpoint_url, access_token, body, timestamp)
    return hmac.new(key, message.encode(_BODY_ENCODING, _BODY_ERRORS), hashlib.sha512).digest()


def hmac_signature(
    secret: str | bytes,
    method: str,
    endpoint_url: str,
    access_token: str,
    body: bytes | str | None,
    timestamp: str,
) -> str:
    """Base64 HMAC-SHA512 of the string to sign, keyed with the client (or callback) secret."""
    digest = _hmac_digest(secret, method, endpoint_url, access_token, body, timestamp)
    return base64.b64encode(digest).decode("ascii")


def verify_hmac_signature(
    secret: str | bytes,
    method: str,
    endpoint_url: str,
    access_token: str,
    body: bytes | str | None,
    timestamp: str,
    signature: str | bytes | None,
) -> bool:
    """True if signature is the Base64 HMAC-SHA512 of the request; constant time, never raises."""
    received = _decode_base64(signature)
    if received is None:
        return False
    try:
        expected = _hmac_digest(secret, method, endpoint_url, access_token, body, timestamp)
    except (TypeError, AttributeError, UnicodeError):
        return False
    return hmac.compare_digest(expected, received)


def _decode_base64(value: str | bytes | None) -> bytes | None:
    if not value or not isinstance(value, (str, bytes)):
        return None
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


# --- access token: SHA256withRSA (section 1) ---------------------------------------


def token_string_to_sign(client_key: str, timestamp: str) -> str:
    """`X-CLIENT-KEY|X-TIMESTAMP`, the message signed when asking for an access token."""
    return f"{client_key}|{timestamp}"


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def rsa_sign(private_key_pem: str | bytes, message: str | bytes) -> str:
    """Base64 SHA256withRSA (PKCS#1 v1.5) signature of message with a PEM private key."""
    private_key = serialization.load_pem_private_key(_as_bytes(private_key_pem), password=None)
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise ValueError("The private key must be an RSA key.")
    signature = private_key.sign(_as_bytes(message), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def rsa_verify(
    public_key_pem: str | bytes | rsa.RSAPublicKey,
    message: str | bytes,
    signature: str | bytes | None,
) -> bool:
    """True if signature is a Base64 SHA256withRSA signature of message; never raises."""
    received = _decode_base64(signature)
    if received is None:
        return False
    try:
        public_key = (
            public_key_pem
            if isinstance(public_key_pem, rsa.RSAPublicKey)
            else serialization.load_pem_public_key(_as_bytes(public_key_pem))
        )
        if not isinstance(public_key, rsa.RSAPublicKey):
            return False
        public_key.verify(received, _as_bytes(message), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError, TypeError, AttributeError, UnsupportedAlgorithm):
        return False
    return True


def load_public_key_pem(pem: str | bytes) -> rsa.RSAPublicKey:
    """Load an uploaded public key: RSA, at least 2048 bits, else ValueError saying what is wrong."""
    raw = _as_bytes(pem).strip() if isinstance(pem, (str, bytes)) else b""
    if not raw:
        raise ValueError(
            "The public key is empty; paste a PEM block starting with -----BEGIN PUBLIC KEY-----."
        )
    if b"PRIVATE KEY" in raw:
        raise ValueError(
            "This is a private key. Upload the public key only and keep the private key secret."
        )
    try:
        key = serialization.load_pem_public_key(raw)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ValueError(
            "The public key is not a readable PEM public key; expected a block starting with "
            "-----BEGIN PUBLIC KEY-----."
        ) from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError(f"The public key must be an RSA key; this one is {_key_kind(key)}.")
    if key.key_size < MIN_RSA_KEY_BITS:
        raise ValueError(
            f"The RSA key must be at least {MIN_RSA_KEY_BITS} bits; this one has {key.key_size}."
        )
    return key


def _key_kind(key: object) -> str:
    kinds = (
        (ec.EllipticCurvePublicKey, "an EC key"),
        (ed25519.Ed25519PublicKey, "an Ed25519 key"),
        (ed448.Ed448PublicKey, "an Ed448 key"),
        (dsa.DSAPublicKey, "a DSA key"),
    )
    return next((name for cls, name in kinds if isinstance(key, cls)), "another kind of key")


def generate_rsa_keypair(bits: int = MIN_RSA_KEY_BITS) -> tuple[str, str]:
    """A new RSA key pair as (PKCS#8 private PEM, SubjectPublicKeyInfo public PEM)."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = private_key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    public_pem = private_key.public_key().public_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PublicFormat.SubjectPublicKeyInfo,
    )
    return private_pem.decode("ascii"), public_pem.decode("ascii")


# --- X-TIMESTAMP -------------------------------------------------------------------


def format_timestamp(dt: datetime) -> str:
    """ISO-8601 in Asia/Jakarta with offset, to the second: `2026-12-01T08:00:00+07:00`."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("format_timestamp needs an aware datetime.")
    return dt.astimezone(WIB).replace(microsecond=0).isoformat(timespec="seconds")


def parse_timestamp(value: str) -> datetime:
    """Parse an ISO-8601 timestamp that carries an offset; ValueError otherwise."""
    example = "2026-12-01T08:00:00+07:00"
    if not isinstance(value, str) or "T" not in value.upper():
        raise ValueError(f"Timestamp must be ISO-8601 date-time with an offset, e.g. {example}.")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            f"Timestamp {value!r} is not ISO-8601; expected e.g. {example}."
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"Timestamp {value!r} has no offset; expected e.g. {example}.")
    return parsed


def timestamp_within_window(
    ts: datetime | str, now: datetime, seconds: int = TIMESTAMP_WINDOW_SECONDS
) -> bool:
    """True if ts is at most `seconds` before or after now (edges included)."""
    moment = parse_timestamp(ts) if isinstance(ts, str) else ts
    if moment.tzinfo is None or now.tzinfo is None:
        raise ValueError("timestamp_within_window needs aware datetimes.")
    return abs(moment - now) <= timedelta(seconds=seconds)
