"""The sandbox bank: a stand-in for the bank's systems the portal talks to.

Reached only through gateway interfaces (``quota.payments`` for top-up payments), so a
real integration replaces it without touching the other apps.
"""

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
        constraints = [models.CheckConstraint(condition=Q(balance__gte=0), name="core_balance_not_negative")]

    def __str__(self) -> str:
        return f"{self.account_number} · Rp {self.balance}"


class CoreDebit(models.Model):
    """One debit of a core account; its reference makes a retried debit a no-op."""

    account = models.ForeignKey(CoreAccount, on_delete=models.PROTECT, related_name="debits")
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    reference = models.CharField(max_length=64, unique=True)
    transaction_id = models.CharField(max_length=32, unique=True)
    description = models.CharField(max_length=200, blank=True)
    balance_after = models.DecimalField(max_digits=18, decimal_places=2)
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.transaction_id} -Rp {self.amount} ({self.reference})"


class VirtualAccountBill(models.Model):
    """A one-time closed virtual account: the exact amount, payable once, until it expires."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")

    va_number = models.CharField(_("virtual account number"), max_length=20, unique=True)
    name = models.CharField(_("pay to"), max_length=120)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    reference = models.CharField(max_length=64, unique=True, help_text=_("The portal's order reference."))
    expires_at = models.DateTimeField(_("pay before"))
    status = models.CharField(max_length=8, choices=Status, default=Status.OPEN)
    paid_at = models.DateTimeField(null=True, blank=True)
    payment_reference = models.CharField(max_length=32, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("sandbox virtual account")

    def __str__(self) -> str:
        return f"VA {self.va_number} · Rp {self.amount} ({self.status})"
