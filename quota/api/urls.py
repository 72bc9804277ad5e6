from django.urls import path

from quota.api import views

urlpatterns = [
    path("snap/v1.0/bill-reminder/quota/inquiry", views.QuotaInquiryView.as_view(), name="snap_quota_inquiry"),
]
