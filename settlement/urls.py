from django.urls import path

from settlement import views

urlpatterns = [
    path("settlements/", views.settlement_list, name="settlement_list"),
    path("settlements/<int:pk>/", views.settlement_detail, name="settlement_detail"),
    path("settlements/<int:pk>/export.csv", views.settlement_export, {"file_format": "csv"},
         name="settlement_export_csv"),
    path("settlements/<int:pk>/export.xlsx", views.settlement_export, {"file_format": "xlsx"},
         name="settlement_export_xlsx"),
]
