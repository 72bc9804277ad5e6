"""Console forms of the Open API credentials."""

from django import forms
from django.utils.translation import gettext_lazy as _

from snap import credentials


class ApiCredentialForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("e.g. Billing system production"))
    public_key_pem = forms.CharField(
        label=_("RSA public key (PEM)"), widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text=_("Your system's RSA public key (2048 bits or more), starting -----BEGIN PUBLIC KEY-----. "
                    "The private key never leaves your system."),
    )
    ip_allowlist = forms.CharField(
        label=_("IP allow-list"), required=False, widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_("One address or network per line, e.g. 203.0.113.10 or 203.0.113.0/24. Empty allows any."),
    )

    # Checked here as well as in the service, so that every field's problem shows at once.
    def clean_public_key_pem(self):
        pem = self.cleaned_data["public_key_pem"]
        problem = credentials.public_key_problem(pem)
        if problem:
            raise forms.ValidationError(problem)
        return pem

    def clean_ip_allowlist(self):
        text = self.cleaned_data["ip_allowlist"]
        problems = credentials.ip_allowlist_problems(text)
        if problems:
            raise forms.ValidationError(problems)
        return text


class ApiCredentialEditForm(ApiCredentialForm):
    name = None
