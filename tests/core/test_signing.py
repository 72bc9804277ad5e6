import base64
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from core import signing

# --- the fixed test vector ------------------------------------------------------------
#
# The expected values below were computed once outside this code base, from the minified
# body typed by hand (not produced by minify_json):
#
#   printf '%s' '<MINIFIED_BODY>' | sha256sum                                -> BODY_DIGEST
#   STS="POST:/snap/v1.0/bill-reminder/messages:<TOKEN>:<BODY_DIGEST>:2026-12-01T08:00:00+07:00"
#   printf '%s' "$STS" | openssl dgst -sha512 -hmac "$SECRET" -binary | base64 -w0
#                                                                            -> SIGNATURE
# (OpenSSL 3.0.19, GNU coreutils.)

SECRET = "kopra-test-secret-2026"
METHOD = "POST"
PATH = "/snap/v1.0/bill-reminder/messages"
TOKEN = "gdOiMqkMhWaeF7ZoO9tDqKAsBWMqoS4sdUzzzoCvKHeVTtC1t4EXjN"
TIMESTAMP = "2026-12-01T08:00:00+07:00"
# As an integrator might send it: CRLF, indentation, a tab, spaces inside strings,
# escaped quotes, a unicode escape, a "\t" escape and a number written as 1.50.
PRETTY_BODY = (
    "{\r\n"
    '  "partnerReferenceNo": "INV-2026-11-0001",\n'
    '  "billDescription": "Tagihan air \\"November\\"  2026 \\u00e9",\n'
    '  "totalAmount": { "value": "150000.00", "currency": "IDR" },\n'
    '\t"additionalInfo": {"ratio": 1.50, "tags": [ "a b", "c\\td" ]}\n'
    "}\n"
)
MINIFIED_BODY = (
    '{"partnerReferenceNo":"INV-2026-11-0001",'
    '"billDescription":"Tagihan air \\"November\\"  2026 \\u00e9",'
    '"totalAmount":{"value":"150000.00","currency":"IDR"},'
    '"additionalInfo":{"ratio":1.50,"tags":["a b","c\\td"]}}'
)
BODY_DIGEST = "1a64c6c6206f60ee42734a2d9f81a196cca58ba1a903893c9f0bf3f1ae8d212f"
STRING_TO_SIGN = (
    "POST:/snap/v1.0/bill-reminder/messages:"
    "gdOiMqkMhWaeF7ZoO9tDqKAsBWMqoS4sdUzzzoCvKHeVTtC1t4EXjN:"
    "1a64c6c6206f60ee42734a2d9f81a196cca58ba1a903893c9f0bf3f1ae8d212f:"
    "2026-12-01T08:00:00+07:00"
)
SIGNATURE = "ZpAb6PBIpvQ6JrrZhQhYyozdGkj+520iRGshZdMb0KVYqYs1chqtK3PrAxN2e/vtPnvvJO5WZ0IZHGaM9lBpZw=="
EMPTY_BODY_DIGEST = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_pretty_body_minifies_to_the_hand_written_vector():
    assert signing.minify_json(PRETTY_BODY) == MINIFIED_BODY
    assert signing.minify_json(PRETTY_BODY.encode("utf-8")) == MINIFIED_BODY


def test_body_digest_matches_the_vector():
    assert signing.body_digest(PRETTY_BODY) == BODY_DIGEST


def test_string_to_sign_matches_the_vector():
    assert signing.string_to_sign(METHOD, PATH, TOKEN, PRETTY_BODY, TIMESTAMP) == STRING_TO_SIGN


def test_hmac_signature_matches_the_vector_computed_with_openssl():
    assert signing.hmac_signature(SECRET, METHOD, PATH, TOKEN, PRETTY_BODY, TIMESTAMP) == SIGNATURE


def test_vector_signature_verifies():
    assert signing.verify_hmac_signature(
        SECRET, METHOD, PATH, TOKEN, PRETTY_BODY.encode(), TIMESTAMP, SIGNATURE
    )


def test_compact_and_pretty_bodies_sign_the_same():
    assert signing.verify_hmac_signature(
        SECRET, METHOD, PATH, TOKEN, MINIFIED_BODY, TIMESTAMP, SIGNATURE
    )


def test_method_is_signed_upper_case():
    assert signing.string_to_sign("post", PATH, TOKEN, PRETTY_BODY, TIMESTAMP) == STRING_TO_SIGN


def test_empty_body_signs_the_digest_of_nothing():
    assert signing.minify_json(b"") == ""
    assert signing.minify_json(None) == ""
    assert signing.body_digest(b"") == EMPTY_BODY_DIGEST
    assert signing.string_to_sign("GET", "/x?a=1", "t", "", TIMESTAMP) == (
        f"GET:/x?a=1:t:{EMPTY_BODY_DIGEST}:{TIMESTAMP}"
    )


# --- minify ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "minified"),
    [
        ('{ "a" : "x  y" }', '{"a":"x  y"}'),
        ('{"a": "tab\tinside"}', '{"a":"tab\tinside"}'),
        ('{"a": "quote \\" then  space"}', '{"a":"quote \\" then  space"}'),
        ('{"a": "ends with backslash \\\\", "b" : 1}', '{"a":"ends with backslash \\\\","b":1}'),
        ('{"a": "\\u0041 \\u00e9 \\ud83d\\ude00"}', '{"a":"\\u0041 \\u00e9 \\ud83d\\ude00"}'),
        ('{"a": "é 😀  ok"}', '{"a":"é 😀  ok"}'),
        (
            '{ "n" : [ 1.0 , 1e3 , -0.50 , 100000000000000000001 ] }',
            '{"n":[1.0,1e3,-0.50,100000000000000000001]}',
        ),
        (
            '{\n "outer": {\n  "inner": [ { "k" : "v v" } , [ ] , { } ]\n }\n}',
            '{"outer":{"inner":[{"k":"v v"},[],{}]}}',
        ),
        ('{"z": 1, "a": 2}', '{"z":1,"a":2}'),
        ('  [ true , false , null ]  ', "[true,false,null]"),
    ],
    ids=[
        "spaces inside a string are kept",
        "a raw tab inside a string is kept",
        "an escaped quote does not end the string",
        "an escaped backslash before the closing quote ends the string",
        "unicode escapes are kept as written",
        "non-ascii characters are kept",
        "numbers keep their formatting",
        "nested objects and arrays",
        "key order is kept",
        "literals and surrounding whitespace",
    ],
)
def test_minify_removes_only_whitespace_outside_strings(body, minified):
    assert signing.minify_json(body) == minified


def test_body_digest_of_bytes_that_are_not_utf8_does_not_raise():
    assert len(signing.body_digest(b'{"a": "\xff\xfe"}')) == 64
    assert signing.body_digest(b'{"a": "\xff"}') != signing.body_digest(b'{"a": "\xfe"}')


# --- tampering ------------------------------------------------------------------------


def _flip_one_byte(value: str) -> str:
    middle = len(value) // 2
    return value[:middle] + chr(ord(value[middle]) ^ 1) + value[middle + 1 :]


@pytest.mark.parametrize("component", ["secret", "method", "path", "token", "body", "timestamp"])
def test_one_changed_byte_in_any_component_fails_verification(component):
    parts = {
        "secret": SECRET,
        "method": METHOD,
        "path": PATH,
        "token": TOKEN,
        "body": MINIFIED_BODY,
        "timestamp": TIMESTAMP,
    }
    parts[component] = _flip_one_byte(parts[component])
    assert not signing.verify_hmac_signature(
        parts["secret"],
        parts["method"],
        parts["path"],
        parts["token"],
        parts["body"],
        parts["timestamp"],
        SIGNATURE,
    )


def test_changed_query_string_fails_verification():
    signature = signing.hmac_signature(SECRET, "POST", PATH + "?a=1", TOKEN, "", TIMESTAMP)
    assert not signing.verify_hmac_signature(
        SECRET, "POST", PATH + "?a=2", TOKEN, "", TIMESTAMP, signature
    )


def test_one_changed_byte_in_the_signature_fails_verification():
    raw = bytearray(base64.b64decode(SIGNATURE))
    raw[10] ^= 1
    tampered = base64.b64encode(bytes(raw)).decode()
    assert not signing.verify_hmac_signature(
        SECRET, METHOD, PATH, TOKEN, PRETTY_BODY, TIMESTAMP, tampered
    )


@pytest.mark.parametrize(
    "signature",
    ["", None, "not base64 !!", "ZpAb6PBI=pvQ", "é", SIGNATURE[:-4], 12345],
    ids=["empty", "missing", "not base64", "padding inside", "non-ascii", "truncated", "not a string"],
)
def test_garbage_signature_is_refused_without_raising(signature):
    assert not signing.verify_hmac_signature(
        SECRET, METHOD, PATH, TOKEN, PRETTY_BODY, TIMESTAMP, signature
    )


def test_signature_with_surrounding_whitespace_still_verifies():
    assert signing.verify_hmac_signature(
        SECRET, METHOD, PATH, TOKEN, PRETTY_BODY, TIMESTAMP, f" {SIGNATURE}\n"
    )


# --- timestamps -----------------------------------------------------------------------

NOW = datetime(2026, 12, 1, 1, 0, 0, tzinfo=UTC)  # 08:00 in Jakarta


@pytest.mark.parametrize(
    ("offset_seconds", "accepted"),
    [(0, True), (300, True), (-300, True), (301, False), (-301, False), (300.5, False)],
)
def test_timestamp_window_is_300_seconds_either_side_edges_included(offset_seconds, accepted):
    moment = NOW + timedelta(seconds=offset_seconds)
    assert signing.timestamp_within_window(moment, NOW) is accepted


def test_timestamp_window_compares_instants_across_offsets():
    assert signing.timestamp_within_window("2026-12-01T08:05:00+07:00", NOW)
    assert signing.timestamp_within_window("2026-12-01T01:05:00Z", NOW)
    assert not signing.timestamp_within_window("2026-12-01T08:05:01+07:00", NOW)


def test_format_timestamp_writes_jakarta_time_to_the_second():
    moment = datetime(2026, 12, 1, 1, 0, 0, 987654, tzinfo=UTC)
    assert signing.format_timestamp(moment) == "2026-12-01T08:00:00+07:00"


def test_format_timestamp_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="aware"):
        signing.format_timestamp(datetime(2026, 12, 1, 8, 0))


def test_parse_timestamp_returns_an_aware_datetime():
    parsed = signing.parse_timestamp("2026-12-01T08:00:00+07:00")
    assert parsed == NOW
    assert parsed.utcoffset() == timedelta(hours=7)
    assert signing.parse_timestamp(signing.format_timestamp(NOW)) == NOW


@pytest.mark.parametrize(
    "value",
    ["2026-12-01T08:00:00", "2026-12-01", "yesterday", "", "2026-13-01T08:00:00+07:00", None],
    ids=["no offset", "date only", "words", "empty", "month 13", "not a string"],
)
def test_parse_timestamp_refuses_values_without_an_offset_or_garbage(value):
    with pytest.raises(ValueError, match="2026-12-01T08:00:00\\+07:00"):
        signing.parse_timestamp(value)


# --- RSA ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keypair():
    return signing.generate_rsa_keypair()


@pytest.fixture(scope="module")
def other_keypair():
    return signing.generate_rsa_keypair()


def test_token_string_to_sign_joins_client_key_and_timestamp_with_a_bar():
    assert signing.token_string_to_sign("ck_123", TIMESTAMP) == f"ck_123|{TIMESTAMP}"


def test_rsa_signature_round_trips(keypair):
    private_pem, public_pem = keypair
    message = signing.token_string_to_sign("ck_123", TIMESTAMP)
    signature = signing.rsa_sign(private_pem, message)
    assert signing.rsa_verify(public_pem, message, signature)
    assert signing.rsa_verify(signing.load_public_key_pem(public_pem), message, signature)


def test_rsa_signature_fails_with_another_key(keypair, other_keypair):
    signature = signing.rsa_sign(keypair[0], "ck_123|" + TIMESTAMP)
    assert not signing.rsa_verify(other_keypair[1], "ck_123|" + TIMESTAMP, signature)


def test_rsa_signature_fails_for_another_message(keypair):
    signature = signing.rsa_sign(keypair[0], "ck_123|" + TIMESTAMP)
    assert not signing.rsa_verify(keypair[1], "ck_124|" + TIMESTAMP, signature)


@pytest.mark.parametrize(
    "signature",
    ["", None, "%%%", base64.b64encode(b"x" * 256).decode(), "AAAA"],
    ids=["empty", "missing", "not base64", "random bytes", "too short"],
)
def test_garbage_rsa_signature_returns_false(keypair, signature):
    assert signing.rsa_verify(keypair[1], "ck_123|" + TIMESTAMP, signature) is False


def test_rsa_verify_with_a_garbage_public_key_returns_false(keypair):
    signature = signing.rsa_sign(keypair[0], "m")
    assert signing.rsa_verify("not a key", "m", signature) is False


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_rsa_signature_matches_openssl_sha256_with_rsa(keypair, tmp_path):
    private_pem, public_pem = keypair
    key_file = tmp_path / "key.pem"
    key_file.write_text(private_pem)
    message = "ck_123|" + TIMESTAMP
    openssl_signature = subprocess.run(
        ["openssl", "dgst", "-sha256", "-sign", str(key_file)],
        input=message.encode(),
        capture_output=True,
        check=True,
    ).stdout
    assert signing.rsa_sign(private_pem, message) == base64.b64encode(openssl_signature).decode()


def test_generated_keypair_is_rsa_2048_in_pem(keypair):
    private_pem, public_pem = keypair
    assert private_pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert public_pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert signing.load_public_key_pem(public_pem).key_size == 2048


def _public_pem(private_key) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_uploaded_key_in_pkcs1_format_is_accepted(keypair):
    private_key = serialization.load_pem_private_key(keypair[0].encode(), password=None)
    pkcs1 = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.PKCS1
    )
    assert b"BEGIN RSA PUBLIC KEY" in pkcs1
    assert signing.load_public_key_pem(pkcs1.decode()).key_size == 2048


def test_uploaded_1024_bit_key_is_refused_with_its_size():
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(ValueError, match="at least 2048 bits; this one has 1024"):
        signing.load_public_key_pem(_public_pem(weak))


def test_uploaded_ec_key_is_refused_as_not_rsa():
    ec_key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(ValueError, match="must be an RSA key; this one is an EC key"):
        signing.load_public_key_pem(_public_pem(ec_key))


@pytest.mark.parametrize(
    "pem",
    ["", "hello", "-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n", b"\x00\xff"],
    ids=["empty", "words", "broken pem", "binary"],
)
def test_uploaded_garbage_is_refused_with_a_pem_hint(pem):
    with pytest.raises(ValueError, match="BEGIN PUBLIC KEY"):
        signing.load_public_key_pem(pem)


def test_uploaded_private_key_is_refused_with_a_warning(keypair):
    with pytest.raises(ValueError, match="This is a private key"):
        signing.load_public_key_pem(keypair[0])
