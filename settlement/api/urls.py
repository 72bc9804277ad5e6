from django.urls import path

from settlement.api import views

urlpatterns = [
    path("snap/v1.0/bill-reminder/settlements/inquiry", views.SettlementInquiryView.as_view(),
         name="snap_settlement_inquiry"),
]
