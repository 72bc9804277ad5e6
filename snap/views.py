"""Console pages for a company's Open API credentials (company admin)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billers.models import Role
from core import shown_once
from core.errors import DomainError
from core.tenancy import company_object_or_404, company_queryset, company_view
from snap import credentials
from snap.forms import ApiCredentialEditForm, ApiCredentialForm
from snap.models import ApiCredential


@company_view(Role.ADMIN)
def credential_list(request):
    items = company_queryset(request, ApiCredential).order_by("status", "-created_at")
    return render(request, "snap/credentials_list.html", {"credentials": items})


def _attach(form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@company_view(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def credential_create(request):
    form = ApiCredentialForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            credential, secret = credentials.credential_create(
                company=request.company, actor=request.user, request=request, **form.cleaned_data
            )
        except DomainError as exc:
            _attach(form, exc)
        else:
            return _show_secret(request, credential, secret, rotated=False)
    return render(request, "snap/credential_form.html", {"form": form, "creating": True})


SECRET_SHOWN_ONCE = "credential_secret"


def _show_secret(request, credential: ApiCredential, secret: str, *, rotated: bool):
    """Redirects to the page that shows the new secret once: a reload creates or rotates nothing."""
    shown_once.keep(request, SECRET_SHOWN_ONCE, credential=credential.pk, secret=secret, rotated=rotated)
    return redirect("credential_secret")


@company_view(Role.ADMIN)
@require_GET
@never_cache
def credential_secret(request):
    kept = shown_once.take(request, SECRET_SHOWN_ONCE)
    if kept is None:
        messages.info(request, _("A client secret is shown only once, right after it is made. "
                                 "If it was not stored, rotate the credential's secret."))
        return redirect("credential_list")
    credential = company_object_or_404(request, ApiCredential, pk=kept["credential"])
    return render(request, "snap/credential_secret.html",
                  {"credential": credential, "secret": kept["secret"], "rotated": kept["rotated"]})


@company_view(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def credential_edit(request, pk):
    credential = company_object_or_404(request, ApiCredential, pk=pk)
    form = ApiCredentialEditForm(request.POST if request.method == "POST" else None, initial={
        "public_key_pem": credential.public_key_pem, "ip_allowlist": credential.ip_allowlist,
    })
    if request.method == "POST" and form.is_valid():
        try:
            credentials.credential_update(credential=credential, actor=request.user, request=request,
                                          **form.cleaned_data)
        except DomainError as exc:
            _attach(form, exc)
        else:
            messages.success(request, _("Credential %(key)s updated.") % {"key": credential.client_key})
            return redirect("credential_list")
    return render(request, "snap/credential_form.html", {"form": form, "credential": credential})


@company_view(Role.ADMIN)
@require_POST
def credential_rotate(request, pk):
    credential = company_object_or_404(request, ApiCredential, pk=pk)
    try:
        secret = credentials.credential_rotate_secret(credential=credential, actor=request.user, request=request)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("credential_list")
    return _show_secret(request, credential, secret, rotated=True)


@company_view(Role.ADMIN)
@require_POST
def credential_revoke(request, pk):
    credential = company_object_or_404(request, ApiCredential, pk=pk)
    credentials.credential_revoke(credential=credential, actor=request.user, request=request)
    messages.success(request, _("Credential %(key)s revoked; its tokens no longer work.")
                     % {"key": credential.client_key})
    return redirect("credential_list")
