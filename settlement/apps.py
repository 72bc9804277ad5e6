from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementConfig(AppConfig):
    name = "settlement"
    verbose_name = _("Settlement")

    def ready(self):
        from reminders import lifecycle
        from settlement import services

        # A bill just paid: its code's settlement of today is read from the bank once the
        # payment commits, so the bill's page shows the money in the collection account.
        lifecycle.on_bills_moved(services.sync_when_paid)
