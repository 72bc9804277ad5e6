"""Open API shapes of the quota operations."""

from rest_framework import serializers

from snap.shapes import Text


class QuotaInquiryIn(serializers.Serializer):
    billerCode = Text(max_length=10)  # noqa: N815


class QuotaOut(serializers.Serializer):
    responseCode = serializers.CharField()  # noqa: N815
    responseMessage = serializers.CharField()  # noqa: N815
    billerCode = serializers.CharField()  # noqa: N815
    balance = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField()
