from django.urls import path

from quota import views

urlpatterns = [
    path("quota/", views.quota_overview, name="quota_overview"),
    path("quota/<int:pk>/", views.quota_detail, name="quota_detail"),
    path("quota/<int:pk>/movements/", views.quota_movements, name="quota_movements"),
    path("quota/<int:pk>/threshold/", views.quota_threshold, name="quota_threshold"),
    path("quota/<int:pk>/top-up/", views.topup_new, name="topup_new"),
    path("quota/top-ups/", views.topup_list, name="topup_list"),
    path("quota/top-ups/<int:pk>/", views.topup_detail, name="topup_detail"),
    path("quota/top-ups/<int:pk>/approve/", views.topup_approve, name="topup_approve"),
    path("quota/top-ups/<int:pk>/refuse/", views.topup_refuse, name="topup_refuse"),
    path("quota/top-ups/<int:pk>/cancel/", views.topup_cancel, name="topup_cancel"),
    path("quota/top-ups/<int:pk>/debit/", views.topup_collect_debit, name="topup_collect_debit"),
    path("quota/top-ups/<int:pk>/receipt/", views.topup_receipt, name="topup_receipt"),
]
