"""The user's own e-mail settings: which kinds of e-mail they receive."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core.tenancy import company_view
from staffmail import services
from staffmail.models import MailKind


class MailPreferencesForm(forms.Form):
    on = forms.MultipleChoiceField(label=gettext_lazy("Send me an e-mail when"), required=False,
                                   widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].choices = [(kind, MailKind(kind).label) for kind in kinds]


@company_view()
@require_http_methods(["GET", "POST"])
def mail_preferences(request):
    user = request.user
    current = services.preferences(user)
    form = MailPreferencesForm(request.POST if request.method == "POST" else None, kinds=list(current),
                               initial={"on": [kind for kind, on in current.items() if on]})
    if request.method == "POST" and form.is_valid():
        services.preferences_save(user=user, on=set(form.cleaned_data["on"]), request=request)
        messages.success(request, _("E-mail settings saved."))
        return redirect("mail_preferences")
    return render(request, "staffmail/preferences.html", {"form": form, "has_kinds": bool(current)})
