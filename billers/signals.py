"""Audit lines for sign-in events raised by Django and django-axes (not by our services)."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.utils.translation import gettext_noop

from billers.auth import address_failure_noted, axes_username
from billers.models import Company
from core.audit import audit_record


def _company_of(credentials) -> Company | None:
    company_id = (credentials or {}).get("company_id", "")
    if not company_id:
        return None
    return Company.objects.filter(company_id=company_id.strip().upper()).first()


@receiver(user_login_failed, dispatch_uid="billers.audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    address_failure_noted(request)
    key = axes_username(request, credentials)
    audit_record(action="login.failed", actor=None, company=_company_of(credentials), request=request,
                 sentence=gettext_noop("Failed sign-in for %(login)s"), params={"login": key},
                 details={"login": key})


@receiver(user_locked_out, dispatch_uid="billers.audit_locked_out")
def audit_locked_out(sender, request, username, ip_address, **kwargs):
    company_id = username.split("/", 1)[0] if "/" in username else ""
    audit_record(action="login.locked_out", actor=None, company=_company_of({"company_id": company_id}),
                 request=request, sentence=gettext_noop("Sign-in for %(login)s locked for 15 minutes after 5 failures"),
                 params={"login": username}, details={"login": username})
