"""Open API: the settlement of one biller code's day (docs/api.md, "Settlement of a day")."""

import datetime as dt

from drf_spectacular.utils import extend_schema

from core import signing
from settlement import selectors
from settlement.api import serializers as s
from settlement.models import SettledPayment, Settlement
from snap import errors
from snap.feeds import DEFAULT_PAGE
from snap.pipeline import SIGNED_HEADERS, SnapView, registered_code, snap_responses


def _money(value) -> dict:
    return {"value": f"{value:.2f}", "currency": "IDR"}


class SettlementInquiryView(SnapView):
    service_code = errors.SERVICE_SETTLEMENT_INQUIRY
    input = s.SettlementInquiryIn

    @extend_schema(operation_id="bill_reminder_settlement_inquiry", summary="Settlement of a biller code's day",
                   parameters=SIGNED_HEADERS, request=s.SettlementInquiryIn,
                   responses=snap_responses(s.SettlementOut))
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def perform(self, credential, data):
        registration = registered_code(credential, data["billerCode"])
        try:
            day = dt.date.fromisoformat(data["settlementDate"])
        except ValueError:
            raise errors.invalid_field("settlementDate (YYYY-MM-DD)") from None
        after = 0
        if data.get("cursor"):
            if not data["cursor"].isdigit():
                raise errors.invalid_field("cursor (not a nextCursor this answer gave)")
            after = int(data["cursor"])
        size = data.get("pageSize", DEFAULT_PAGE)
        settlement = Settlement.objects.filter(registration=registration, day=day).first()
        if after and (settlement is None or not settlement.lines.filter(pk=after).exists()):
            raise errors.invalid_field("cursor (not a nextCursor this answer gave)")
        lines, more = [], False
        if settlement is not None:
            found = list(SettledPayment.objects.filter(settlement=settlement, pk__gt=after)
                         .select_related("bill").order_by("pk")[:size + 1])
            lines, more = found[:size], len(found) > size
        missing = (selectors.not_credited(settlement) if settlement is not None else None)
        return {
            "billerCode": registration.code,
            "settlementDate": day.isoformat(),
            "collectionAccount": settlement.account_number if settlement else None,
            "bankStatement": settlement.statement_reference if settlement else None,
            "closed": bool(settlement and settlement.final),
            "paymentCount": settlement.payments if settlement else 0,
            "totalAmount": _money(settlement.amount if settlement else 0),
            "notCreditedCount": missing.count() if missing is not None else 0,
            "payments": [{
                "referenceNo": line.bill.reference_no,
                "partnerReferenceNo": line.bill.partner_reference_no,
                "billKey": line.bill.bill_key,
                "paymentChannel": line.bill.payment_channel,
                "paymentReferenceNo": line.payment_reference,
                "amount": _money(line.amount),
                "paidAt": signing.format_timestamp(line.bill.paid_at),
                "creditedAt": signing.format_timestamp(line.credited_at),
            } for line in lines],
            "nextCursor": str(lines[-1].pk) if more else None,
        }
