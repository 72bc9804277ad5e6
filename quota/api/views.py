"""Open API: the quota of a biller code (docs/api.md, "Quota of a biller code"). Thin: shape in, selector, shape out."""

from drf_spectacular.utils import extend_schema

from quota.api import serializers as s
from quota.selectors import quota_summary
from snap import errors
from snap.pipeline import SIGNED_HEADERS, SnapView, registered_code, snap_responses


class QuotaInquiryView(SnapView):
    service_code = errors.SERVICE_QUOTA_INQUIRY
    input = s.QuotaInquiryIn

    @extend_schema(operation_id="bill_reminder_quota_inquiry", summary="Quota of a biller code",
                   parameters=SIGNED_HEADERS, request=s.QuotaInquiryIn, responses=snap_responses(s.QuotaOut))
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def perform(self, credential, data):
        registration = registered_code(credential, data["billerCode"])
        figures = quota_summary(registration)
        return {"billerCode": registration.code, "balance": figures["balance"], "reserved": figures["reserved"],
                "available": figures["available"]}
