"""Delivery attempts to Livin' and signed callbacks to billers."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantModel


class DeliveryAttempt(TenantModel):
    """One call to Livin' for a bill: what, when, how long, and how late against the schedule."""

    class Operation(models.TextChoices):
        LOOKUP = "lookup", _("Directory check")
        PUSH = "push", _("Push")
        WITHDRAW = "withdraw", _("Withdraw")

    # No constraint in the database, as for a bill's timeline lines (reminders.BillEvent):
    # attempts are written by the delivery batch that holds their bills.
    bill = models.ForeignKey(
        "reminders.Bill", verbose_name=_("bill"), on_delete=models.PROTECT, related_name="attempts",
        db_constraint=False,
    )
    operation = models.CharField(_("operation"), max_length=10, choices=Operation)
    at = models.DateTimeField(_("at"), default=timezone.now)
    ok = models.BooleanField(_("ok"))
    error = models.CharField(_("error"), max_length=300, blank=True)
    latency_ms = models.PositiveIntegerField(_("latency ms"), help_text=_("How long the gateway call took."))
    lag_ms = models.BigIntegerField(_("lag ms"),
        null=True, blank=True, help_text=_("For a delivered push: how long after the bill's scheduled start.")
    )

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["company", "operation", "at"], name="attempt_company_op_at")]

    def __str__(self) -> str:
        return f"{self.operation} {self.bill_id} {'ok' if self.ok else self.error}"


class CallbackSetting(TenantModel):
    """Where a company wants bill events POSTed, and the secret that signs them."""

    url = models.URLField(_("callback URL"), max_length=300)
    secret_encrypted = models.TextField(_("secret encrypted"), editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("callback setting")
        verbose_name_plural = _("callback settings")
        constraints = [models.UniqueConstraint(fields=["company"], name="one_callback_setting_per_company")]

    def __str__(self) -> str:
        return self.url


class CallbackEvent(TenantModel):
    """One event to deliver to the biller, retried with backoff for 24 hours."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        GAVE_UP = "gave_up", _("Gave up after 24 hours")

    bill = models.ForeignKey("reminders.Bill", verbose_name=_("bill"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="callbacks")
    event = models.CharField(_("event"), max_length=32)
    payload = models.JSONField(_("payload"))
    external_id = models.CharField(_("external id"), max_length=36, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    give_up_at = models.DateTimeField(_("give up at"))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("callback event")
        verbose_name_plural = _("callback events")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="callback_due"),
            # The Open API's list of events since a moment walks this by keyset.
            models.Index(fields=["company", "created_at", "id"], name="callback_since"),
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk} ({self.status})"


class CallbackAttempt(models.Model):
    """One POST of a callback and what the biller's server answered."""

    callback = models.ForeignKey(
        CallbackEvent, verbose_name=_("callback"), on_delete=models.CASCADE, related_name="attempt_log",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    latency_ms = models.PositiveIntegerField(_("latency ms"), default=0)

    class Meta:
        verbose_name = _("callback attempt")
        verbose_name_plural = _("callback attempts")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.callback_id} @ {self.at}: {self.status_code or self.error}"
