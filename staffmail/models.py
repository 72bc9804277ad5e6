"""E-mail to biller staff: what they may receive, what each of them switched off, and the outbox."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantModel


class MailKind(models.TextChoices):
    APPROVAL_WAITING = "approval_waiting", _("A request waits for my approval")
    REQUEST_DECIDED = "request_decided", _("My request was approved or turned down")
    UPLOAD_CHECKED = "upload_checked", _("My upload has been checked")
    TOPUP_EXPIRING = "topup_expiring", _("My top-up's virtual account expires within 2 hours")
    QUOTA_LOW = "quota_low", _("A biller code's quota fell below its threshold")


class MailOptOut(models.Model):
    """A kind of e-mail one user does not want (every kind is on until switched off)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="mail_opt_outs")
    kind = models.CharField(_("kind"), max_length=20, choices=MailKind)

    class Meta:
        verbose_name = _("e-mail switched off")
        verbose_name_plural = _("e-mails switched off")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="mail_opt_out_once")]

    def __str__(self) -> str:
        return f"{self.user} · {self.kind}"


class StaffMail(TenantModel):
    """One e-mail to one user, written in the transaction of what it tells and sent by the worker.

    ``reference`` names what it is about (``upload:12:checked``): a user gets one e-mail per
    kind and reference, however often the event is sent.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT,
                             related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=MailKind)
    reference = models.CharField(_("reference"), max_length=120)
    to = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.CharField(_("error"), max_length=300, blank=True)
    # None once given up (after MAX_ATTEMPTS): the error stays for bank staff to read.
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True, default=timezone.now)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff e-mail")
        verbose_name_plural = _("staff e-mails")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "kind", "reference"], name="staff_mail_once")]
        indexes = [models.Index(fields=["next_attempt_at"], name="staff_mail_due", condition=models.Q(
            sent_at__isnull=True, next_attempt_at__isnull=False))]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to} ({self.reference})"
