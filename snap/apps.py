from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SnapConfig(AppConfig):
    """The Open API: signed SNAP pipeline, credentials and tokens, idempotency, rate limits."""

    name = "snap"
    verbose_name = _("Open API")
