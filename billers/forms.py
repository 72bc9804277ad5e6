"""Console forms of the billers app: sign-in, one-time code, users, company settings."""

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from billers.models import Company, Role, User, user_id_validator

INVALID_LOGIN = _("The Company ID, User ID or password is not right.")


class LoginForm(forms.Form):
    company_id = forms.CharField(
        label=_("Company ID"), max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "organization", "autofocus": True}),
    )
    user_id = forms.CharField(
        label=_("User ID"), max_length=64, widget=forms.TextInput(attrs={"autocomplete": "username"})
    )
    password = forms.CharField(
        label=_("Password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        self.user = authenticate(
            self.request,
            company_id=data["company_id"],
            user_id=data["user_id"],
            password=data["password"],
        )
        if self.user is None:
            raise forms.ValidationError(INVALID_LOGIN, code="invalid_login")
        return data


class OneTimeCodeForm(forms.Form):
    code = forms.CharField(
        label=_("One-time code"), min_length=6, max_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True,
                   "pattern": "[0-9]{6}"}
        ),
    )

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not code.isdigit():
            raise forms.ValidationError(_("Enter the 6 digits your authenticator app shows."))
        return code


ROLE_CHOICES = [(role.value, role.label) for role in Role]


class UserForm(forms.Form):
    user_id = forms.CharField(label=_("User ID"), max_length=64, validators=[user_id_validator])
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    email = forms.EmailField(label=_("Email"), required=False)
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple
    )


class UserCreateForm(UserForm):
    password = forms.CharField(
        label=_("Initial password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not common, not only digits. The user changes it later."),
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("user_id"):
            probe = User(user_id=data["user_id"], full_name=data.get("full_name", ""), email=data.get("email", ""))
            validate_password(data["password"], user=probe)
        return data


class UserEditForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    email = forms.EmailField(label=_("Email"), required=False)
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple
    )


class PasswordResetForm(forms.Form):
    password = forms.CharField(
        label=_("New password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        validate_password(password, user=self.user)
        return password


class OwnPasswordForm(forms.Form):
    """A user's change of their own password; the service checks the current one and the validators."""

    current_password = forms.CharField(
        label=_("Current password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    new_password = forms.CharField(
        label=_("New password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not common, not only digits, not like your name or User ID."),
    )
    new_password_again = forms.CharField(
        label=_("New password, again"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password_again") and \
                data["new_password"] != data["new_password_again"]:
            self.add_error("new_password_again", _("The two new passwords differ: type the same one twice."))
        return data


class CompanySettingsForm(forms.ModelForm):
    class Meta:
        model = Company
        fields = [
            "require_two_factor",
            "approval_for_upload",
            "approval_for_api",
            "approval_for_topup",
            "approval_for_stop",
        ]


class ServiceChangeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False,
                             help_text=_("Shown to the approver and kept in the audit log."))


# Days are typed day first, as everywhere in the console, and read as days in WIB.
DAY_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
BAD_DAY = _("Write the date as dd/mm/yyyy, for example 31/01/2026.")


def _day_field(label):
    return forms.DateField(
        label=label, required=False, input_formats=DAY_FORMATS, error_messages={"invalid": BAD_DAY},
        widget=forms.TextInput(attrs={"placeholder": _("dd/mm/yyyy"), "inputmode": "numeric", "autocomplete": "off",
                                      "maxlength": 10}),
    )


class AuditFilterForm(forms.Form):
    """The audit log's filters. A field that is not valid says why and is left out; the others apply."""

    q = forms.CharField(label=_("Search"), max_length=100, required=False,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}))
    user = forms.ModelChoiceField(label=_("User"), queryset=User.objects.none(), required=False,
                                  empty_label=_("All users"))
    action = forms.ChoiceField(label=_("Action"), required=False)
    date_from = _day_field(_("From (WIB)"))
    date_to = _day_field(_("Until (WIB)"))

    def __init__(self, *args, users, actions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users
        self.fields["user"].label_from_instance = lambda user: f"{user.user_id} · {user.full_name}".rstrip(" ·")
        self.fields["action"].choices = [("", _("All actions")), *actions]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end of the period is before its start."))
        return data

    def filters(self) -> dict:
        """The valid filters, as ``billers.selectors.audit_events`` takes them."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = self.cleaned_data
        return {"query": data.get("q", "").strip(), "user": data.get("user"), "action": data.get("action", ""),
                "date_from": data.get("date_from"), "date_to": data.get("date_to")}
