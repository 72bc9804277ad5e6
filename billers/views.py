"""Console pages of the billers app: sign-in, home, company users, settings, audit log."""

import base64
import time
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash, user_login_failed
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from billers import selectors, services
from billers.auth import address_blocked, address_blocked_response
from billers.forms import (
    AuditFilterForm,
    CompanySettingsForm,
    LoginForm,
    OneTimeCodeForm,
    OwnPasswordForm,
    PasswordResetForm,
    UserCreateForm,
    UserEditForm,
)
from billers.models import Role, User
from core.audit import audit_record, audit_text
from core.downloads import csv_response
from core.errors import DomainError
from core.tenancy import company_object_or_404, company_queryset, company_view

PENDING_KEY = "kopra_pending_login"
PENDING_SECONDS = 5 * 60
BACKEND = "billers.auth.CompanyUserBackend"


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("home")


def _finish_login(request, user: User, device=None):
    request.session.pop(PENDING_KEY, None)
    login(request, user, backend=BACKEND)  # rotates the session key
    if device is not None:
        otp_login(request, device)
    audit_record(action="login.succeeded", actor=user, request=request, obj=user,
                 sentence=gettext_noop("%(actor)s signed in"), params={"actor": user})
    response = HttpResponseRedirect(_safe_next(request))
    if user.language:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
    return response


@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.user.is_authenticated and (not request.user.needs_two_factor or request.user.is_verified()):
        return redirect(_safe_next(request))
    if request.method == "POST" and address_blocked(request):
        return address_blocked_response(request)
    form = LoginForm(request=request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = form.user
        if not user.needs_two_factor:
            return _finish_login(request, user)
        request.session.cycle_key()
        request.session[PENDING_KEY] = {"user": user.pk, "at": int(time.time())}
        target = reverse("login_otp")
        if request.POST.get("next"):
            target += "?next=" + _safe_next(request)
        return redirect(target)
    return render(request, "billers/login.html", {"form": form, "next": request.GET.get("next", "")})


def _pending_user(request) -> User | None:
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        return None
    user = User.objects.select_related("company").filter(pk=pending["user"], is_active=True).first()
    return user


def _qr_svg(config_url: str) -> str:
    image = qrcode.make(config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@require_http_methods(["GET", "POST"])
def login_otp_view(request):
    user = _pending_user(request)
    if user is None:
        messages.info(request, _("Sign in again: the sign-in took too long or was not started."))
        return redirect("login")
    enrolling = not services.user_has_authenticator(user)
    if request.method == "POST" and address_blocked(request):
        return address_blocked_response(request)
    form = OneTimeCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        device = services.totp_verify(user=user, code=form.cleaned_data["code"], enrolling=enrolling)
        if device is not None:
            return _finish_login(request, user, device)
        if services.totp_code_reused(user=user, code=form.cleaned_data["code"]):
            # Right, but already used (a second click, a code sent twice): not a wrong code.
            form.add_error("code", _("That code was already used. Wait for the next one."))
            return render(request, "billers/login_otp.html", _otp_context(request, user, form, enrolling))
        # Counts towards the same lockout as a wrong password.
        user_login_failed.send(
            sender=__name__,
            credentials={"company_id": user.company.company_id if user.company else "", "user_id": user.user_id},
            request=request,
        )
        if getattr(request, "axes_locked_out", False):
            request.session.pop(PENDING_KEY, None)
        form.add_error("code", _("That code is not right, or was already used. Wait for the next one."))
    return render(request, "billers/login_otp.html", _otp_context(request, user, form, enrolling))


def _otp_context(request, user, form, enrolling: bool) -> dict:
    context = {"form": form, "enrolling": enrolling, "pending_user": user, "next": request.GET.get("next", "")}
    if enrolling:
        device = services.totp_device_for_enrolment(user)
        context["qr_data_uri"] = _qr_svg(device.config_url)
        context["secret_b32"] = base64.b32encode(device.bin_key).decode().rstrip("=")
    return context


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        audit_record(action="logout", actor=request.user, request=request, obj=request.user,
                     sentence=gettext_noop("%(actor)s signed out"), params={"actor": request.user})
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("login")


# --- The user's own account -------------------------------------------------------------


@company_view(initial_password_ok=True)
@require_http_methods(["GET", "POST"])
def password_change(request):
    """The user changes their own password; the one an admin gave them must be changed before anything else."""
    form = OwnPasswordForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.user_change_own_password(user=request.user, current_password=data["current_password"],
                                              new_password=data["new_password"], request=request)
        except DomainError as refused:
            if refused.field == "current_password" and _wrong_password_locks(request):
                return redirect("login")
            form.add_error(refused.field if refused.field in form.fields else None, refused.message)
        else:
            update_session_auth_hash(request, request.user)  # this session stays signed in; others end
            messages.success(request, _("Your password has been changed."))
            return redirect("home")
    return render(request, "billers/password_change.html",
                  {"form": form, "forced": request.user.password_change_required})


def _wrong_password_locks(request) -> bool:
    """Counts a wrong current password as a failed sign-in (a session left open is no way round
    the lockout); at the limit the session ends, and django-axes answers with the sign-in page
    saying until when."""
    user = request.user
    user_login_failed.send(sender=__name__, request=request,
                           credentials={"company_id": user.company.company_id, "user_id": user.user_id})
    if not getattr(request, "axes_locked_out", False):
        return False
    logout(request)
    return True


# --- Company administration (admin role) ----------------------------------------------


@company_view(Role.ADMIN)
def users_list(request):
    users = company_queryset(request, User).order_by("user_id")
    return render(request, "billers/users_list.html", {"users": users})


@company_view(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def user_create(request):
    form = UserCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(company=request.company, actor=request.user, request=request,
                                        **form.cleaned_data)
        except DomainError as refused:
            form.add_error(refused.field if refused.field in form.fields else None, refused.message)
        else:
            messages.success(request, _("User %(user)s created.") % {"user": user.user_id})
            return redirect("users_list")
    return render(request, "billers/user_form.html", {"form": form, "creating": True})


@company_view(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def user_edit(request, pk):
    user = company_object_or_404(request, User, pk=pk)
    initial = {"full_name": user.full_name, "email": user.email, "roles": sorted(user.roles)}
    form = UserEditForm(request.POST if request.method == "POST" else None, initial=initial)
    password_form = PasswordResetForm(user=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(user=user, actor=request.user, request=request, **form.cleaned_data)
        except DomainError as refused:
            form.add_error(refused.field if refused.field in form.fields else None, refused.message)
        else:
            messages.success(request, _("User %(user)s updated.") % {"user": user.user_id})
            return redirect("users_list")
    return render(request, "billers/user_form.html",
                  {"form": form, "subject": user, "password_form": password_form, "creating": False})


@company_view(Role.ADMIN)
@require_POST
def user_set_active(request, pk):
    user = company_object_or_404(request, User, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        services.user_set_active(user=user, actor=request.user, active=active, request=request)
    except DomainError as refused:
        messages.error(request, refused.message)
    else:
        text = _("User %(user)s enabled.") if active else _("User %(user)s disabled; their sessions have ended.")
        messages.success(request, text % {"user": user.user_id})
    return redirect("users_list")


@company_view(Role.ADMIN)
@require_POST
def user_reset_password(request, pk):
    user = company_object_or_404(request, User, pk=pk)
    form = PasswordResetForm(request.POST, user=user)
    if form.is_valid():
        services.user_reset_password(user=user, actor=request.user, password=form.cleaned_data["password"],
                                     request=request)
        messages.success(request, _("Password of %(user)s reset.") % {"user": user.user_id})
        return redirect("users_list")
    edit_form = UserEditForm(initial={"full_name": user.full_name, "email": user.email, "roles": sorted(user.roles)})
    return render(request, "billers/user_form.html",
                  {"form": edit_form, "subject": user, "password_form": form, "creating": False}, status=400)


@company_view(Role.ADMIN)
@require_POST
def user_reset_two_factor(request, pk):
    user = company_object_or_404(request, User, pk=pk)
    services.user_reset_two_factor(user=user, actor=request.user, request=request)
    messages.success(request, _("Two-factor sign-in of %(user)s reset: they enrol again at their next sign-in.")
                     % {"user": user.user_id})
    return redirect("users_list")


@company_view(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def company_settings(request):
    company = request.company
    form = CompanySettingsForm(request.POST if request.method == "POST" else None, instance=None, initial={
        field: getattr(company, field) for field in CompanySettingsForm.Meta.fields
    })
    if request.method == "POST" and form.is_valid():
        services.company_settings_update(company=company, actor=request.user, request=request,
                                         changes=form.cleaned_data)
        messages.success(request, _("Settings saved."))
        return redirect("company_settings")
    return render(request, "billers/company_settings.html", {"form": form})


@company_view(Role.ADMIN)
def audit_log(request):
    """The company's audit log in the reader's language, filtered by user, action, days and words."""
    company = request.company
    form = AuditFilterForm(request.GET or None, users=selectors.company_users(company),
                           actions=selectors.audit_actions(company))
    events = selectors.audit_events(company, **form.filters())
    if request.GET.get("format") == "csv":
        return csv_response("audit-log.csv", ["time", "actor", "action", "what", "ip", "request_id"],
                            _audit_rows(events, translation.get_language()))
    page = selectors.paginate(events, request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(request, "billers/audit_log.html", {
        "page": page, "form": form, "query": query.urlencode(),
        "filtered": any(value for value in form.filters().values()),
    })


def _audit_rows(events, language: str):
    # A download is written after the view returns: in the language of the page that asked for it.
    with translation.override(language):
        for e in events.iterator():
            yield [e.at, e.actor_shown, e.action, audit_text(e.sentence, e.params, space=" "), e.ip or "",
                   e.request_id]
