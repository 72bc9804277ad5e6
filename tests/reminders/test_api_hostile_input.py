"""Bodies an attacker or a broken client sends: each is a SNAP 400 naming what is wrong, never
a 500 and never a body read otherwise than it was signed."""

import json

import pytest

from reminders.models import Bill
from snap.client import MESSAGES_PATH, TOKEN_PATH
from tests.reminders.test_api import message

pytestmark = pytest.mark.django_db


def refused(response, field):
    assert (response.status_code, response.body) == (400, {"responseCode": "4009001",
                                                           "responseMessage": f"Invalid Field Format {field}"})
    assert not Bill.objects.exists()


def test_a_body_in_utf16_is_refused_so_no_two_bodies_share_a_signature(api):
    refused(api.call(MESSAGES_PATH, json.dumps(message()).encode("utf-16")), "body (not UTF-8)")
    refused(api.call(MESSAGES_PATH, json.dumps(message()).encode("utf-16-le")), "body (not valid JSON)")


def test_a_body_with_a_byte_order_mark_is_not_json(api):
    refused(api.call(MESSAGES_PATH, b"\xef\xbb\xbf" + json.dumps(message()).encode()), "body (not valid JSON)")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(api, constant):
    body = json.dumps(message()).replace('"150000.00"', constant)
    refused(api.call(MESSAGES_PATH, body), "body (not valid JSON)")


def test_a_body_nested_deeper_than_16_levels_is_refused(api):
    nested: dict = {}
    for _ in range(20):
        nested = {"a": nested}
    refused(api.call(MESSAGES_PATH, message(additionalInfo=nested)), "body (nested more than 16 levels)")


def test_a_body_nested_a_hundred_thousand_levels_is_refused_not_a_crash(api):
    body = '{"additionalInfo": ' + "[" * 100_000 + "]" * 100_000 + "}"
    refused(api.call(MESSAGES_PATH, body), "body (nested more than 16 levels)")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "application/json; charset=utf-16", None])
def test_a_body_not_declared_as_json_in_utf8_is_refused(api, content_type):
    response = api.call(MESSAGES_PATH, message(), headers_override={"Content-Type": content_type})
    refused(response, "Content-Type (application/json in UTF-8 is expected)")


def test_json_with_a_utf8_charset_is_taken(api):
    response = api.call(MESSAGES_PATH, message(), headers_override={"Content-Type": "application/json; charset=UTF-8"})
    assert response.body["responseCode"] == "2009000"


@pytest.mark.parametrize("path", [MESSAGES_PATH, TOKEN_PATH])
def test_a_body_over_the_limit_gets_a_snap_answer(api, path):
    body = json.dumps({**message(), "additionalInfo": {"padding": "x" * 3_000_000}})
    if path == TOKEN_PATH:
        request = api.build_token_request()
        headers = {name: value for name, value in request.headers.items() if name.lower() != "content-length"}
        request = api._http.build_request("POST", request.url, headers=headers, content=body)
        response = api.send(request)
        assert response.body["responseCode"] == "4007301"
    else:
        response = api.call(path, body)
        assert response.body["responseCode"] == "4009001"
    assert response.status_code == 400
    assert response.body["responseMessage"] == "Invalid Field Format body (more than 2.5 MB)"


@pytest.mark.parametrize("field, value", [("billerCode", 89123), ("billKey", 1234567890), ("payerName", True),
                                          ("partnerReferenceNo", 1.5)])
def test_a_number_where_the_contract_says_string_is_refused(api, field, value):
    refused(api.call(MESSAGES_PATH, message(**{field: value})), field)
