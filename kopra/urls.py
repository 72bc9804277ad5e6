"""URL map: console, admin, Open API, sandbox, probes."""

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from kopra import health, views

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("language/", views.set_language, name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("", include("billers.urls")),
    path("", include("quota.urls")),
    path("", include("livin.urls")),
]

handler400 = "kopra.views.bad_request"
handler403 = "kopra.views.permission_denied"
handler404 = "kopra.views.page_not_found"
handler500 = "kopra.views.server_error"
