"""Console pages of the notifications app: callback settings, and re-sending a callback."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billers.models import Role
from core import shown_once
from core.errors import InvalidInput
from core.tenancy import company_object_or_404, company_queryset, company_view
from notifications import callbacks
from notifications.models import CallbackEvent, CallbackSetting


class CallbackSettingForm(forms.Form):
    url = forms.URLField(
        label=gettext_lazy("Callback URL"), max_length=300, assume_scheme="https",
        help_text=gettext_lazy("Your HTTPS endpoint that receives bill events (bill.displayed, bill.paid, ...)."),
    )


@company_view(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def callback_settings(request):
    setting = company_queryset(request, CallbackSetting).first()
    form = CallbackSettingForm(request.POST if request.method == "POST" else None,
                               initial={"url": setting.url if setting else ""})
    if request.method == "POST" and form.is_valid():
        try:
            setting, secret = callbacks.callback_setting_save(company=request.company, url=form.cleaned_data["url"],
                                                              actor=request.user, request=request)
        except InvalidInput as exc:
            form.add_error("url", exc.message)
        else:
            messages.success(request, _("Callback URL saved."))
            if secret:
                return _show_secret(request, secret)
            return redirect("callback_settings")
    recent = company_queryset(request, CallbackEvent).order_by("-created_at")[:20]
    return render(request, "notifications/callback_settings.html",
                  {"form": form, "setting": setting, "recent": recent})


@company_view(Role.ADMIN)
@require_POST
def callback_rotate(request):
    company_object_or_404(request, CallbackSetting)
    secret = callbacks.callback_secret_rotate(company=request.company, actor=request.user, request=request)
    return _show_secret(request, secret)


SECRET_SHOWN_ONCE = "callback_secret"


def _show_secret(request, secret: str):
    """Redirects to the page that shows the new secret once: a reload makes no other."""
    shown_once.keep(request, SECRET_SHOWN_ONCE, secret=secret)
    return redirect("callback_secret")


@company_view(Role.ADMIN)
@require_GET
@never_cache
def callback_secret(request):
    kept = shown_once.take(request, SECRET_SHOWN_ONCE)
    if kept is None:
        messages.info(request, _("The callback secret is shown only once, right after it is made. "
                                 "If it was not stored, rotate it."))
        return redirect("callback_settings")
    return render(request, "notifications/callback_secret.html", {"secret": kept["secret"]})


@company_view(Role.ADMIN)
@require_POST
def callback_test(request):
    company_object_or_404(request, CallbackSetting)
    try:
        outcome = callbacks.callback_test(company=request.company, actor=request.user, request=request)
    except InvalidInput as exc:
        messages.error(request, exc.message)
        return redirect("callback_settings")
    if outcome.delivered:
        messages.success(request, _("Test callback delivered: your server answered HTTP %(status)s in %(ms)s ms.")
                         % {"status": outcome.status_code, "ms": outcome.latency_ms})
    else:
        messages.error(request, _("Test callback not delivered (%(error)s). Check that %(url)s is reachable from "
                                  "the internet and answers 2xx to a signed POST.")
                       % {"error": _(outcome.error), "url": outcome.url})
    return redirect("callback_settings")


@company_view(Role.ADMIN, Role.MAKER)
@require_POST
def callback_resend(request, pk):
    callback = company_object_or_404(request, CallbackEvent, pk=pk)
    callbacks.callback_resend(callback=callback, actor=request.user, request=request)
    messages.success(request, _("Callback %(event)s queued to be sent again.") % {"event": callback.event})
    if callback.bill_id:
        return redirect("bill_detail", reference_no=callback.bill.reference_no)
    return redirect("callback_settings")
