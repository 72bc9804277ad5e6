"""The served OpenAPI document holds: schemathesis generates requests for every operation from
``/api/schema/`` (valid and invalid bodies alike), each is signed as a biller's system signs
it, and every answer must be documented, match its schema, and never be a server error."""

import json

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core import NOT_SET

from core import signing
from snap.client import TOKEN_PATH, new_external_id
from snap.models import ApiCredential
from tests.reminders.conftest import make_client

pytestmark = pytest.mark.django_db

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return schemathesis.openapi.from_dict(json.loads(response.content))


@pytest.fixture
def signer(company, registration, keypair, wsgi_transport):
    api = make_client(company, keypair, wsgi_transport)
    ApiCredential.objects.filter(pk=api.credential.pk).update(rate_limit_per_minute=100_000)
    api.get_token()
    return api


def signed_request(api, case, body: bytes) -> httpx.Request:
    """The generated request, with the headers a biller's system computes for its body."""
    path = case.formatted_path
    if path == TOKEN_PATH:
        stamp = signing.format_timestamp(api.clock())
        headers = {"X-CLIENT-KEY": api.client_key, "X-TIMESTAMP": stamp,
                   "X-SIGNATURE": signing.rsa_sign(api.private_key_pem,
                                                   signing.token_string_to_sign(api.client_key, stamp))}
    else:
        token, stamp = api.get_token(), signing.format_timestamp(api.clock())
        headers = {"Authorization": f"Bearer {token}", "X-TIMESTAMP": stamp, "X-PARTNER-ID": api.client_key,
                   "X-EXTERNAL-ID": new_external_id(), "CHANNEL-ID": "95221",
                   "X-SIGNATURE": signing.hmac_signature(api.client_secret, case.method, path, token, body, stamp)}
    return httpx.Request(case.method, "http://testserver" + path, content=body,
                         headers={"Content-Type": "application/json", **headers})


def run(schema, signer, mode):
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 10
    calls = []
    for operation in operations:

        @settings(max_examples=15, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                         HealthCheck.filter_too_much, HealthCheck.data_too_large])
        @given(case=operation.as_strategy(generation_mode=mode), registered=st.booleans())
        def check(case, registered):
            body = case.body
            if registered and isinstance(body, dict) and "billerCode" in body:
                body = {**body, "billerCode": "89123"}  # half the time, a code the company registered
            if body is NOT_SET:
                raw = b""
            elif isinstance(body, bytes | str):
                raw = body.encode() if isinstance(body, str) else body  # a negative case: not JSON at all
            else:
                raw = json.dumps(body, ensure_ascii=False).encode()
            response = signer._http.send(signed_request(signer, case, raw))
            calls.append((case.formatted_path, response.status_code))
            case.validate_response(response, checks=CHECKS)

        check()
    return calls


def test_valid_requests_get_documented_answers_that_match_the_schema(schema, signer):
    calls = run(schema, signer, GenerationMode.POSITIVE)
    statuses = {status for _path, status in calls}
    assert 200 in statuses, "some generated requests succeed"
    assert len({path for path, _status in calls}) == 10, "every operation was called"


def test_invalid_requests_are_refused_with_documented_snap_answers(schema, signer):
    calls = run(schema, signer, GenerationMode.NEGATIVE)
    assert all(status < 500 for _path, status in calls)
    assert {status for _path, status in calls} & {400}
