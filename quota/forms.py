"""Console forms of the quota app: top-up order, low-quota threshold, ledger filters."""

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.money import rupiah
from quota.models import LedgerEntry, TopUpOrder


class TopUpForm(forms.Form):
    package = forms.ModelChoiceField(
        label=_("Package"), queryset=None, required=False, empty_label=_("No package: I choose the number of pushes"),
    )
    units = forms.IntegerField(label=_("Number of pushes"), required=False, min_value=1)
    method = forms.ChoiceField(label=_("Payment method"), choices=TopUpOrder.Method.choices,
                               widget=forms.RadioSelect, initial=TopUpOrder.Method.VA)
    debit_account = forms.ChoiceField(label=_("Account to debit"), required=False,
                                      help_text=_("Only for payment by debit."))

    def __init__(self, *args, agreement, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.agreement = agreement
        self.fields["package"].queryset = agreement.packages.all()
        self.fields["package"].label_from_instance = lambda package: ngettext(
            "%(name)s (%(units)s push, %(price)s)", "%(name)s (%(units)s pushes, %(price)s)", package.units
        ) % {"name": package.name, "units": number_format(package.units, force_grouping=True),
             "price": rupiah(package.price)}
        self.fields["units"].help_text = _("At least %(minimum)s.") % {
            "minimum": number_format(agreement.minimum_topup, force_grouping=True)}
        self.fields["debit_account"].choices = [("", "—")] + [(a.account_number, str(a)) for a in accounts]

    def clean(self):
        data = super().clean()
        if not data.get("package") and not data.get("units") and not self.has_error("units"):
            self.add_error("units", _("Choose a package or enter a number of pushes."))
        if data.get("package"):
            data["units"] = None
        if data.get("method") == TopUpOrder.Method.DEBIT and not data.get("debit_account"):
            self.add_error("debit_account", _("Choose the account to debit."))
        return data


class ThresholdForm(forms.Form):
    threshold = forms.IntegerField(label=_("Warn me when fewer pushes than this are available"), min_value=0,
                                   max_value=10_000_000)


class LedgerFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All"))] + LedgerEntry.Kind.choices)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class RefuseForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
