"""Bank staff sign in to the admin and manage companies and their users here."""

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import user_login_failed
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, BaseUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from billers import services
from billers.auth import address_blocked, address_blocked_message
from billers.models import Company, User
from core.admin import KeptAdmin, still_referenced
from core.models import AuditEvent


class StaffSignInForm(AdminAuthenticationForm):
    """User ID, password and the code of the staff member's authenticator app, in one step.

    A wrong code counts towards the same lockout, and is audited the same way, as a wrong
    password; a right one marks the session verified (django-otp keeps ``user.otp_device``).
    """

    code = forms.CharField(
        label=_("One-time code"), required=False, max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "pattern": "[0-9]{6}"}),
    )

    def clean(self):
        # An address refused for its failures across users is refused here as on the console.
        if address_blocked(self.request):
            raise forms.ValidationError(address_blocked_message(self.request), code="address_blocked")
        data = super().clean()  # the password, and a staff user; refused first, whatever the code
        user = self.get_user()
        if user is None:  # a field left empty: its own message says so
            return data
        code = (data.get("code") or "").strip()
        if not services.user_has_authenticator(user):
            raise forms.ValidationError(
                _("No authenticator app is set up for this user. Another bank administrator adds one under "
                  "Two-factor sign-in, Authenticator apps."), code="no_authenticator")
        if not (len(code) == 6 and code.isdigit()):
            # Counted as a failure too: a right password with no code would otherwise be a
            # free test of passwords.
            self._failed(data)
            self.add_error("code", _("Enter the 6 digits your authenticator app shows."))
            return data
        device = services.totp_verify(user=user, code=code)
        if device is None:
            if services.totp_code_reused(user=user, code=code):
                self.add_error("code", _("That code was already used. Wait for the next one."))
                return data
            self._failed(data)
            self.add_error("code", _("That code is not right, or was already used. Wait for the next one."))
            return data
        user.otp_device = device
        return data

    def _failed(self, data) -> None:
        user_login_failed.send(sender=__name__, credentials={"username": data.get("username")},
                               request=self.request)


# One step, where django-otp's own admin form asks to pick a device before it takes a code.
admin.site.login_form = StaffSignInForm
admin.site.login_template = "admin/staff_login.html"


@admin.register(Company)
class CompanyAdmin(KeptAdmin):
    list_display = ["company_id", "name", "status", "require_two_factor", "created_at"]
    list_filter = ["status"]
    search_fields = ["company_id", "name"]


class UserAddForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ["company", "user_id", "full_name"]


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class StaffSetPasswordForm(AdminPasswordChangeForm):
    """A password bank staff set for a company user (a helpdesk reset) is replaced at the next sign-in."""

    def save(self, commit=True):
        user = super().save(commit=False)
        if user.company_id is not None:
            user.password_change_required = True
        if commit:
            user.save()
        return user


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = UserAddForm
    form = UserEditForm
    list_display = ["user_id", "company", "full_name", "is_admin", "is_maker", "is_approver", "is_viewer",
                    "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_active", "company"]
    search_fields = ["user_id", "full_name", "email", "company__company_id"]
    ordering = ["company__company_id", "user_id"]
    list_select_related = ["company"]
    fieldsets = [
        (None, {"fields": ["company", "user_id", "password"]}),
        (_("Person"), {"fields": ["full_name", "email", "language", "password_change_required"]}),
        (_("Company roles"), {"fields": ["is_admin", "is_maker", "is_approver", "is_viewer"]}),
        (_("Bank staff"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["company", "user_id", "full_name", "password1", "password2",
                                                 "is_admin", "is_maker", "is_approver", "is_viewer", "is_staff"]}),
    ]

    def has_delete_permission(self, request, obj=None):
        # A user who ever signed in or acted is disabled instead: the audit log and their
        # bills, orders and ledger entries keep naming them. Never in bulk.
        if obj is None or not super().has_delete_permission(request, obj):
            return False
        return (obj.last_login is None and not AuditEvent.objects.filter(actor=obj).exists()
                and not still_referenced(obj))

    change_password_form = StaffSetPasswordForm

    def save_model(self, request, obj, form, change):
        if not change and obj.company_id is not None:
            # Bank staff chose this company user's first password: the user replaces it at sign-in.
            obj.password_change_required = True
        super().save_model(request, obj, form, change)


# --- Bank-side master data --------------------------------------------------------------

from billers.models import BillerCode, CollectionAccount, Registration, ServiceChangeRequest  # noqa: E402
from core.admin import ReadOnlyAdmin  # noqa: E402


@admin.register(CollectionAccount)
class CollectionAccountAdmin(admin.ModelAdmin):
    list_display = ["account_number", "company", "currency", "status", "created_at"]
    list_filter = ["status", "currency"]
    search_fields = ["account_number", "company__company_id", "company__name"]
    list_select_related = ["company"]
    autocomplete_fields = ["company"]

    def has_delete_permission(self, request, obj=None):
        # Only one no biller code is paid into yet, one at a time.
        return obj is not None and super().has_delete_permission(request, obj) and not still_referenced(obj)


@admin.register(BillerCode)
class BillerCodeAdmin(KeptAdmin):
    list_display = ["code", "name", "company", "collection_account", "payment_mechanism", "status", "registered"]
    list_filter = ["payment_mechanism", "status"]
    search_fields = ["code", "name", "company__company_id"]
    list_select_related = ["company", "collection_account", "registration"]
    autocomplete_fields = ["company", "collection_account"]

    @admin.display(boolean=True, description=_("registered"))
    def registered(self, obj):
        return hasattr(obj, "registration")

    def get_readonly_fields(self, request, obj=None):
        # A registered code keeps its number and owner: bills and quota hang on them.
        if obj is not None and hasattr(obj, "registration"):
            return ["code", "company"]
        return []

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change or not {"status", "payment_mechanism"} & set(form.changed_data):
            return
        # The registry is the truth: a code it no longer lets take bill reminders stops taking them.
        from billers.registrations import registry_change_applied

        cancelled = registry_change_applied(biller_code=obj, actor=request.user, request=request)
        if cancelled is not None:
            self.message_user(request, _(
                "Bill Reminder of %(code)s is stopped: the registry no longer lets it take bills; "
                "%(count)d active bills were cancelled and their quota released."
            ) % {"code": obj.code, "count": cancelled}, level="warning")


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdmin):
    list_display = ["biller_code", "company", "status", "registered_at", "registered_by", "stopped_at",
                    "low_quota_threshold"]
    list_filter = ["status"]
    search_fields = ["biller_code__code", "company__company_id"]
    list_select_related = ["biller_code", "company", "registered_by"]


@admin.register(ServiceChangeRequest)
class ServiceChangeRequestAdmin(ReadOnlyAdmin):
    list_display = ["registration", "company", "action", "status", "requested_by", "requested_at", "decided_by"]
    list_filter = ["action", "status"]
    list_select_related = ["registration__biller_code", "company", "requested_by", "decided_by"]
