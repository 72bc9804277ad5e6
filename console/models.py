"""What the console keeps for its own pages: the notices that tell a maker their request was decided."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantModel


class DecisionNotice(TenantModel):
    """Tells a maker that one of their requests was approved or turned down, on their dashboard until
    they dismiss it. Written in the transaction of the decision (``core.events.request_decided``), so
    every kind of decision is told, and kept whatever becomes of the request afterwards."""

    class What(models.TextChoices):
        UPLOAD = "upload", _("Upload")
        TOPUP = "topup", _("Top-up")
        SERVICE_STOP = "service_stop", _("Stop service")
        SERVICE_RESUME = "service_resume", _("Resume service")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="+")
    what = models.CharField(_("request"), max_length=16, choices=What)
    number = models.PositiveBigIntegerField(_("number"))  # the request's id
    code = models.CharField(_("biller code"), max_length=5)
    name = models.CharField(_("file name"), max_length=255, blank=True)  # an upload's file
    approved = models.BooleanField(_("approved"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)
    seen_at = models.DateTimeField(_("dismissed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("decision notice")
        verbose_name_plural = _("decision notices")
        ordering = ["-decided_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "what", "number"], name="decision_notice_once")]
        indexes = [models.Index(fields=["user", "-decided_at"], name="decision_notice_unseen",
                                condition=Q(seen_at__isnull=True))]

    def __str__(self) -> str:
        return f"{self.what} #{self.number} → {self.user_id} ({'approved' if self.approved else 'turned down'})"

    @property
    def title(self) -> str:
        """The request in a few words, in the reader's language."""
        words = {
            self.What.UPLOAD: gettext("upload #%(number)s of %(code)s (%(name)s)"),
            self.What.TOPUP: gettext("top-up #%(number)s for biller code %(code)s"),
            self.What.SERVICE_STOP: gettext("stop the service of biller code %(code)s"),
            self.What.SERVICE_RESUME: gettext("resume the service of biller code %(code)s"),
        }
        return words[self.what] % {"number": self.number, "code": self.code, "name": self.name}

    @property
    def link(self) -> str:
        """The request's page: an upload's or a top-up's own, the biller codes for a stop or resume."""
        if self.what == self.What.UPLOAD:
            return reverse("upload_detail", args=[self.number])
        if self.what == self.What.TOPUP:
            return reverse("topup_detail", args=[self.number])
        return reverse("biller_codes")
