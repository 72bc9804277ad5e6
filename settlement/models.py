"""The bank's settlement of bill payments: what reached each biller code's collection account, per day."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.money import rupiah
from core.tenancy import TenantModel


class Settlement(TenantModel):
    """One biller code's payments credited to its collection account on one day (WIB), as the
    bank's statement of that account says; ``final`` once the bank has closed the day."""

    registration = models.ForeignKey("billers.Registration", verbose_name=_("biller code"),
                                     on_delete=models.PROTECT, related_name="settlements")
    day = models.DateField(_("day"))
    account_number = models.CharField(_("collection account"), max_length=13)
    statement_reference = models.CharField(_("bank statement"), max_length=64)
    final = models.BooleanField(_("day closed at the bank"), default=False)
    payments = models.PositiveIntegerField(_("payments"), default=0)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2, default=0)
    synced_at = models.DateTimeField(_("read from the bank at"), default=timezone.now)

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        ordering = ["-day", "registration_id"]
        constraints = [models.UniqueConstraint(fields=["registration", "day"], name="settlement_once_a_day")]
        indexes = [models.Index(fields=["company", "-day"], name="settlement_company_day")]

    def __str__(self) -> str:
        return f"{self.registration_id} {self.day}: {self.payments} · {rupiah(self.amount)}"


class SettledPayment(TenantModel):
    """One bill's payment on a settlement: credited once, to one day."""

    settlement = models.ForeignKey(Settlement, verbose_name=_("settlement"), on_delete=models.PROTECT,
                                   related_name="lines")
    bill = models.OneToOneField("reminders.Bill", verbose_name=_("bill"), on_delete=models.PROTECT,
                                related_name="settled_payment")
    payment_reference = models.CharField(_("payment reference"), max_length=64, unique=True)
    amount = models.DecimalField(_("amount"), max_digits=15, decimal_places=2)
    credited_at = models.DateTimeField(_("credited at"))

    class Meta:
        verbose_name = _("settled payment")
        verbose_name_plural = _("settled payments")
        ordering = ["credited_at", "id"]

    def __str__(self) -> str:
        return f"{self.payment_reference} {rupiah(self.amount)}"
