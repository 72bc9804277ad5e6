"""Open API: bill reminder messages (docs/api.md, "Endpoints"). Thin: shape in, service, shape out."""

from django.utils import translation
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError

from core import signing
from core.errors import DomainError
from reminders import selectors, services
from reminders.api import serializers as s
from reminders.models import BillSource
from snap import errors, shapes
from snap.feeds import feed_answer, feed_position
from snap.pipeline import SIGNED_HEADERS, SnapView, domain_error, registered_code, serializer_error, snap_responses

API_NAMES = services.field_names({
    "bill_key": "billKey",
    "payer_phone": "payerPhoneNumber",
    "payer_name": "payerName",
    "amount": "totalAmount.value",
    "description": "billDescription",
    "start_date": "startDate",
    "end_date": "endDate",
    "partner_reference_no": "partnerReferenceNo",
    "biller_code": "billerCode",
})

def _iso(moment) -> str | None:
    return signing.format_timestamp(moment) if moment else None


def message_body(bill) -> dict:
    return {
        "referenceNo": bill.reference_no,
        "partnerReferenceNo": bill.partner_reference_no,
        "billerCode": bill.registration.code,
        "billKey": bill.bill_key,
        "payerPhoneNumber": bill.payer_phone,
        "status": bill.status,
        "startDate": _iso(bill.start_at),
        "endDate": _iso(bill.end_at),
    }


def _registration(credential, code: str):
    registration = registered_code(credential, code)
    if not registration.is_active:
        raise errors.feature_not_allowed(f"biller code {code} is stopped")
    try:
        services.registration_accepts_bills(registration)
    except DomainError as exc:
        raise errors.feature_not_allowed(exc.message) from exc
    return registration


def _moment(value: str, field: str):
    try:
        return signing.parse_timestamp(value)
    except ValueError as exc:
        raise errors.invalid_field(field) from exc


def _row(credential, data: dict, registration=None):
    """One validated message as a bill row and its code's registration; a SNAP refusal naming the field."""
    registration = registration or _registration(credential, data["billerCode"])
    values = {
        "bill_key": data["billKey"],
        "payer_phone": data["payerPhoneNumber"],
        "payer_name": data.get("payerName", ""),
        "amount": data["totalAmount"]["value"],
        "description": data.get("billDescription", ""),
        "start_date": _moment(data["startDate"], "startDate"),
        "end_date": _moment(data["endDate"], "endDate"),
        "partner_reference_no": data["partnerReferenceNo"],
        "biller_code": data["billerCode"],
    }
    row, problems = services.bill_validate(registration=registration, values=values, names=API_NAMES)
    if problems:
        # The field and the rule it breaks, as the upload report words it (in English).
        with translation.override("en"):
            raise errors.invalid_field(f"{problems[0].column} ({problems[0].message.rstrip('.')})")
    return registration, row


class MessageCreateView(SnapView):
    service_code = errors.SERVICE_MESSAGE_CREATE
    input = s.MessageCreateIn

    @extend_schema(operation_id="bill_reminder_message_create", summary="Create a bill reminder (single messaging)",
                   parameters=SIGNED_HEADERS, request=s.MessageCreateIn,
                   responses=snap_responses(s.MessageOut))
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def perform(self, credential, data):
        registration, row = _row(credential, data)
        (outcome,), reservation = services.bills_insert(
            registration=registration, rows=[row], source=BillSource.API,
            actor_label=f"Open API ({credential.client_key})",
            needs_approval=credential.company.approval_for_api,
        )
        if isinstance(outcome, DomainError):
            raise outcome
        self.last_step = reservation.book
        return message_body(outcome)


class MessageBatchCreateView(SnapView):
    """Up to ``BATCH_MAX`` messages in one call: each answered in order as its own create would be;
    the call's bills of each biller code reserved whole (docs/api.md, "Batch create")."""

    service_code = errors.SERVICE_MESSAGE_BATCH_CREATE
    input = s.MessageBatchCreateIn

    @extend_schema(operation_id="bill_reminder_message_batch_create",
                   summary=f"Create up to {s.BATCH_MAX:,} bill reminders in one call",
                   parameters=SIGNED_HEADERS, request=s.MessageBatchCreateDoc,
                   responses=snap_responses(s.MessageBatchOut))
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def perform(self, credential, data):
        messages = data["messages"]
        results: list[dict | None] = [None] * len(messages)
        registrations: dict[str, object] = {}
        groups: dict[int, tuple[object, list[int], list]] = {}  # registration id -> (registration, positions, rows)
        for position, message in enumerate(messages):
            try:
                if not isinstance(message, dict):
                    raise errors.invalid_field("message (a JSON object is expected)")
                try:
                    item = shapes.validated(s.MessageCreateIn, message)
                except ValidationError as exc:
                    raise serializer_error(exc) from exc
                code = item["billerCode"]
                if code not in registrations:
                    try:
                        registrations[code] = _registration(credential, code)
                    except errors.SnapError as exc:
                        registrations[code] = exc
                if isinstance(registrations[code], errors.SnapError):
                    raise registrations[code]
                registration, row = _row(credential, item, registrations[code])
            except errors.SnapError as exc:
                results[position] = _refused(exc, message)
                continue
            group = groups.setdefault(registration.pk, (registration, [], []))
            group[1].append(position)
            group[2].append(row)
        reservations = []
        for registration, positions, rows in groups.values():
            outcomes, reservation = services.bills_insert(
                registration=registration, rows=rows, source=BillSource.API,
                actor_label=f"Open API ({credential.client_key})",
                needs_approval=credential.company.approval_for_api,
            )
            reservations.append(reservation)
            for position, outcome in zip(positions, outcomes):
                if isinstance(outcome, DomainError):
                    results[position] = _refused(domain_error(outcome), messages[position])
                else:
                    results[position] = {"responseCode": f"200{errors.SERVICE_MESSAGE_CREATE}00",
                                         "responseMessage": "Successful", **message_body(outcome)}

        def book_all():
            for reservation in reservations:
                reservation.book()

        self.last_step = book_all
        accepted = sum(1 for result in results if result["responseCode"].startswith("200"))
        return {"accepted": accepted, "refused": len(results) - accepted, "results": results}


def _refused(exc: errors.SnapError, message) -> dict:
    """A message's own refusal, as its single create would answer it, with the references it sent."""
    body = exc.body(errors.SERVICE_MESSAGE_CREATE)
    if isinstance(message, dict):
        for name in ("partnerReferenceNo", "billKey"):
            if isinstance(message.get(name), str):
                body[name] = message[name][:64]
    return body


def _bill(credential, data):
    bill = selectors.bill_lookup(
        credential.company, reference_no=data.get("referenceNo"), partner_reference_no=data.get("partnerReferenceNo")
    )
    if bill is None:
        raise errors.not_found()
    return bill


class MessageInquiryView(SnapView):
    service_code = errors.SERVICE_MESSAGE_INQUIRY
    input = s.MessageLookupIn

    @extend_schema(operation_id="bill_reminder_message_inquiry", summary="Status of a bill reminder",
                   parameters=SIGNED_HEADERS, request=s.MessageLookupIn, responses=snap_responses(s.MessageStatusOut))
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def perform(self, credential, data):
        return status_body(_bill(credential, data))


def status_body(bill) -> dict:
    """A bill as the inquiry answers it."""
    paid_amount = None
    if bill.paid_amount is not None:
        paid_amount = {"value": f"{bill.paid_amount:.2f}", "currency": "IDR"}
    return {
        **message_body(bill),
        "livinUser": bill.livin_user,
        "displayedAt": _iso(bill.displayed_at),
        "paidAt": _iso(bill.paid_at),
        "paidAmount": paid_amount,
        "paymentChannel": bill.payment_channel or None,
        "paymentReferenceNo": bill.payment_reference or None,
        "withdrawnAt": _iso(bill.withdrawn_at),
    }


class MessageListView(SnapView):
    """The company's bills changed since a moment, a page at a time (docs/api.md, "Bills changed since")."""

    service_code = errors.SERVICE_MESSAGE_LIST
    input = s.MessageListIn

    @extend_schema(operation_id="bill_reminder_message_list", summary="Bills changed since a moment",
                   parameters=SIGNED_HEADERS, request=s.MessageListIn, responses=snap_responses(s.MessageListOut))
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def perform(self, credential, data):
        since, cursor, size = feed_position(data, since_field="changedSince", filter_fields=("billerCode", "status"))
        registration = registered_code(credential, data["billerCode"]) if data.get("billerCode") else None
        page = selectors.bills_changed(credential.company, since=since, cursor=cursor, registration=registration,
                                       status=data.get("status", ""), size=size)
        return feed_answer(page, "bills", [{**status_body(bill), "updatedAt": _iso(bill.updated_at)}
                                          for bill in page.rows])


class MessageCancelView(SnapView):
    service_code = errors.SERVICE_MESSAGE_CANCEL
    input = s.MessageCancelIn

    @extend_schema(operation_id="bill_reminder_message_cancel", summary="Cancel a bill reminder",
                   parameters=SIGNED_HEADERS, request=s.MessageCancelIn, responses=snap_responses(s.MessageOut))
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def perform(self, credential, data):
        from core.errors import Conflict

        bill = _bill(credential, data)
        try:
            bill = services.bill_cancel(bill=bill, actor_label=f"Open API ({credential.client_key})",
                                        reason=data.get("reason") or "Cancelled through the Open API")
        except Conflict as exc:
            if exc.code == "paid":
                raise errors.paid_bill() from exc
            raise errors.invalid_status() from exc
        return message_body(bill)
