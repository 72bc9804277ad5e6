"""URL map: probes, admin, the Open API, the console of each app, and the sandbox when enabled."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from kopra import health, metrics

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", include("console.staff")),  # the staff's overview, behind the admin's guard
    path("admin/", admin.site.urls),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api_docs"),
    path("", include("snap.urls")),
    path("", include("reminders.api.urls")),
    path("", include("quota.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("settlement.api.urls")),
    path("", include("reminders.urls")),
    path("", include("notifications.urls")),
    path("", include("staffmail.urls")),
    path("", include("settlement.urls")),
    path("", include("billers.urls")),
    path("", include("quota.urls")),
    path("", include("console.urls")),
]
if settings.SANDBOX_ENABLED:
    # The stand-in bank: payer pages, payment pages and its API. Off in production.
    urlpatterns.append(path("", include("livin.urls")))

handler400 = "console.views.bad_request"
handler403 = "console.views.permission_denied"
handler404 = "console.views.page_not_found"
handler500 = "console.views.server_error"
