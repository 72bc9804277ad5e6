"""Shapes of the Open API bodies (docs/api.md, "Endpoints"); the rules live in the services."""

from rest_framework import serializers

from reminders.models import BillStatus
from snap.feeds import FeedIn, FeedOut
from snap.shapes import Text


class Amount(serializers.Serializer):
    value = serializers.RegexField(r"^[0-9]{1,13}\.[0-9]{2}$", help_text="A string with two decimals.")
    currency = serializers.ChoiceField(choices=["IDR"])


class MessageCreateIn(serializers.Serializer):
    partnerReferenceNo = Text(max_length=64)  # noqa: N815 - SNAP names
    billerCode = Text(max_length=10)  # noqa: N815
    billKey = Text(max_length=20)  # noqa: N815
    payerPhoneNumber = Text(max_length=32)  # noqa: N815
    payerName = Text(max_length=100, required=False, allow_blank=True)  # noqa: N815
    totalAmount = Amount()  # noqa: N815
    billDescription = Text(max_length=140, required=False, allow_blank=True)  # noqa: N815
    startDate = Text(max_length=40)  # noqa: N815
    endDate = Text(max_length=40)  # noqa: N815
    additionalInfo = serializers.DictField(required=False)  # noqa: N815


BATCH_MAX = 1000


class MessageBatchCreateIn(serializers.Serializer):
    """The call's shape; each message is checked on its own (``MessageBatchCreateView``)."""

    messages = serializers.ListField(child=serializers.JSONField(), min_length=1, max_length=BATCH_MAX)


class MessageBatchCreateDoc(serializers.Serializer):
    """The call as the OpenAPI schema documents it."""

    messages = MessageCreateIn(many=True, help_text=f"1 to {BATCH_MAX:,} messages, each as a single create.")


class MessageBatchResult(serializers.Serializer):
    """One message's outcome: a single create's answer, or its refusal with the references it sent."""

    responseCode = serializers.CharField()  # noqa: N815
    responseMessage = serializers.CharField()  # noqa: N815
    referenceNo = serializers.CharField(required=False)  # noqa: N815
    partnerReferenceNo = serializers.CharField(required=False, allow_null=True)  # noqa: N815
    billerCode = serializers.CharField(required=False)  # noqa: N815
    billKey = serializers.CharField(required=False)  # noqa: N815
    payerPhoneNumber = serializers.CharField(required=False)  # noqa: N815
    status = serializers.CharField(required=False)
    startDate = serializers.CharField(required=False)  # noqa: N815
    endDate = serializers.CharField(required=False)  # noqa: N815


class MessageBatchOut(serializers.Serializer):
    responseCode = serializers.CharField()  # noqa: N815
    responseMessage = serializers.CharField()  # noqa: N815
    accepted = serializers.IntegerField(help_text="Messages created.")
    refused = serializers.IntegerField(help_text="Messages refused, each with its own responseCode.")
    results = MessageBatchResult(many=True, help_text="One per message, in the order sent.")


class MessageOut(serializers.Serializer):
    responseCode = serializers.CharField()  # noqa: N815
    responseMessage = serializers.CharField()  # noqa: N815
    referenceNo = serializers.CharField()  # noqa: N815
    partnerReferenceNo = serializers.CharField(allow_null=True)  # noqa: N815
    billerCode = serializers.CharField()  # noqa: N815
    billKey = serializers.CharField()  # noqa: N815
    payerPhoneNumber = serializers.CharField()  # noqa: N815
    status = serializers.CharField()
    startDate = serializers.CharField()  # noqa: N815
    endDate = serializers.CharField()  # noqa: N815


class MessageStatusOut(MessageOut):
    livinUser = serializers.BooleanField(allow_null=True)  # noqa: N815
    displayedAt = serializers.CharField(allow_null=True)  # noqa: N815
    paidAt = serializers.CharField(allow_null=True)  # noqa: N815
    paidAmount = Amount(allow_null=True)  # noqa: N815
    paymentChannel = serializers.ChoiceField(  # noqa: N815
        choices=["MBP", "MVA"], allow_null=True, help_text="How the payer paid: MBP or MVA; null until paid.")
    paymentReferenceNo = serializers.CharField(  # noqa: N815
        allow_null=True, help_text="The bank's reference of the payment (the payer's receipt); null until paid.")
    withdrawnAt = serializers.CharField(allow_null=True)  # noqa: N815


class MessageLookupIn(serializers.Serializer):
    partnerReferenceNo = Text(max_length=64, required=False)  # noqa: N815
    referenceNo = Text(max_length=24, required=False)  # noqa: N815

    def validate(self, attrs):
        if not attrs.get("partnerReferenceNo") and not attrs.get("referenceNo"):
            raise serializers.ValidationError({"partnerReferenceNo": serializers.ErrorDetail("required", "required")})
        return attrs


class MessageCancelIn(MessageLookupIn):
    reason = Text(max_length=200, required=False, allow_blank=True)


class MessageListIn(FeedIn):
    changedSince = Text(max_length=40, required=False,  # noqa: N815
                        help_text="ISO-8601 with an offset: bills changed at or after it. Required without a cursor.")
    billerCode = Text(max_length=10, required=False, help_text="Only this biller code's bills.")  # noqa: N815
    status = serializers.ChoiceField(choices=BillStatus.values, required=False, help_text="Only bills in this status.")


class MessageChanged(MessageStatusOut):
    responseCode = None  # noqa: N815
    responseMessage = None  # noqa: N815
    updatedAt = serializers.CharField(help_text="When the bill last changed.")  # noqa: N815


class MessageListOut(FeedOut):
    bills = MessageChanged(many=True, help_text="Oldest change first; a bill's present state.")
