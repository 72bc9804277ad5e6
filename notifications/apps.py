from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from notifications import callbacks, services
        from reminders import lifecycle

        # After every move of a bill: its biller hears of it (an outbox row in the same
        # transaction), and an ended bill that was shown is withdrawn from Livin'.
        lifecycle.on_bills_moved(callbacks.bills_event)
        lifecycle.on_bills_moved(services.withdraw_when_ended)
        # After an upload's check: its biller hears the totals (upload.processed).
        lifecycle.on_upload_checked(callbacks.upload_event)
