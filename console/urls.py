"""Console pages that read across apps, and the project-wide pages (language, help)."""

from django.urls import path

from console import views

urlpatterns = [
    path("", views.home, name="home"),
    path("notices/seen/", views.notice_dismiss, name="notices_dismiss"),
    path("notices/<int:pk>/seen/", views.notice_dismiss, name="notice_dismiss"),
    path("language/", views.set_language, name="set_language"),
    path("help/", views.help_page, name="help"),
    path("help/guides/<slug:slug>/", views.guide, name="guide"),
    path("approvals/", views.approval_queue, name="approval_queue"),
    path("approvals/api-bills/<int:registration>/<str:day>/<str:decision>/", views.api_bills_decide,
         name="api_bills_decide"),
    path("approvals/<str:kind>/<int:pk>/<str:decision>/", views.approval_decide, name="approval_decide"),
    path("reports/", views.report, name="report"),
    path("reports/export.csv", views.report_export, {"file_format": "csv"}, name="report_export_csv"),
    path("reports/export.xlsx", views.report_export, {"file_format": "xlsx"}, name="report_export_xlsx"),
]
