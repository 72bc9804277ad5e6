"""Shapes of the Open API's settlement endpoint (docs/api.md, "Settlement of a day")."""

from rest_framework import serializers

from snap.feeds import LIST_MAX
from snap.shapes import Text


class SettlementInquiryIn(serializers.Serializer):
    billerCode = Text(max_length=10)  # noqa: N815
    settlementDate = Text(max_length=10, help_text="The day, in WIB: YYYY-MM-DD.")  # noqa: N815
    pageSize = serializers.IntegerField(  # noqa: N815
        min_value=1, max_value=LIST_MAX, required=False,
        help_text=f"Payments a page: 1 to {LIST_MAX:,}; 100 if not sent.")
    cursor = Text(max_length=40, required=False, help_text="The nextCursor of the page before.")


class SettledPaymentOut(serializers.Serializer):
    referenceNo = serializers.CharField()  # noqa: N815
    partnerReferenceNo = serializers.CharField(allow_null=True)  # noqa: N815
    billKey = serializers.CharField()  # noqa: N815
    paymentChannel = serializers.CharField()  # noqa: N815
    paymentReferenceNo = serializers.CharField()  # noqa: N815
    amount = serializers.DictField()
    paidAt = serializers.CharField()  # noqa: N815
    creditedAt = serializers.CharField()  # noqa: N815


class SettlementOut(serializers.Serializer):
    responseCode = serializers.CharField()  # noqa: N815
    responseMessage = serializers.CharField()  # noqa: N815
    billerCode = serializers.CharField()  # noqa: N815
    settlementDate = serializers.CharField()  # noqa: N815
    collectionAccount = serializers.CharField(allow_null=True)  # noqa: N815
    bankStatement = serializers.CharField(allow_null=True)  # noqa: N815
    closed = serializers.BooleanField(help_text="True once the bank has closed the day: nothing more comes.")
    paymentCount = serializers.IntegerField()  # noqa: N815
    totalAmount = serializers.DictField()  # noqa: N815
    notCreditedCount = serializers.IntegerField(help_text="Bills paid that day that no statement lists yet.")  # noqa: N815
    payments = SettledPaymentOut(many=True)
    nextCursor = serializers.CharField(allow_null=True)  # noqa: N815
