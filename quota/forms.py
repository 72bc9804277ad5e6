"""Console forms of the quota app: top-up order, low-quota threshold, the statement's period."""

import re
from datetime import date

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.money import rupiah
from quota.models import LedgerEntry, TopUpOrder
from quota.selectors import STATEMENT_MAX_DAYS, month_last


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


DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]  # as typed, and as a browser's date picker sends it
MONTH_SHAPE = re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})|(?P<month2>\d{1,2})/(?P<year2>\d{4})")


def _date_field(label):
    return forms.DateField(
        label=label, required=False, input_formats=DATE_FORMATS,
        widget=forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": _("dd/mm/yyyy"), "inputmode": "numeric",
                                                         "size": 10}),
        error_messages={"invalid": _("Enter the date as dd/mm/yyyy, for example 31/12/2026.")},
    )


class StatementPeriodForm(forms.Form):
    """The period of a quota statement: a month, or a from and until date (Jakarta days).

    Without either, the current month (``by`` day) or the last twelve months (``by`` month).
    ``period()`` gives the first and last day once the form is valid.
    """

    month = forms.CharField(label=_("Month"), required=False,
                            widget=forms.TextInput(attrs={"type": "month", "placeholder": _("yyyy-mm")}))
    date_from = _date_field(_("From"))
    date_to = _date_field(_("Until"))

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_month(self):
        text = self.cleaned_data["month"].strip()
        if not text:
            return None
        found = MONTH_SHAPE.fullmatch(text)
        month = int(found["month"] or found["month2"]) if found else 0
        if not 1 <= month <= 12:
            raise forms.ValidationError(_("Enter the month as yyyy-mm, for example 2026-12."))
        return date(int(found["year"] or found["year2"]), month, 1)

    def clean(self):
        data = super().clean()
        month, date_from, date_to = data.get("month"), data.get("date_from"), data.get("date_to")
        if month and (date_from or date_to):
            raise forms.ValidationError(_("Choose either a month or a from and until date, not both."))
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def default_first(self) -> date:
        return self.today.replace(day=1)

    def period(self) -> tuple[date, date]:
        data = self.cleaned_data
        if data.get("month"):
            return data["month"], month_last(data["month"])
        if data.get("date_from") or data.get("date_to"):
            last = data.get("date_to") or max(self.today, data["date_from"])
            return data.get("date_from") or last.replace(day=1), last
        return self.default_first(), self.today


class StatementForm(StatementPeriodForm):
    """The statement's period, and whether it reads per day or per month."""

    BY = [("day", _("Per day")), ("month", _("Per month"))]

    by = forms.ChoiceField(label=_("Summary"), choices=BY, required=False)
    field_order = ["by", "month", "date_from", "date_to"]

    def clean_by(self):
        return self.cleaned_data["by"] or "day"

    def default_first(self) -> date:
        if self.cleaned_data.get("by") == "month":
            first = self.today.replace(day=1)
            return first.replace(year=first.year - 1, month=first.month + 1) if first.month < 12 else first.replace(
                month=1)
        return super().default_first()

    def clean(self):
        data = super().clean()
        if not self.errors and data["by"] == "day":
            first, last = self.period()
            if (last - first).days + 1 > STATEMENT_MAX_DAYS:
                raise forms.ValidationError(
                    _("A statement per day covers at most %(days)s days; choose a shorter period or "
                      "the statement per month.") % {"days": STATEMENT_MAX_DAYS})
        return data


class MovementFilterForm(StatementPeriodForm):
    """The movements of a period, of one kind or all."""

    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All"))] + LedgerEntry.Kind.choices)


class RefuseForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
