"""URL map: console, admin, Open API, sandbox, probes."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from kopra import health, metrics, views

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("language/", views.set_language, name="set_language"),
    path("help/", views.help_page, name="help"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api_docs"),
    path("", include("reminders.api.urls")),
    path("", include("reminders.urls")),
    path("", include("notifications.urls")),
    path("", include("billers.urls")),
    path("", include("quota.urls")),
    path("", include("kopra.console_urls")),
]
if settings.SANDBOX_ENABLED:
    # The stand-in bank: payer pages, payment pages and its API. Off in production.
    urlpatterns.append(path("", include("livin.urls")))

handler400 = "kopra.views.bad_request"
handler403 = "kopra.views.permission_denied"
handler404 = "kopra.views.page_not_found"
handler500 = "kopra.views.server_error"
