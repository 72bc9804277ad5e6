from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class KopraConfig(AppConfig):
    name = "kopra"
    verbose_name = _("Kopra platform")
    default = True


class KopraAdminConfig(admin_apps.AdminConfig):
    """Django admin for bank staff, behind a one-time code."""

    default = False
    default_site = "kopra.admin_site.KopraAdminSite"
