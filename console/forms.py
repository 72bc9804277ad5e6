"""Console forms of pages that read across apps (the dashboard, reports)."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from console import dashboard
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


DASHBOARD_DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


class DashboardForm(forms.Form):
    """Which money the dashboard adds up: this month (the default), last month, the last 7 days,
    or WIB days from and until given dates (dd/mm/yyyy, inclusive)."""

    period = forms.ChoiceField(label=_("Period"), required=False, choices=[
        ("this_month", _("This month")), ("last_month", _("Last month")), ("last_7_days", _("Last 7 days")),
        ("custom", _("From and until dates")),
    ])
    date_from = forms.DateField(label=_("From (dd/mm/yyyy)"), required=False, input_formats=DASHBOARD_DATE_FORMATS,
                                widget=forms.TextInput(attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric",
                                                              "size": 10}),
                                error_messages={"invalid": _("Write the date as dd/mm/yyyy, for example 01/12/2026.")})
    date_to = forms.DateField(label=_("Until (dd/mm/yyyy)"), required=False, input_formats=DASHBOARD_DATE_FORMATS,
                              widget=forms.TextInput(attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric",
                                                            "size": 10}),
                              error_messages={"invalid": _("Write the date as dd/mm/yyyy, for example 31/12/2026.")})

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        data = super().clean()
        data["period"] = data.get("period") or ("custom" if self.data.get("date_from") or self.data.get("date_to")
                                               else "this_month")
        if data["period"] != "custom":
            # A named period needs no dates: any given with it are left aside, even written wrong.
            for name in ("date_from", "date_to"):
                self.errors.pop(name, None)
            data["date_from"], data["date_to"] = dashboard.period_range(data["period"], self.today)
            return data
        for name in ("date_from", "date_to"):
            if not data.get(name) and name not in self.errors:
                self.add_error(name, _("Give both dates of the period, as dd/mm/yyyy."))
        if self.errors:
            return data
        if data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end of the period is before its start."))
        elif (data["date_to"] - data["date_from"]).days >= dashboard.MAX_DAYS:
            self.add_error("date_from", _("Choose at most %(days)s days.") % {"days": dashboard.MAX_DAYS})
        return data
