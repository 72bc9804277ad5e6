from django.urls import path

from reminders import upload_views, views

urlpatterns = [
    path("bills/", views.bill_list, name="bill_list"),
    path("bills/new/", views.bill_entry, name="bill_entry"),
    path("bills/export.csv", views.bill_export, {"file_format": "csv"}, name="bill_export_csv"),
    path("bills/export.xlsx", views.bill_export, {"file_format": "xlsx"}, name="bill_export_xlsx"),
    path("bills/cancel-selected/", views.bill_bulk_cancel, name="bill_bulk_cancel"),
    path("bills/<str:reference_no>/", views.bill_detail, name="bill_detail"),
    path("bills/<str:reference_no>/cancel/", views.bill_cancel, name="bill_cancel"),
    path("uploads/", upload_views.upload_list, name="upload_list"),
    path("uploads/new/", upload_views.upload_new, name="upload_new"),
    path("uploads/template.xlsx", upload_views.upload_template, {"file_format": "xlsx"}, name="upload_template_xlsx"),
    path("uploads/template.csv", upload_views.upload_template, {"file_format": "csv"}, name="upload_template_csv"),
    path("uploads/<int:pk>/", upload_views.upload_detail, name="upload_detail"),
    path("uploads/<int:pk>/progress/", upload_views.upload_progress, name="upload_progress"),
    path("uploads/<int:pk>/errors.csv", upload_views.upload_error_file, {"file_format": "csv"},
         name="upload_error_file_csv"),
    path("uploads/<int:pk>/errors.xlsx", upload_views.upload_error_file, {"file_format": "xlsx"},
         name="upload_error_file_xlsx"),
    path("uploads/<int:pk>/submit/", upload_views.upload_submit, name="upload_submit"),
    path("uploads/<int:pk>/discard/", upload_views.upload_discard, name="upload_discard"),
    path("uploads/<int:pk>/approve/", upload_views.upload_approve, name="upload_approve"),
    path("uploads/<int:pk>/reject/", upload_views.upload_reject, name="upload_reject"),
]
