"""Row-level tenancy: every console and API read of company data goes through here.

Views never filter by a company id taken from the request: they ask for
``company_queryset(request, Model)``, which is scoped to the signed-in user's company
and fails closed when there is none. Another company's row is then simply absent,
so it is answered exactly like a missing one (404).
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db import models
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_lazy as _

from core.observability import company_in_scope


class TenantScopeMissing(PermissionDenied):
    """Raised when tenant data is read without a company to scope it to."""


class TenantModel(models.Model):
    """Base of every company-owned row."""

    company = models.ForeignKey(
        "billers.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+",
    )

    class Meta:
        abstract = True


def request_company(request):
    """The company of the signed-in user or API credential; refuses when there is none."""
    company = getattr(request, "company", None)
    if company is None:
        raise TenantScopeMissing("No company in scope for this request.")
    return company


def company_queryset(request, model_or_queryset):
    """``model_or_queryset`` narrowed to the request's company."""
    queryset = (
        model_or_queryset._default_manager.all()
        if isinstance(model_or_queryset, type)
        else model_or_queryset
    )
    return queryset.filter(company=request_company(request))


def company_object_or_404(request, model_or_queryset, **lookup):
    """One row of the request's company; another company's row is a plain 404."""
    return get_object_or_404(company_queryset(request, model_or_queryset), **lookup)


def company_view(*roles: str, initial_password_ok: bool = False):
    """Console view guard: a signed-in, verified company user holding one of ``roles``.

    With no roles, any company user may enter. Sets ``request.company``. A user who must still
    replace the password an admin gave them is sent to change it first, except on the views that
    say ``initial_password_ok`` (the change itself).
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            # Imported here: billers.models subclasses TenantModel, and auth.views needs
            # the user model loaded.
            from django.contrib.auth.views import redirect_to_login

            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if user.needs_two_factor and not user.is_verified():
                return redirect_to_login(request.get_full_path())
            if user.company_id is None:
                raise PermissionDenied("Bank staff use the admin site.")
            if user.password_change_required and not initial_password_ok:
                return redirect("password_change")
            if roles and not user.has_role(*roles):
                raise PermissionDenied("Your role does not allow this.")
            request.company = user.company
            company_in_scope(user.company)  # log lines of this request name the company
            return view(request, *args, **kwargs)

        wrapped.company_roles = roles
        return wrapped

    return decorator
