"""The bank staff's admin site: staff only, and only after a one-time code.

Its sign-in form (User ID, password and code in one step) is ``billers.admin.StaffSignInForm``,
set there as it checks the code through the billers services; the staff's overview is
``console.staff``, mounted under /admin/ by ``kopra.urls``.
"""

from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite


class KopraAdminSite(OTPAdminSite):
    site_header = _("Kopra Bill Reminder · bank administration")
    site_title = _("Kopra Bill Reminder admin")
    index_title = _("Bank administration")

    def has_permission(self, request):
        # Company users never enter the admin, whatever flags they hold.
        return super().has_permission(request) and request.user.company_id is None
