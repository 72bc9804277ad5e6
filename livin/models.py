"""The sandbox bank: a stand-in for the bank's systems the portal talks to.

Reached only through gateway interfaces (``quota.payments`` for top-up payments), so a
real integration replaces it without touching the other apps.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CoreAccount(models.Model):
    """A core-banking account that can be debited at once, or refuse for lack of funds."""

    account_number = models.CharField(_("account number"), max_length=13, unique=True)
    holder_name = models.CharField(_("holder"), max_length=120, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="IDR")
    balance = models.DecimalField(_("balance"), max_digits=18, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("sandbox core account")
        verbose_name_plural = _("sandbox core accounts")
        constraints = [models.CheckConstraint(condition=Q(balance__gte=0), name="core_balance_not_negative")]

    def __str__(self) -> str:
        return f"{self.account_number} · Rp {self.balance}"


class CoreDebit(models.Model):
    """One debit of a core account; its reference makes a retried debit a no-op."""

    account = models.ForeignKey(CoreAccount, verbose_name=_("account"), on_delete=models.PROTECT, related_name="debits")
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    reference = models.CharField(_("reference"), max_length=64, unique=True)
    transaction_id = models.CharField(_("transaction id"), max_length=32, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    balance_after = models.DecimalField(_("balance after"), max_digits=18, decimal_places=2)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("sandbox core debit")
        verbose_name_plural = _("sandbox core debits")

    def __str__(self) -> str:
        return f"{self.transaction_id} -Rp {self.amount} ({self.reference})"


class CoreCredit(models.Model):
    """A bill payment credited to a biller's collection account: what the day's statement lists."""

    account_number = models.CharField(_("account number"), max_length=13)
    payment_reference = models.CharField(_("payment reference"), max_length=64, unique=True)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    description = models.CharField(_("description"), max_length=200, blank=True)
    credited_at = models.DateTimeField(_("credited at"), default=timezone.now)

    class Meta:
        verbose_name = _("sandbox collection credit")
        verbose_name_plural = _("sandbox collection credits")
        indexes = [models.Index(fields=["account_number", "credited_at"], name="sandbox_credit_statement")]

    def __str__(self) -> str:
        return f"{self.account_number} +Rp {self.amount} ({self.payment_reference})"


class VirtualAccountBill(models.Model):
    """A one-time closed virtual account: the exact amount, payable once, until it expires."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")

    va_number = models.CharField(_("virtual account number"), max_length=20, unique=True)
    name = models.CharField(_("pay to"), max_length=120)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    reference = models.CharField(
        _("reference"), max_length=64, unique=True, help_text=_("The portal's order reference."),
    )
    expires_at = models.DateTimeField(_("pay before"))
    status = models.CharField(_("status"), max_length=8, choices=Status, default=Status.OPEN)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=32, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("sandbox virtual account")
        verbose_name_plural = _("sandbox virtual accounts")

    def __str__(self) -> str:
        return f"VA {self.va_number} · Rp {self.amount} ({self.status})"


# --- The Livin' app: who has it, what it was pushed, what it shows ---------------------


class LivinUser(models.Model):
    """A phone number with the Livin' app (the bank's directory), and the language its app is set to."""

    phone = models.CharField(_("phone (E.164)"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    # Livin' speaks Bahasa Indonesia unless the payer switched the app to English.
    language = models.CharField(_("app language"), max_length=8, choices=settings.LANGUAGES, default="id")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("sandbox Livin' user")
        verbose_name_plural = _("sandbox Livin' users")
        ordering = ["phone"]

    def __str__(self) -> str:
        return f"{self.phone} {self.name}".strip()


class DisplayedBill(models.Model):
    """A bill pushed to Livin': shown to its phone from start to end unless withdrawn or paid."""

    class Channel(models.TextChoices):
        MBP = "MBP", _("Mandiri Bill Payment")
        MVA = "MVA", _("Mandiri Virtual Account")

    reference = models.CharField(_("reference"), max_length=24, help_text=_("The portal's reference no."))
    phone = models.CharField(_("phone"), max_length=16)
    biller_code = models.CharField(_("biller code"), max_length=10)
    biller_name = models.CharField(_("biller name"), max_length=120, blank=True)
    bill_key = models.CharField(_("bill key"), max_length=20)
    payer_name = models.CharField(_("payer name"), max_length=100, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=15, decimal_places=2)
    description = models.CharField(_("description"), max_length=140, blank=True)
    start_at = models.DateTimeField(_("start at"))
    end_at = models.DateTimeField(_("end at"))
    pushed_at = models.DateTimeField(_("pushed at"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    paid_amount = models.DecimalField(_("paid amount"), max_digits=15, decimal_places=2, null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=3, choices=Channel, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=32, null=True, blank=True)  # noqa: DJ001 NULL until paid: the unique constraint ignores NULLs

    class Meta:
        verbose_name = _("sandbox displayed bill")
        verbose_name_plural = _("sandbox displayed bills")
        ordering = ["-pushed_at"]
        # Declared here rather than with unique=/db_index= on the fields: those add a second
        # index for LIKE searches on PostgreSQL, which nothing makes, to every push.
        constraints = [
            models.UniqueConstraint(fields=["reference"], name="sandbox_displayed_reference"),
            models.UniqueConstraint(fields=["payment_reference"], name="sandbox_payment_reference"),
        ]
        indexes = [models.Index(fields=["phone"], name="sandbox_displayed_phone")]

    def __str__(self) -> str:
        return f"{self.reference} → {self.phone}"

    def shown_at(self, moment) -> bool:
        """Shown in the app at ``moment``: inside its window, not withdrawn, not paid."""
        return self.start_at <= moment < self.end_at and self.withdrawn_at is None and self.paid_at is None


class Notification(models.Model):
    """A push notification in a phone's inbox."""

    phone = models.CharField(_("phone"), max_length=16)
    reference = models.CharField(_("reference"), max_length=24, help_text=_("One push per bill reference."))
    title = models.CharField(_("title"), max_length=120)
    body = models.CharField(_("body"), max_length=300)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("sandbox push notification")
        verbose_name_plural = _("sandbox push notifications")
        ordering = ["-at"]
        # As DisplayedBill's: no LIKE index beside each.
        constraints = [models.UniqueConstraint(fields=["reference"], name="sandbox_notification_reference")]
        indexes = [models.Index(fields=["phone"], name="sandbox_notification_phone")]

    def __str__(self) -> str:
        return f"{self.phone}: {self.title}"


class Fault(models.Model):
    """Fault injection for one sandbox operation: errors, latency, or a full outage."""

    class Operation(models.TextChoices):
        LOOKUP = "lookup", _("Directory lookup")
        PUSH = "push", _("Push and display")
        WITHDRAW = "withdraw", _("Withdraw")

    operation = models.CharField(_("operation"), max_length=10, choices=Operation, unique=True)
    error_rate = models.FloatField(
        _("error rate"), default=0, help_text=_("0 to 1: the share of calls that fail with 503."),
    )
    latency_ms = models.PositiveIntegerField(_("latency ms"),
        default=0, help_text=_("Added to every call; for push, to every bill of the batch."))
    outage = models.BooleanField(_("outage"), default=False, help_text=_("Every call fails with 503."))

    class Meta:
        verbose_name = _("sandbox fault")
        verbose_name_plural = _("sandbox faults")
        constraints = [
            models.CheckConstraint(condition=Q(error_rate__gte=0) & Q(error_rate__lte=1), name="fault_rate_0_1"),
        ]

    def __str__(self) -> str:
        return (f"{self.operation}: errors {self.error_rate:.0%}, +{self.latency_ms} ms"
                f"{', OUTAGE' if self.outage else ''}")
