from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LivinConfig(AppConfig):
    name = "livin"
    verbose_name = _("Livin' sandbox")
