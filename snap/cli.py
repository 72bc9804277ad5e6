"""The Open API client's command line: ``python -m snap``.

    python -m snap --credentials var/demo/credentials.json send \\
        --biller-code 89123 --bill-key 123 --phone 081234567890 --amount 150000
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from core import signing
from snap.client import (
    DEFAULT_CREDENTIALS_PATH,
    Clock,
    SnapClient,
    SnapResponse,
    SnapTokenError,
    format_amount,
    new_partner_reference,
)


def _timestamp_argument(value: str) -> str:
    try:
        signing.parse_timestamp(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def _amount_argument(value: str) -> dict:
    try:
        amount = format_amount(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if Decimal(amount["value"]) <= 0:
        raise argparse.ArgumentTypeError(f"Amount must be above zero, got {value}.")
    return amount


def _add_reference_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--partner-reference", help="your partnerReferenceNo")
    group.add_argument("--reference", help="the portal's referenceNo")


def _add_feed_arguments(parser: argparse.ArgumentParser, flag: str, field: str) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument(flag, type=_timestamp_argument, help=f"{field}: ISO-8601 with offset")
    group.add_argument("--cursor", help="the nextCursor of the page before")
    parser.add_argument("--page-size", type=int, help="1 to 1,000; default 100")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m snap",
        description="Call the Kopra Bill Reminder Open API with signed requests.",
    )
    parser.add_argument(
        "--credentials",
        default=DEFAULT_CREDENTIALS_PATH,
        help=f"credentials JSON written by the demo seeder (default: {DEFAULT_CREDENTIALS_PATH})",
    )
    parser.add_argument("--base-url", help="API base URL (default: api.base_url of the file)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    send = commands.add_parser("send", help="create a bill reminder")
    send.add_argument("--biller-code", required=True)
    send.add_argument("--bill-key", required=True)
    send.add_argument("--phone", required=True, help="payer's mobile number")
    send.add_argument("--amount", required=True, type=_amount_argument, help="e.g. 150000")
    send.add_argument("--start", type=_timestamp_argument, help="ISO-8601 with offset; default now")
    send.add_argument(
        "--end", type=_timestamp_argument, help="ISO-8601 with offset; default start + 7 days"
    )
    send.add_argument("--name", help="payer's name")
    send.add_argument("--description", help="bill description")
    send.add_argument("--partner-reference", help="partnerReferenceNo; default generated")
    send.add_argument("--external-id", help="X-EXTERNAL-ID; default generated")

    batch = commands.add_parser("send-batch", help="create up to 1,000 bill reminders from a JSON file")
    batch.add_argument("file", type=Path,
                       help='a JSON list of messages (or {"messages": [...]}), each as the API takes it')
    batch.add_argument("--external-id", help="X-EXTERNAL-ID; default generated")

    inquiry = commands.add_parser("inquiry", help="status of a bill reminder")
    _add_reference_arguments(inquiry)

    cancel = commands.add_parser("cancel", help="cancel a bill reminder")
    _add_reference_arguments(cancel)
    cancel.add_argument("--reason", required=True)

    quota = commands.add_parser("quota", help="quota of a biller code")
    quota.add_argument("--biller-code", required=True)

    listing = commands.add_parser("list", help="bills changed since a moment (one page)")
    _add_feed_arguments(listing, "--since", "changedSince")
    listing.add_argument("--biller-code")
    listing.add_argument("--status", help="e.g. PAID")

    events = commands.add_parser("callbacks", help="callback events since a moment (one page)")
    _add_feed_arguments(events, "--since", "occurredSince")
    events.add_argument("--event", help="e.g. bill.paid")

    commands.add_parser("test-callback", help="have the portal send a test callback to your callback URL")

    settled = commands.add_parser("settlement", help="what reached a code's collection account on a day (one page)")
    settled.add_argument("--biller-code", required=True)
    settled.add_argument("--date", required=True, help="the day in WIB, YYYY-MM-DD")
    settled.add_argument("--cursor", help="the nextCursor of the page before")
    settled.add_argument("--page-size", type=int, help="1 to 1,000; default 100")

    commands.add_parser("token", help="fetch an access token")
    return parser


def _run(client: SnapClient, args: argparse.Namespace) -> SnapResponse:
    if args.command == "token":
        return client.request_token()
    if args.command == "inquiry":
        return client.inquiry(args.partner_reference, args.reference)
    if args.command == "cancel":
        return client.cancel(args.partner_reference, args.reference, reason=args.reason)
    if args.command == "quota":
        return client.quota_inquiry(args.biller_code)
    if args.command == "list":
        return client.list_messages(args.since, cursor=args.cursor, biller_code=args.biller_code,
                                    status=args.status, page_size=args.page_size)
    if args.command == "callbacks":
        return client.list_callbacks(args.since, cursor=args.cursor, event=args.event, page_size=args.page_size)
    if args.command == "test-callback":
        return client.test_callback()
    if args.command == "settlement":
        return client.settlement_inquiry(args.biller_code, args.date, cursor=args.cursor, page_size=args.page_size)
    if args.command == "send-batch":
        return client.create_messages(_batch_file(args.file), external_id=args.external_id)
    now = client.clock()
    start = args.start or signing.format_timestamp(now)
    end = args.end or signing.format_timestamp(signing.parse_timestamp(start) + timedelta(days=7))
    fields: dict[str, Any] = {
        "partnerReferenceNo": args.partner_reference or new_partner_reference(now),
        "billerCode": args.biller_code,
        "billKey": args.bill_key,
        "payerPhoneNumber": args.phone,
        "totalAmount": args.amount,
        "startDate": start,
        "endDate": end,
    }
    if args.name:
        fields["payerName"] = args.name
    if args.description:
        fields["billDescription"] = args.description
    return client.create_message(external_id=args.external_id, **fields)


def _batch_file(path: Path) -> list:
    """The messages of a batch file; ValueError naming the file and what is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ValueError(f"{path} is not JSON: {exc}") from None
    if isinstance(data, dict):
        data = data.get("messages")
    if not isinstance(data, list) or not all(isinstance(message, dict) for message in data):
        raise ValueError(f'{path} must hold a JSON list of message objects, or {{"messages": [...]}}')
    return data


def _print_response(response: SnapResponse) -> None:
    if response.body:
        print(json.dumps(response.body, indent=2, ensure_ascii=False))
    else:
        print(f"HTTP {response.status_code}\n{response.text}")


def main(
    argv: Sequence[str] | None = None,
    *,
    transport: httpx.BaseTransport | None = None,
    clock: Clock | None = None,
) -> int:
    """Run the command line; 0 if the API answered 2xx, 1 otherwise."""
    args = build_parser().parse_args(argv)
    try:
        client = SnapClient.from_credentials_file(
            args.credentials, base_url=args.base_url, transport=transport, clock=clock
        )
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    with client:
        try:
            response = _run(client, args)
        except SnapTokenError as exc:
            print(f"error: {exc}", file=sys.stderr)
            response = exc.response
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except httpx.HTTPError as exc:
            print(f"error: cannot reach {client.base_url}: {exc}", file=sys.stderr)
            return 1
    _print_response(response)
    return 0 if response.ok else 1

