from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillersConfig(AppConfig):
    name = "billers"
    verbose_name = _("Companies and billers")

    def ready(self):
        from billers import signals  # noqa: F401  (audit of Django's and axes' login events)
