from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Shared plumbing every app builds on; it imports no product app."""

    name = "core"
    verbose_name = _("Kopra platform")

    def ready(self):
        from core import checks  # noqa: F401  (the bank's gateways, checked at start)
