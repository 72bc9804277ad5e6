from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo company, its users and codes; installed with the sandbox bank it relies on."""

    name = "demo"
    verbose_name = _("Demo")
