"""Console pages that read across apps: the approval queue and the reports."""

from django.urls import path

from console import views as console_views

urlpatterns = [
    path("approvals/", console_views.approval_queue, name="approval_queue"),
    path("approvals/<str:kind>/<int:pk>/<str:decision>/", console_views.approval_decide, name="approval_decide"),
    path("reports/", console_views.report, name="report"),
    path("reports/export.csv", console_views.report_export, {"file_format": "csv"}, name="report_export_csv"),
    path("reports/export.xlsx", console_views.report_export, {"file_format": "xlsx"}, name="report_export_xlsx"),
]
