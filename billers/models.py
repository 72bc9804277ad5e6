"""Companies (the tenants), the people who sign in for them, and their biller codes."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantModel

company_id_validator = RegexValidator(
    r"^[A-Z0-9]{3,20}$", _("Use 3 to 20 capital letters or digits, e.g. DEMO01.")
)
user_id_validator = RegexValidator(
    r"^[A-Za-z0-9._-]{3,64}$", _("Use 3 to 64 letters, digits, dots, dashes or underscores.")
)


class Company(models.Model):
    """A biller company: the tenant every company-owned row belongs to."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    company_id = models.CharField(
        _("Company ID"), max_length=20, unique=True, validators=[company_id_validator]
    )
    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.ACTIVE)
    require_two_factor = models.BooleanField(
        _("require a one-time code at login"), default=True
    )
    approval_for_upload = models.BooleanField(_("file uploads need an approver"), default=True)
    approval_for_api = models.BooleanField(_("API messages need an approver"), default=False)
    approval_for_topup = models.BooleanField(_("top-ups need an approver"), default=True)
    approval_for_stop = models.BooleanField(_("stop service needs an approver"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["company_id"]

    def __str__(self) -> str:
        return f"{self.company_id} · {self.name}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    MAKER = "maker", _("Maker")
    APPROVER = "approver", _("Approver")
    VIEWER = "viewer", _("Viewer")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, user_id):
        # Only bank staff log in by a bare User ID (Django admin, createsuperuser).
        return self.get(company__isnull=True, user_id=user_id)

    def create_user(self, user_id, password=None, *, company=None, **fields):
        user = self.model(user_id=user_id, company=company, **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, user_id, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(user_id, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A company user, known by (Company ID, User ID), or a bank staff member (no company)."""

    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.PROTECT, related_name="users",
        verbose_name=_("company"),
    )
    user_id = models.CharField(_("User ID"), max_length=64, validators=[user_id_validator])
    full_name = models.CharField(_("full name"), max_length=150)
    email = models.EmailField(_("email"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("bank staff"), default=False)
    is_admin = models.BooleanField(_("admin role"), default=False)
    is_maker = models.BooleanField(_("maker role"), default=False)
    is_approver = models.BooleanField(_("approver role"), default=False)
    is_viewer = models.BooleanField(_("viewer role"), default=False)
    language = models.CharField(_("language"), max_length=8, blank=True)
    # Set where an admin gave the password (a new user, a reset): the user chooses their own at
    # their next sign-in, before any other console page. Users who chose theirs (the demo's) have it off.
    password_change_required = models.BooleanField(_("must choose a new password"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "user_id"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["company_id", "user_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "user_id"], name="user_unique_per_company",
                condition=Q(company__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["user_id"], name="staff_user_unique", condition=Q(company__isnull=True),
            ),
            # Bank staff have no company; company users are never staff.
            models.CheckConstraint(
                condition=Q(company__isnull=True) | Q(is_staff=False, is_superuser=False),
                name="company_users_are_not_staff",
            ),
        ]

    def __str__(self) -> str:
        if self.company_id is None:
            return self.user_id
        return f"{self.company.company_id}/{self.user_id}"

    @property
    def roles(self) -> set[str]:
        flags = {
            Role.ADMIN: self.is_admin,
            Role.MAKER: self.is_maker,
            Role.APPROVER: self.is_approver,
            Role.VIEWER: self.is_viewer,
        }
        return {role for role, held in flags.items() if held}

    def has_role(self, *roles: str) -> bool:
        """True if the user holds any of ``roles``."""
        return bool(self.roles & set(roles))

    @property
    def needs_two_factor(self) -> bool:
        return self.company_id is None or self.company.require_two_factor


# --- Bank-side master data: collection accounts and the MBC biller-code registry ------

account_number_validator = RegexValidator(
    r"^\d{13}$", _("A Mandiri account number has 13 digits.")
)
biller_code_validator = RegexValidator(r"^\d{5}$", _("A biller code has 5 digits, e.g. 89123."))


class CollectionAccount(TenantModel):
    """A company's Mandiri Bill Collection account: where its billers' payments land."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    account_number = models.CharField(
        _("account number"), max_length=13, unique=True, validators=[account_number_validator]
    )
    currency = models.CharField(_("currency"), max_length=3, default="IDR")
    status = models.CharField(_("status"), max_length=8, choices=Status, default=Status.ACTIVE)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("collection account")
        verbose_name_plural = _("collection accounts")
        ordering = ["account_number"]

    def __str__(self) -> str:
        return f"{self.account_number} ({self.currency})"


class BillerCode(TenantModel):
    """One code of the MBC biller-code registry, kept by the bank.

    That the collection account belongs to the same company is checked in ``clean()``
    (admin) and by the registration service, which refuses a mismatch with the reason.
    """

    class PaymentMechanism(models.TextChoices):
        CLOSED = "closed", _("Closed (exact amount)")
        OPEN = "open", _("Open (any amount)")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")

    code = models.CharField(_("biller code"), max_length=5, unique=True, validators=[biller_code_validator])
    name = models.CharField(_("name"), max_length=120)
    collection_account = models.ForeignKey(
        CollectionAccount, on_delete=models.PROTECT, related_name="biller_codes",
        verbose_name=_("collection account"),
    )
    payment_mechanism = models.CharField(
        _("payment mechanism"), max_length=8, choices=PaymentMechanism, default=PaymentMechanism.CLOSED
    )
    status = models.CharField(_("status"), max_length=8, choices=Status, default=Status.ACTIVE)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("biller code")
        verbose_name_plural = _("biller codes (MBC registry)")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.company_id and self.collection_account_id and self.collection_account.company_id != self.company_id:
            raise ValidationError(
                {"collection_account": _("The collection account belongs to another company.")}
            )


class Registration(TenantModel):
    """A company's Bill Reminder registration of one of its biller codes."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        STOPPED = "stopped", _("Stopped")

    biller_code = models.OneToOneField(
        BillerCode, on_delete=models.PROTECT, related_name="registration", verbose_name=_("biller code")
    )
    status = models.CharField(_("service status"), max_length=8, choices=Status, default=Status.ACTIVE)
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    registered_by = models.ForeignKey(
        "billers.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("registered by"),
    )
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    low_quota_threshold = models.PositiveIntegerField(
        _("low-quota warning below"), default=100,
        help_text=_("The console warns when the available quota falls below this many pushes."),
    )

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["biller_code__code"]

    def __str__(self) -> str:
        return self.code

    @property
    def code(self) -> str:
        return self.biller_code.code

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class ServiceChangeRequest(TenantModel):
    """A maker's request to stop or resume the service of one registered code.

    Applied at once where the company needs no approver; otherwise it waits for an
    approver who is not the maker. At most one request per code waits at a time.
    """

    class Action(models.TextChoices):
        STOP = "stop", _("Stop service")
        RESUME = "resume", _("Resume service")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPLIED = "applied", _("Applied")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="change_requests", verbose_name=_("biller code")
    )
    action = models.CharField(_("action"), max_length=8, choices=Action)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    requested_by = models.ForeignKey(
        "billers.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_by = models.ForeignKey(
        "billers.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("stop/resume request")
        verbose_name_plural = _("stop/resume requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration"], condition=Q(status="pending"), name="one_pending_change_per_code",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.registration_id} ({self.status})"
