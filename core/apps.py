from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Shared plumbing every app builds on; it imports no product app."""

    name = "core"
    verbose_name = _("Kopra platform")

    def ready(self):
        # The bank's gateways, checked at start; the field__any lookup.
        from core import checks, lookups  # noqa: F401
