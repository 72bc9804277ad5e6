from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    """Console pages that read across apps: dashboard, approval queue, reports, help."""

    name = "console"
    verbose_name = _("Console")

    def ready(self):
        from console import notices

        notices.connect()
