"""Console forms of pages that read across apps (reports)."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from console.reports import MAX_DAYS, PERIODS, default_range


class ReportForm(forms.Form):
    """Which report: per day, week or month, over WIB days (inclusive), for every code or one."""

    period = forms.ChoiceField(label=_("Per"), choices=list(zip(PERIODS, (_("day"), _("week"), _("month")))),
                               required=False)
    date_from = forms.DateField(label=_("From (WIB)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Until (WIB)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    code = forms.ModelChoiceField(label=_("Biller code"), queryset=None, required=False, empty_label=_("All codes"))

    def __init__(self, *args, registrations, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["code"].queryset = registrations
        self.fields["code"].label_from_instance = lambda r: f"{r.code} · {r.biller_code.name}"

    def clean(self):
        data = super().clean()
        period = data.get("period") or "day"
        start, end = default_range(period, self.today)
        data["period"] = period
        data["date_from"] = data.get("date_from") or start
        data["date_to"] = data.get("date_to") or end
        if data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end of the period is before its start."))
        elif (data["date_to"] - data["date_from"]).days >= MAX_DAYS[period]:
            self.add_error("date_from", _("Choose at most %(days)s days for a report per %(period)s.")
                           % {"days": MAX_DAYS[period], "period": dict(self.fields["period"].choices)[period]})
        return data
