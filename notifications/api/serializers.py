"""Shapes of the Open API's callback endpoints (docs/api.md, "Callbacks to your system")."""

from rest_framework import serializers

from snap.feeds import FeedIn, FeedOut
from snap.shapes import Text


class CallbackListIn(FeedIn):
    occurredSince = Text(max_length=40, required=False,  # noqa: N815
                         help_text="ISO-8601 with an offset: events that occurred at or after it. "
                                   "Required without a cursor.")
    event = Text(max_length=32, required=False, help_text="Only this kind of event, e.g. bill.paid.")


class CallbackListed(serializers.Serializer):
    externalId = serializers.CharField(help_text="The X-EXTERNAL-ID the event is sent with.")  # noqa: N815
    event = serializers.CharField()
    occurredAt = serializers.CharField()  # noqa: N815
    data = serializers.DictField(help_text="As the callback's own body has it.")
    deliveryStatus = serializers.ChoiceField(  # noqa: N815
        choices=["PENDING", "DELIVERED", "GAVE_UP"], help_text="Where its delivery to your URL stands.")
    attempts = serializers.IntegerField(help_text="POSTs made so far.")


class CallbackListOut(FeedOut):
    events = CallbackListed(many=True, help_text="Oldest first.")


class CallbackTestIn(serializers.Serializer):
    pass


class CallbackTestOut(serializers.Serializer):
    responseCode = serializers.CharField()  # noqa: N815
    responseMessage = serializers.CharField()  # noqa: N815
    callbackUrl = serializers.CharField()  # noqa: N815
    externalId = serializers.CharField(help_text="The X-EXTERNAL-ID the test was sent with.")  # noqa: N815
    delivered = serializers.BooleanField(help_text="True when your server answered 2xx.")
    httpStatus = serializers.IntegerField(allow_null=True, help_text="Its HTTP status; null if none came.")  # noqa: N815
    error = serializers.CharField(allow_null=True, help_text="Why it was not delivered, or null.")
    latencyMs = serializers.IntegerField()  # noqa: N815
