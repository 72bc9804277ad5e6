"""Open API: the company's callback events, and a test callback (docs/api.md, "Callbacks to your system")."""

from drf_spectacular.utils import extend_schema

from core.errors import InvalidInput
from notifications import callbacks, selectors
from notifications.api import serializers as s
from snap import errors
from snap.feeds import feed_answer, feed_position
from snap.pipeline import SIGNED_HEADERS, SnapView, snap_responses


class CallbackListView(SnapView):
    """The events written for the company since a moment, delivered or not: what a receiver
    that was down catches up from."""

    service_code = errors.SERVICE_CALLBACK_LIST
    input = s.CallbackListIn

    @extend_schema(operation_id="bill_reminder_callback_list", summary="Callback events since a moment",
                   parameters=SIGNED_HEADERS, request=s.CallbackListIn, responses=snap_responses(s.CallbackListOut))
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def perform(self, credential, data):
        since, cursor, size = feed_position(data, since_field="occurredSince", filter_fields=("event",))
        page = selectors.callbacks_since(credential.company, since=since, cursor=cursor,
                                         event=data.get("event", ""), size=size)
        return feed_answer(page, "events", [{
            "externalId": callback.external_id,
            "event": callback.event,
            "occurredAt": callback.payload.get("occurredAt"),
            "data": callback.payload.get("data", {}),
            "deliveryStatus": callback.status.upper(),
            "attempts": callback.attempts,
        } for callback in page.rows])


class CallbackTestView(SnapView):
    """Sends a signed ``callback.test`` to the company's callback URL now and answers what came back."""

    service_code = errors.SERVICE_CALLBACK_TEST
    input = s.CallbackTestIn
    calls_out = True  # the POST to the biller's server holds no transaction open

    @extend_schema(operation_id="bill_reminder_callback_test", summary="Send a test callback",
                   parameters=SIGNED_HEADERS, request=s.CallbackTestIn, responses=snap_responses(s.CallbackTestOut))
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def perform(self, credential, data):
        try:
            outcome = callbacks.callback_test(company=credential.company,
                                              actor_label=f"Open API ({credential.client_key})")
        except InvalidInput as exc:  # no callback URL: nowhere to send a test to
            raise errors.feature_not_allowed("no callback URL is set") from exc
        return {
            "callbackUrl": outcome.url,
            "externalId": outcome.external_id,
            "delivered": outcome.delivered,
            "httpStatus": outcome.status_code,
            "error": outcome.error or None,
            "latencyMs": outcome.latency_ms,
        }
