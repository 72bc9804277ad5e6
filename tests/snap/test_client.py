import json
import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from core import signing
from snap.cli import main
from snap.client import (
    BATCH_PATH,
    CALLBACK_LIST_PATH,
    CALLBACK_TEST_PATH,
    CANCEL_PATH,
    INQUIRY_PATH,
    LIST_PATH,
    MESSAGES_PATH,
    QUOTA_PATH,
    TOKEN_PATH,
    SnapClient,
    SnapTokenError,
)

CLIENT_KEY = "ck_live_4f2a"
CLIENT_SECRET = "cs_live_9b7e1d"
BASE_URL = "http://testserver"
START = datetime(2026, 12, 1, 1, 0, 0, tzinfo=UTC)  # 08:00 in Jakarta


class FakeClock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _answer(start_response, status: int, body: dict | str):
    reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}
    content_type = "application/json" if isinstance(body, dict) else "text/html"
    payload = (json.dumps(body) if isinstance(body, dict) else body).encode()
    start_response(f"{status} {reason.get(status, 'Error')}", [("Content-Type", content_type)])
    return [payload]


class FakeSnapServer:
    """A WSGI app that checks every request with core.signing, as the real API must."""

    def __init__(self, public_key_pem: str, clock: FakeClock):
        self.public_key_pem = public_key_pem
        self.clock = clock
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.calls: list[dict] = []  # service calls that passed every check

    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        query = environ.get("QUERY_STRING", "")
        endpoint = environ["PATH_INFO"] + (f"?{query}" if query else "")
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        header = lambda name: environ.get("HTTP_" + name.upper().replace("-", "_"))  # noqa: E731
        timestamp = header("X-TIMESTAMP")
        if environ["PATH_INFO"] == "/broken":
            return _answer(start_response, 500, "<h1>Server Error</h1>")

        if environ["PATH_INFO"] == TOKEN_PATH:
            self.token_requests += 1
            message = signing.token_string_to_sign(header("X-CLIENT-KEY") or "", timestamp or "")
            if header("X-CLIENT-KEY") != CLIENT_KEY or not signing.rsa_verify(
                self.public_key_pem, message, header("X-SIGNATURE")
            ):
                return _answer(
                    start_response,
                    401,
                    {"responseCode": "4017300", "responseMessage": "Unauthorized. Signature"},
                )
            token = secrets.token_urlsafe(24)
            self.tokens.add(token)
            return _answer(
                start_response,
                200,
                {
                    "responseCode": "2007300",
                    "responseMessage": "Successful",
                    "accessToken": token,
                    "tokenType": "Bearer",
                    "expiresIn": "900",
                },
            )

        for name in ("Authorization", "X-TIMESTAMP", "X-PARTNER-ID", "X-EXTERNAL-ID",
                     "CHANNEL-ID", "X-SIGNATURE"):
            if not header(name):
                return _answer(
                    start_response,
                    400,
                    {"responseCode": "4009002", "responseMessage": f"Invalid Mandatory Field {name}"},
                )
        token = header("Authorization").removeprefix("Bearer ")
        if token not in self.tokens:
            return _answer(
                start_response,
                401,
                {"responseCode": "4019001", "responseMessage": "Invalid Token (B2B)"},
            )
        signed = signing.verify_hmac_signature(
            CLIENT_SECRET, method, endpoint, token, body, timestamp, header("X-SIGNATURE")
        )
        fresh = signing.timestamp_within_window(timestamp, self.clock())
        if not (signed and fresh and header("X-PARTNER-ID") == CLIENT_KEY):
            return _answer(
                start_response,
                401,
                {"responseCode": "4019000", "responseMessage": "Unauthorized. Signature"},
            )

        route = environ["PATH_INFO"]
        payload = json.loads(body) if body else {}
        self.calls.append(
            {
                "method": method,
                "endpoint": endpoint,
                "raw_body": body,
                "body": payload,
                "headers": {k: v for k, v in environ.items() if k.startswith("HTTP_")},
            }
        )
        if route == MESSAGES_PATH:
            answer = {"responseCode": "2009000", "responseMessage": "Successful",
                      "referenceNo": "BR0001", **payload, "status": "RECEIVED"}
            return _answer(start_response, 200, answer)
        if route == BATCH_PATH:
            answer = {"responseCode": "2009400", "responseMessage": "Successful",
                      "accepted": len(payload["messages"]), "refused": 0, "results": []}
            return _answer(start_response, 200, answer)
        if route == INQUIRY_PATH and payload.get("partnerReferenceNo") == "INV-1":
            answer = {"responseCode": "2009100", "responseMessage": "Successful",
                      "partnerReferenceNo": "INV-1", "status": "DISPLAYED"}
            return _answer(start_response, 200, answer)
        if route == INQUIRY_PATH:
            answer = {"responseCode": "4049101", "responseMessage": "Transaction Not Found"}
            return _answer(start_response, 404, answer)
        if route == CANCEL_PATH:
            answer = {"responseCode": "2009200", "responseMessage": "Successful",
                      **payload, "status": "CANCELLED"}
            return _answer(start_response, 200, answer)
        if route == QUOTA_PATH:
            answer = {"responseCode": "2009300", "responseMessage": "Successful",
                      "billerCode": payload["billerCode"], "balance": 100, "reserved": 5,
                      "available": 95}
            return _answer(start_response, 200, answer)
        if route in (LIST_PATH, CALLBACK_LIST_PATH):
            # Two pages: the first call's, then the cursor's.
            more = "cursor" not in payload
            answer = {"responseCode": "2009500" if route == LIST_PATH else "2009600", "responseMessage": "Successful",
                      "nextCursor": "PAGE2" if more else None, "listedUntil": "2026-12-01T07:59:55+07:00",
                      ("bills" if route == LIST_PATH else "events"): [{"page": 1 if more else 2}]}
            return _answer(start_response, 200, answer)
        return _answer(start_response, 404, {"responseCode": "404", "responseMessage": "No route"})


@pytest.fixture(scope="module")
def keypair():
    return signing.generate_rsa_keypair()


@pytest.fixture
def clock():
    return FakeClock(START)


@pytest.fixture
def server(keypair, clock):
    return FakeSnapServer(keypair[1], clock)


@pytest.fixture
def transport(server):
    return httpx.WSGITransport(app=server)


@pytest.fixture
def client(keypair, transport, clock):
    with SnapClient(
        BASE_URL, CLIENT_KEY, CLIENT_SECRET, keypair[0], transport=transport, clock=clock
    ) as snap_client:
        yield snap_client


MESSAGE = {
    "partnerReferenceNo": "INV-2026-11-0001",
    "billerCode": "89123",
    "billKey": "1234567890",
    "payerPhoneNumber": "0812-3456-7890",
    "billDescription": 'Tagihan "air"  November',
    "totalAmount": {"value": "150000.00", "currency": "IDR"},
}


# --- signing what is sent -------------------------------------------------------------


def test_a_server_verifying_the_received_bytes_accepts_the_call(client, server):
    response = client.call(MESSAGES_PATH, MESSAGE)
    assert response.status_code == 200
    assert response.ok
    assert response.response_code == "2009000"
    assert response.body["referenceNo"] == "BR0001"


def test_body_is_sent_as_compact_json_in_the_given_key_order(client, server):
    client.call(MESSAGES_PATH, MESSAGE)
    raw = server.calls[0]["raw_body"]
    assert raw == json.dumps(MESSAGE, separators=(",", ":"), ensure_ascii=False).encode()
    assert raw.startswith(b'{"partnerReferenceNo":"INV-2026-11-0001","billerCode"')


def test_a_pretty_printed_body_sent_as_is_still_verifies(client, server):
    pretty = json.dumps(MESSAGE, indent=4)
    response = client.call(MESSAGES_PATH, pretty)
    assert response.status_code == 200
    assert server.calls[0]["raw_body"] == pretty.encode()


def test_headers_follow_the_contract(client, server):
    client.call(MESSAGES_PATH, MESSAGE)
    headers = server.calls[0]["headers"]
    assert headers["HTTP_AUTHORIZATION"].startswith("Bearer ")
    assert headers["HTTP_X_TIMESTAMP"] == "2026-12-01T08:00:00+07:00"
    assert headers["HTTP_X_PARTNER_ID"] == CLIENT_KEY
    assert headers["HTTP_CHANNEL_ID"] == "95221"
    assert headers["HTTP_X_EXTERNAL_ID"].isdigit()
    assert len(headers["HTTP_X_EXTERNAL_ID"]) <= 36


def test_each_call_gets_its_own_external_id(client, server):
    for _ in range(3):
        client.call(QUOTA_PATH, {"billerCode": "89123"})
    external_ids = {call["headers"]["HTTP_X_EXTERNAL_ID"] for call in server.calls}
    assert len(external_ids) == 3


def test_given_external_id_and_timestamp_are_sent(client, server, clock):
    clock.advance(120)
    response = client.call(
        QUOTA_PATH,
        {"billerCode": "89123"},
        external_id="20261201000000000001",
        timestamp="2026-12-01T08:01:00+07:00",
    )
    assert response.ok
    headers = server.calls[0]["headers"]
    assert headers["HTTP_X_EXTERNAL_ID"] == "20261201000000000001"
    assert headers["HTTP_X_TIMESTAMP"] == "2026-12-01T08:01:00+07:00"


def test_query_string_is_part_of_the_signed_endpoint(client, server):
    response = client.call(QUOTA_PATH + "?lang=id", {"billerCode": "89123"})
    assert response.ok
    assert server.calls[0]["endpoint"] == QUOTA_PATH + "?lang=id"


# --- tampering: one changed byte is refused ----------------------------------------------


@pytest.mark.parametrize(
    "tampering",
    [
        {"sign_method": "PUT"},
        {"sign_path": MESSAGES_PATH + "X"},
        {"sign_token": "not-the-token"},
        {"sign_body": {**MESSAGE, "billKey": "1234567891"}},
        {"sign_timestamp": "2026-12-01T08:00:01+07:00"},
        {"headers_override": {"X-SIGNATURE": "A" * 88}},
        {"headers_override": {"X-TIMESTAMP": "2026-12-01T08:00:01+07:00"}},
        {"headers_override": {"X-PARTNER-ID": "ck_someone_else"}},
    ],
    ids=["method", "path", "token", "body", "timestamp", "signature", "sent timestamp", "partner"],
)
def test_signing_anything_other_than_what_is_sent_gets_401(client, server, tampering):
    response = client.call(MESSAGES_PATH, MESSAGE, **tampering)
    assert response.status_code == 401
    assert response.response_code == "4019000"
    assert server.calls == []


def test_changing_one_body_byte_after_signing_gets_401(client, server):
    request = client.build_request(MESSAGES_PATH, MESSAGE)
    tampered = httpx.Request(
        request.method,
        request.url,
        headers=request.headers,
        content=request.content.replace(b"150000.00", b"150000.01"),
    )
    response = client.send(tampered)
    assert response.status_code == 401
    assert client.send(request).status_code == 200


def test_a_timestamp_six_minutes_old_gets_401(client, server, clock):
    request = client.build_request(MESSAGES_PATH, MESSAGE)
    clock.advance(301)
    assert client.send(request).status_code == 401


def test_an_unknown_token_gets_invalid_token(client, server):
    response = client.call(MESSAGES_PATH, MESSAGE, access_token="forged")
    assert response.status_code == 401
    assert response.response_code == "4019001"


def test_a_header_overridden_with_none_is_not_sent(client, server):
    response = client.call(MESSAGES_PATH, MESSAGE, headers_override={"X-SIGNATURE": None})
    assert response.status_code == 400
    assert response.body["responseMessage"] == "Invalid Mandatory Field X-SIGNATURE"


# --- the access token -----------------------------------------------------------------


def test_token_is_fetched_once_and_reused(client, server):
    for _ in range(3):
        client.quota_inquiry("89123")
    assert server.token_requests == 1
    assert len({call["headers"]["HTTP_AUTHORIZATION"] for call in server.calls}) == 1


def test_token_is_renewed_a_minute_before_it_expires(client, server, clock):
    client.quota_inquiry("89123")
    clock.advance(839)
    client.quota_inquiry("89123")
    assert server.token_requests == 1
    clock.advance(1)
    client.quota_inquiry("89123")
    assert server.token_requests == 2


def test_a_token_the_server_no_longer_knows_is_replaced_on_the_next_call(client, server):
    client.quota_inquiry("89123")
    server.tokens.clear()
    assert client.quota_inquiry("89123").response_code == "4019001"
    assert client.quota_inquiry("89123").ok
    assert server.token_requests == 2


def test_token_request_signed_with_another_private_key_is_refused(transport, clock):
    other_private_key, _ = signing.generate_rsa_keypair()
    client = SnapClient(
        BASE_URL, CLIENT_KEY, CLIENT_SECRET, other_private_key, transport=transport, clock=clock
    )
    with pytest.raises(SnapTokenError, match="HTTP 401.*Unauthorized. Signature") as refused:
        client.quota_inquiry("89123")
    assert refused.value.response.response_code == "4017300"


@pytest.mark.parametrize(
    "tampering",
    [
        {"sign_client_key": CLIENT_KEY + "x"},
        {"sign_timestamp": "2026-12-01T08:00:01+07:00"},
        {"headers_override": {"X-CLIENT-KEY": "ck_someone_else"}},
    ],
    ids=["client key", "timestamp", "sent client key"],
)
def test_token_request_signing_anything_other_than_what_is_sent_gets_401(client, tampering):
    assert client.request_token(**tampering).status_code == 401


def test_token_answer_is_returned_as_sent(client):
    response = client.request_token()
    assert response.body["responseCode"] == "2007300"
    assert response.body["tokenType"] == "Bearer"
    assert response.body["expiresIn"] == "900"


# --- convenience methods ----------------------------------------------------------------


def test_create_message_takes_snake_case_fields_and_formats_amount_and_dates(client, server):
    response = client.create_message(
        partner_reference_no="INV-9",
        biller_code="89123",
        bill_key="A-1",
        payer_phone_number="081234567890",
        total_amount=Decimal("150000"),
        start_date=START,
        end_date=START + timedelta(days=9),
        additionalInfo={"note": "camelCase passes through"},
    )
    assert response.ok
    assert server.calls[0]["body"] == {
        "partnerReferenceNo": "INV-9",
        "billerCode": "89123",
        "billKey": "A-1",
        "payerPhoneNumber": "081234567890",
        "totalAmount": {"value": "150000.00", "currency": "IDR"},
        "startDate": "2026-12-01T08:00:00+07:00",
        "endDate": "2026-12-10T08:00:00+07:00",
        "additionalInfo": {"note": "camelCase passes through"},
    }


def test_create_message_refuses_a_float_amount(client):
    with pytest.raises(TypeError, match="not float"):
        client.create_message(total_amount=1.5)


def test_inquiry_sends_the_reference_it_is_given(client, server):
    assert client.inquiry(partner_reference_no="INV-1").body["status"] == "DISPLAYED"
    client.inquiry(reference_no="BR0001")
    assert server.calls[1]["body"] == {"referenceNo": "BR0001"}


@pytest.mark.parametrize("references", [{}, {"partner_reference_no": "a", "reference_no": "b"}])
def test_inquiry_needs_exactly_one_reference(client, references):
    with pytest.raises(ValueError, match="exactly one"):
        client.inquiry(**references)


def test_cancel_sends_the_reason(client, server):
    response = client.cancel(reference_no="BR0001", reason="Paid at the counter")
    assert response.body["status"] == "CANCELLED"
    assert server.calls[0]["body"] == {"referenceNo": "BR0001", "reason": "Paid at the counter"}


def test_an_answer_that_is_not_json_keeps_its_text(client):
    response = client.call("/broken", {})
    assert response.status_code == 500
    assert response.body == {}
    assert "Server Error" in response.text


# --- credentials file -----------------------------------------------------------------


@pytest.fixture
def credentials_file(tmp_path, monkeypatch, keypair):
    monkeypatch.chdir(tmp_path)
    key_path = tmp_path / "var" / "demo" / "api_private_key.pem"
    key_path.parent.mkdir(parents=True)
    key_path.write_text(keypair[0])
    credentials = tmp_path / "var" / "demo" / "credentials.json"
    credentials.write_text(
        json.dumps(
            {
                "api": {
                    "base_url": "http://127.0.0.1:8000",
                    "client_key": CLIENT_KEY,
                    "client_secret": CLIENT_SECRET,
                    "private_key_path": "var/demo/api_private_key.pem",
                },
                "console": {"email": "admin@example.com"},
            }
        )
    )
    return credentials


def test_credentials_file_gives_a_working_client(credentials_file, transport, server):
    client = SnapClient.from_credentials_file(
        credentials_file, base_url=BASE_URL, transport=transport, clock=server.clock
    )
    assert client.client_key == CLIENT_KEY
    assert client.quota_inquiry("89123").ok


def test_credentials_file_base_url_is_used_unless_overridden(credentials_file):
    assert SnapClient.from_credentials_file(credentials_file).base_url == "http://127.0.0.1:8000"


def test_credentials_file_accepts_an_absolute_key_path(credentials_file, tmp_path, monkeypatch):
    data = json.loads(credentials_file.read_text())
    data["api"]["private_key_path"] = str(tmp_path / "var" / "demo" / "api_private_key.pem")
    credentials_file.write_text(json.dumps(data))
    monkeypatch.chdir("/")
    assert SnapClient.from_credentials_file(credentials_file).private_key_pem.startswith("-----")


def test_missing_private_key_names_the_path_and_the_current_directory(
    credentials_file, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path / "var")
    with pytest.raises(FileNotFoundError, match="var/demo/api_private_key.pem.*current directory"):
        SnapClient.from_credentials_file(credentials_file)


def test_credentials_file_without_api_section_is_explained(tmp_path):
    path = tmp_path / "credentials.json"
    path.write_text("{}")
    with pytest.raises(ValueError, match='needs an "api" object'):
        SnapClient.from_credentials_file(path)


# --- command line ---------------------------------------------------------------------


def run_cli(credentials_file, transport, clock, *argv):
    return main(["--credentials", str(credentials_file), "--base-url", BASE_URL, *argv],
                transport=transport, clock=clock)


def test_cli_send_prints_the_answer_as_json_and_exits_0(
    credentials_file, transport, clock, server, capsys
):
    exit_code = run_cli(
        credentials_file, transport, clock,
        "send", "--biller-code", "89123", "--bill-key", "123", "--phone", "081234567890",
        "--amount", "150000", "--name", "Budi Santoso",
    )
    printed = json.loads(capsys.readouterr().out)
    assert exit_code == 0
    assert printed["responseCode"] == "2009000"
    sent = server.calls[0]["body"]
    assert sent["totalAmount"] == {"value": "150000.00", "currency": "IDR"}
    assert sent["payerName"] == "Budi Santoso"
    assert sent["partnerReferenceNo"].startswith("CLI-20261201080000-")
    assert sent["startDate"] == "2026-12-01T08:00:00+07:00"
    assert sent["endDate"] == "2026-12-08T08:00:00+07:00"


def test_cli_send_uses_the_given_dates_and_reference(credentials_file, transport, clock, server):
    exit_code = run_cli(
        credentials_file, transport, clock,
        "send", "--biller-code", "89123", "--bill-key", "123", "--phone", "081234567890",
        "--amount", "99.5", "--start", "2026-12-02T08:00:00+07:00",
        "--end", "2026-12-10T23:59:59+07:00", "--partner-reference", "INV-7",
        "--description", "Tagihan air",
    )
    sent = server.calls[0]["body"]
    assert exit_code == 0
    assert (sent["startDate"], sent["endDate"]) == (
        "2026-12-02T08:00:00+07:00", "2026-12-10T23:59:59+07:00"
    )
    assert sent["partnerReferenceNo"] == "INV-7"
    assert sent["billDescription"] == "Tagihan air"
    assert sent["totalAmount"]["value"] == "99.50"


def test_cli_inquiry_of_an_unknown_reference_prints_the_error_and_exits_1(
    credentials_file, transport, clock, capsys
):
    exit_code = run_cli(credentials_file, transport, clock, "inquiry", "--reference", "NOPE")
    assert exit_code == 1
    assert json.loads(capsys.readouterr().out)["responseCode"] == "4049101"


def test_cli_cancel_quota_and_token_exit_0(credentials_file, transport, clock, capsys):
    assert run_cli(credentials_file, transport, clock,
                   "cancel", "--partner-reference", "INV-1", "--reason", "duplicate") == 0
    assert json.loads(capsys.readouterr().out)["status"] == "CANCELLED"
    assert run_cli(credentials_file, transport, clock, "quota", "--biller-code", "89123") == 0
    assert json.loads(capsys.readouterr().out)["available"] == 95
    assert run_cli(credentials_file, transport, clock, "token") == 0
    assert json.loads(capsys.readouterr().out)["tokenType"] == "Bearer"


def test_cli_with_a_refused_token_prints_the_refusal_and_exits_1(
    credentials_file, transport, clock, capsys
):
    data = json.loads(credentials_file.read_text())
    other_key = credentials_file.parent / "other.pem"
    other_key.write_text(signing.generate_rsa_keypair()[0])
    data["api"]["private_key_path"] = str(other_key)
    credentials_file.write_text(json.dumps(data))
    exit_code = run_cli(credentials_file, transport, clock, "quota", "--biller-code", "89123")
    captured = capsys.readouterr()
    assert exit_code == 1
    assert json.loads(captured.out)["responseCode"] == "4017300"
    assert "Access token refused" in captured.err


def test_cli_without_a_credentials_file_explains_and_exits_1(tmp_path, capsys):
    exit_code = main(["--credentials", str(tmp_path / "missing.json"), "token"])
    assert exit_code == 1
    assert "missing.json not found" in capsys.readouterr().err


def test_cli_that_cannot_reach_the_server_explains_and_exits_1(credentials_file, capsys):
    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    exit_code = main(["--credentials", str(credentials_file), "token"],
                     transport=httpx.MockTransport(refuse))
    assert exit_code == 1
    assert "cannot reach http://127.0.0.1:8000" in capsys.readouterr().err


def test_cli_refuses_a_start_date_without_offset(credentials_file, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--credentials", str(credentials_file), "send", "--biller-code", "1",
              "--bill-key", "1", "--phone", "1", "--amount", "1", "--start", "2026-12-01T08:00"])
    assert exited.value.code == 2
    assert "has no offset" in capsys.readouterr().err


@pytest.mark.parametrize("amount", ["abc", "0", "-5"])
def test_cli_refuses_an_amount_that_is_not_a_positive_number(credentials_file, capsys, amount):
    with pytest.raises(SystemExit):
        main(["--credentials", str(credentials_file), "send", "--biller-code", "1",
              "--bill-key", "1", "--phone", "1", f"--amount={amount}"])
    assert "Amount" in capsys.readouterr().err


def test_create_messages_sends_each_message_as_create_message_would(client, server):
    response = client.create_messages([
        {"partner_reference_no": "INV-1", "biller_code": "89123", "total_amount": 150000},
        {"partnerReferenceNo": "INV-2", "billerCode": "89123", "totalAmount": "98000"},
    ], external_id="5550001")
    assert response.response_code == "2009400"
    call = server.calls[0]
    assert call["endpoint"] == BATCH_PATH and call["headers"]["HTTP_X_EXTERNAL_ID"] == "5550001"
    assert call["body"]["messages"] == [
        {"partnerReferenceNo": "INV-1", "billerCode": "89123",
         "totalAmount": {"value": "150000.00", "currency": "IDR"}},
        {"partnerReferenceNo": "INV-2", "billerCode": "89123",
         "totalAmount": {"value": "98000.00", "currency": "IDR"}},
    ]


def test_cli_send_batch_sends_the_files_messages(credentials_file, transport, clock, server, tmp_path, capsys):
    batch = tmp_path / "bills.json"
    batch.write_text(json.dumps({"messages": [{"partnerReferenceNo": "INV-9", "billKey": "9"}]}))
    assert run_cli(credentials_file, transport, clock, "send-batch", str(batch)) == 0
    assert json.loads(capsys.readouterr().out)["accepted"] == 1
    assert server.calls[0]["body"] == {"messages": [{"partnerReferenceNo": "INV-9", "billKey": "9"}]}


@pytest.mark.parametrize("content, says", [
    ("[1, 2]", "must hold a JSON list of message objects"),
    ("{not json", "is not JSON"),
    (None, "cannot read"),
])
def test_cli_send_batch_names_a_bad_file_and_sends_nothing(credentials_file, transport, clock, server, tmp_path,
                                                           capsys, content, says):
    batch = tmp_path / "bills.json"
    if content is not None:
        batch.write_text(content)
    assert run_cli(credentials_file, transport, clock, "send-batch", str(batch)) == 1
    error = capsys.readouterr().err
    assert says in error and "bills.json" in error
    assert server.calls == []


def test_pages_walks_a_listing_by_its_cursor_sending_the_cursor_alone(client, server):
    pages = list(client.pages(client.list_messages, "2026-12-01T00:00:00+07:00", status="PAID", page_size=500))
    assert [page.body["bills"] for page in pages] == [[{"page": 1}], [{"page": 2}]]
    assert [call["body"] for call in server.calls] == [
        {"changedSince": "2026-12-01T00:00:00+07:00", "status": "PAID", "pageSize": 500},
        {"cursor": "PAGE2", "pageSize": 500},
    ]
    with pytest.raises(ValueError, match="exactly one of changedSince and cursor"):
        client.list_messages()


def test_cli_lists_callback_events_and_bills_and_asks_for_a_test_callback(credentials_file, transport, clock, server,
                                                                          capsys):
    assert run_cli(credentials_file, transport, clock, "callbacks", "--since", "2026-12-01T00:00:00+07:00",
                   "--event", "bill.paid") == 0
    assert json.loads(capsys.readouterr().out)["nextCursor"] == "PAGE2"
    assert run_cli(credentials_file, transport, clock, "list", "--cursor", "PAGE2") == 0
    assert run_cli(credentials_file, transport, clock, "test-callback") == 1  # the fake server has no such route
    assert [(call["endpoint"], call["body"]) for call in server.calls] == [
        (CALLBACK_LIST_PATH, {"occurredSince": "2026-12-01T00:00:00+07:00", "event": "bill.paid"}),
        (LIST_PATH, {"cursor": "PAGE2"}),
        (CALLBACK_TEST_PATH, {}),
    ]
