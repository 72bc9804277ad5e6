"""Bank staff manage companies and their users here."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from billers.models import Company, User


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
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
        (_("Person"), {"fields": ["full_name", "email", "language"]}),
        (_("Company roles"), {"fields": ["is_admin", "is_maker", "is_approver", "is_viewer"]}),
        (_("Bank staff"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["company", "user_id", "full_name", "password1", "password2",
                                                 "is_admin", "is_maker", "is_approver", "is_viewer", "is_staff"]}),
    ]
