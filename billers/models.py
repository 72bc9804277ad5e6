"""Companies (the tenants) and the people who sign in for them."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
    created_at = models.DateTimeField(default=timezone.now, editable=False)

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
    date_joined = models.DateTimeField(default=timezone.now, editable=False)

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
