from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffmailConfig(AppConfig):
    name = "staffmail"
    verbose_name = _("Staff e-mail")

    def ready(self):
        from staffmail import receivers

        receivers.connect()
