from axes.apps import AppConfig as AxesConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.apps import DefaultConfig as OTPTOTPConfig


class KopraAdminConfig(admin_apps.AdminConfig):
    """Django admin for bank staff, behind a one-time code."""

    default_site = "kopra.admin_site.KopraAdminSite"


class TwoFactorConfig(OTPTOTPConfig):
    """django-otp's TOTP devices, named as bank staff know them."""

    verbose_name = _("Two-factor sign-in")

    def ready(self):
        super().ready()
        from django_otp.plugins.otp_totp.models import TOTPDevice

        # django-otp names the model in plain English, untranslated.
        TOTPDevice._meta.verbose_name = _("authenticator app")
        TOTPDevice._meta.verbose_name_plural = _("authenticator apps")


class SignInLockoutConfig(AxesConfig):
    """django-axes: failed sign-ins and the lockouts they caused."""

    verbose_name = _("Sign-in lockouts")
