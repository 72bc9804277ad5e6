"""Quota: tariffs per agreement, one quota account per registered code, its append-only
ledger, and paid top-up orders.

Ledger sign convention (``LedgerEntry.units``), so that both totals are plain sums:

===========  =======  ==========================================
kind         units    moves
===========  =======  ==========================================
grant        > 0      balance +units
topup        > 0      balance +units
adjust       != 0     balance +units (never below reserved)
reserve      > 0      reserved +units
release      < 0      reserved +units (i.e. down)
consume      < 0      balance +units and reserved +units (both down)
===========  =======  ==========================================

balance  = sum(units) over grant, topup, adjust, consume
reserved = sum(units) over reserve, release, consume
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.money import rupiah
from core.tenancy import TenantModel

IDR = {"max_digits": 16, "decimal_places": 2}


class Agreement(TenantModel):
    """The tariff agreed with a company, optionally for one of its codes, over a period.

    The agreement in force when an order is made sets its price; a code-specific one
    wins over the company-wide one.
    """

    biller_code = models.ForeignKey(
        "billers.BillerCode", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("biller code"), help_text=_("Empty: every code of the company."),
    )
    unit_price = models.DecimalField(_("price per push (IDR)"), max_digits=12, decimal_places=2)
    initial_quota = models.PositiveIntegerField(_("initial quota"), default=0)
    minimum_topup = models.PositiveIntegerField(_("minimum top-up (pushes)"), default=1)
    tax_rate = models.DecimalField(
        _("tax rate"), max_digits=5, decimal_places=4, default=Decimal("0.11"),
        help_text=_("0.11 means 11% VAT."),
    )
    effective_from = models.DateTimeField(_("effective from"), default=timezone.now)
    effective_to = models.DateTimeField(_("effective until"), null=True, blank=True,
                                        help_text=_("Empty: until further notice."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("agreement (tariff)")
        verbose_name_plural = _("agreements (tariffs)")
        ordering = ["company", "-effective_from"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="agreement_price_not_negative"),
            models.CheckConstraint(condition=Q(tax_rate__gte=0, tax_rate__lt=1), name="agreement_tax_rate_range"),
            models.CheckConstraint(condition=Q(minimum_topup__gte=1), name="agreement_minimum_topup_positive"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gt=F("effective_from")),
                name="agreement_ends_after_start",
            ),
        ]

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.biller_code_id and self.company_id and self.biller_code.company_id != self.company_id:
            raise ValidationError({"biller_code": _("This biller code belongs to another company.")})

    def __str__(self) -> str:
        scope = self.biller_code.code if self.biller_code_id else _("all codes")
        price = rupiah(self.unit_price)
        return f"{self.company.company_id} · {scope} · {price}/push from {self.effective_from:%Y-%m-%d}"


class Package(models.Model):
    """A bundle of pushes at a set price (before tax) under an agreement."""

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="packages",
    )
    name = models.CharField(_("name"), max_length=80)
    units = models.PositiveIntegerField(_("pushes"))
    price = models.DecimalField(_("price before tax (IDR)"), **IDR)

    class Meta:
        verbose_name = _("package")
        verbose_name_plural = _("packages")
        ordering = ["units"]
        constraints = [
            models.CheckConstraint(condition=Q(units__gt=0), name="package_units_positive"),
            models.CheckConstraint(condition=Q(price__gte=0), name="package_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.units} pushes, {rupiah(self.price)})"


class QuotaAccount(TenantModel):
    """The push quota of one registered code. Moved only by ``quota.services``."""

    registration = models.OneToOneField(
        "billers.Registration", on_delete=models.PROTECT, related_name="quota_account",
        verbose_name=_("biller code"),
    )
    balance = models.BigIntegerField(_("balance"), default=0)
    reserved = models.BigIntegerField(_("reserved"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Set when the biller is told (quota.low) that the available quota fell below the code's
    # threshold, cleared once it is back at or above it: told once per crossing.
    low_said_at = models.DateTimeField(_("low quota said at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("quota account")
        verbose_name_plural = _("quota accounts")
        constraints = [
            # The database refuses a negative available quota, whatever the code does.
            models.CheckConstraint(condition=Q(balance__gte=0), name="quota_balance_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="quota_reserved_not_negative"),
            models.CheckConstraint(condition=Q(reserved__lte=F("balance")), name="quota_reserved_within_balance"),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id}: {self.available} available"

    @property
    def available(self) -> int:
        return self.balance - self.reserved


class LedgerEntry(TenantModel):
    """One quota movement. Append-only: the database refuses UPDATE and DELETE."""

    class Kind(models.TextChoices):
        GRANT = "grant", _("Grant")
        TOPUP = "topup", _("Top-up")
        RESERVE = "reserve", _("Reserve")
        CONSUME = "consume", _("Consume")
        RELEASE = "release", _("Release")
        ADJUST = "adjust", _("Adjustment")

    # No index of its own: the account leads both ledger_event_once and ledger_account_recent,
    # which serve every look-up by account, and each push writes an entry.
    account = models.ForeignKey(
        QuotaAccount, verbose_name=_("account"), on_delete=models.PROTECT, related_name="entries", db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind)
    units = models.BigIntegerField(_("units"))
    balance_after = models.BigIntegerField(_("balance after"))
    reserved_after = models.BigIntegerField(_("reserved after"))
    reference = models.CharField(_("reference"), max_length=120)
    reason = models.TextField(_("reason"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"),
        null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One event is never booked twice.
            models.UniqueConstraint(fields=["account", "kind", "reference"], name="ledger_event_once"),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["grant", "topup", "reserve"], units__gt=0)
                    | Q(kind__in=["consume", "release"], units__lt=0)
                    | (Q(kind="adjust") & ~Q(units=0))
                ),
                name="ledger_units_sign_per_kind",
            ),
            models.CheckConstraint(
                condition=Q(reserved_after__gte=0, balance_after__gte=F("reserved_after")),
                name="ledger_after_consistent",
            ),
        ]
        indexes = [models.Index(fields=["account", "-created_at"], name="ledger_account_recent")]

    def __str__(self) -> str:
        return f"{self.kind} {self.units:+d} ({self.reference})"


class TopUpOrder(TenantModel):
    """A company's order of more pushes for one code, and its payment."""

    class Method(models.TextChoices):
        DEBIT = "debit", _("Debit my account")
        VA = "va", _("Virtual account transfer")

    class Status(models.TextChoices):
        PENDING_APPROVAL = "pending_approval", _("Waiting for approval")
        AWAITING_PAYMENT = "awaiting_payment", _("Waiting for payment")
        PAID = "paid", _("Paid")
        EXPIRED = "expired", _("Expired")
        REFUSED = "refused", _("Refused")
        CANCELLED = "cancelled", _("Cancelled")

    registration = models.ForeignKey(
        "billers.Registration", on_delete=models.PROTECT, related_name="topup_orders",
        verbose_name=_("biller code"),
    )
    agreement = models.ForeignKey(Agreement, verbose_name=_("agreement"), on_delete=models.PROTECT, related_name="+")
    package = models.ForeignKey(
        Package, verbose_name=_("package"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
    )
    units = models.PositiveIntegerField(_("pushes"))
    unit_price = models.DecimalField(_("price per push"), max_digits=12, decimal_places=2)
    subtotal = models.DecimalField(_("subtotal"), **IDR)
    tax_rate = models.DecimalField(_("tax rate"), max_digits=5, decimal_places=4)
    tax = models.DecimalField(_("tax"), **IDR)
    total = models.DecimalField(_("total"), **IDR)
    method = models.CharField(_("payment method"), max_length=8, choices=Method)
    debit_account = models.CharField(_("account to debit"), max_length=13, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.PENDING_APPROVAL)
    va_number = models.CharField(_("virtual account number"), max_length=20, unique=True, null=True, blank=True)
    expires_at = models.DateTimeField(_("pay before"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    paid_amount = models.DecimalField(_("amount paid"), null=True, blank=True, **IDR)
    payment_reference = models.CharField(_("payment reference"), max_length=64, unique=True, null=True, blank=True)
    refusal_reason = models.CharField(_("why refused"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("top-up order")
        verbose_name_plural = _("top-up orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(units__gt=0), name="topup_units_positive"),
            models.CheckConstraint(condition=Q(total=F("subtotal") + F("tax")),
                                   name="topup_total_is_subtotal_plus_tax"),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(paid_at__isnull=False, payment_reference__isnull=False),
                name="topup_paid_has_payment",
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="topup_due_to_expire")]

    def __str__(self) -> str:
        return f"Top-up #{self.pk} · {self.units} pushes · {rupiah(self.total)} ({self.status})"

    @property
    def reference(self) -> str:
        """The ledger reference of this order's credit."""
        return f"topup:{self.pk}"
