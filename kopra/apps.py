from django.contrib.admin import apps as admin_apps


class KopraAdminConfig(admin_apps.AdminConfig):
    """Django admin for bank staff, behind a one-time code."""

    default_site = "kopra.admin_site.KopraAdminSite"
