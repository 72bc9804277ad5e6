"""Console forms of the reminders app."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The form's fields are the upload columns: one rulebook, one set of messages.
FIELD_LABELS = {
    "bill_key": _("Bill key"),
    "payer_phone": _("Payer phone number"),
    "payer_name": _("Payer name"),
    "amount": _("Amount (IDR)"),
    "description": _("Description"),
    "start_date": _("Start (shown from)"),
    "end_date": _("End (shown until)"),
    "partner_reference_no": _("Your reference"),
}


class BillEntryForm(forms.Form):
    registration = forms.ModelChoiceField(label=_("Biller code"), queryset=None, empty_label=None)
    bill_key = forms.CharField(label=FIELD_LABELS["bill_key"], max_length=20,
                               help_text=_("MBP bill key or MVA customer number: letters, digits, dashes."))
    payer_phone = forms.CharField(label=FIELD_LABELS["payer_phone"], max_length=32,
                                  widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
                                  help_text=_("An Indonesian mobile number, e.g. 0812-3456-7890."))
    payer_name = forms.CharField(label=FIELD_LABELS["payer_name"], max_length=100, required=False)
    amount = forms.CharField(label=FIELD_LABELS["amount"], max_length=30,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                             help_text=_("The exact amount due, e.g. 150.000 or 150000,50."))
    description = forms.CharField(label=FIELD_LABELS["description"], max_length=140, required=False)
    start_date = forms.CharField(label=FIELD_LABELS["start_date"], max_length=30,
                                 widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                 help_text=_("WIB. In the past or empty means: show it now."), required=False)
    end_date = forms.CharField(label=FIELD_LABELS["end_date"], max_length=30,
                               widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                               help_text=_("WIB. At most 90 days after the start."))
    partner_reference_no = forms.CharField(label=FIELD_LABELS["partner_reference_no"], max_length=64,
                                           required=False, help_text=_("Optional: your own id for this bill."))

    def __init__(self, *args, registrations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["registration"].queryset = registrations
        self.fields["registration"].label_from_instance = lambda r: f"{r.code} · {r.biller_code.name}"


class BillCancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class BillFilterForm(forms.Form):
    """The bill list's filters, read from the query string; every field optional.

    Search, code, status and the period's preset are always in sight; the rest fold away.
    ``phone``, ``bill_key`` and ``partner_reference_no`` match one whole value, for links
    made before Search matched their prefixes; the page shows them only when they are set.
    """

    SORT_CHOICES = [("created", _("Created")), ("start", _("Start")), ("end", _("End")), ("amount", _("Amount"))]
    ORDER_CHOICES = [("desc", _("Newest / largest first")), ("asc", _("Oldest / smallest first"))]
    PERIOD_CHOICES = [("created", _("Created between")), ("start", _("Starts between")), ("paid", _("Paid between"))]
    RANGE_CHOICES = [("", _("Any time")), ("today", _("Today")), ("7d", _("Last 7 days")),
                     ("month", _("This month")), ("last_month", _("Last month"))]
    DATE_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"]
    FOLDED = ("source", "channel", "period", "date_from", "date_to", "sort", "order")
    EXACT = ("phone", "bill_key", "partner_reference_no")

    q = forms.CharField(label=_("Search"), max_length=64, required=False,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off",
                                                      "aria-describedby": "id_q-help"}),
                        help_text=_("The start of a reference, bill key, phone number or payer name; "
                                    "or a whole payment reference or your reference."))
    code = forms.ModelChoiceField(label=_("Biller code"), queryset=None, required=False, empty_label=_("All codes"))
    status = forms.ChoiceField(label=_("Status"), required=False)
    range = forms.ChoiceField(label=_("When"), choices=RANGE_CHOICES, required=False)
    source = forms.ChoiceField(label=_("Source"), required=False)
    channel = forms.ChoiceField(label=_("Paid through"), required=False)
    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, required=False)
    date_from = forms.DateField(label=_("From (WIB)"), required=False, input_formats=DATE_FORMATS,
                                widget=forms.DateInput(format="%d/%m/%Y", attrs={
                                    "placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"}),
                                error_messages={"invalid": _("Write the date as dd/mm/yyyy, e.g. 31/12/2026.")})
    date_to = forms.DateField(label=_("Until (WIB)"), required=False, input_formats=DATE_FORMATS,
                              widget=forms.DateInput(format="%d/%m/%Y", attrs={
                                  "placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"}),
                              error_messages={"invalid": _("Write the date as dd/mm/yyyy, e.g. 31/12/2026.")})
    phone = forms.CharField(label=_("Payer phone"), max_length=32, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    bill_key = forms.CharField(label=_("Bill key"), max_length=20, required=False)
    partner_reference_no = forms.CharField(label=_("Your reference"), max_length=64, required=False)
    sort = forms.ChoiceField(label=_("Sort by"), choices=SORT_CHOICES, required=False)
    order = forms.ChoiceField(label=_("Order"), choices=ORDER_CHOICES, required=False)

    def __init__(self, *args, registrations, **kwargs):
        from reminders.models import BillSource, BillStatus, PaymentChannel

        super().__init__(*args, **kwargs)
        self.fields["code"].queryset = registrations
        self.fields["code"].label_from_instance = lambda r: f"{r.code} · {r.biller_code.name}"
        self.fields["status"].choices = [("", _("All statuses")), *BillStatus.choices]
        self.fields["source"].choices = [("", _("All sources")), *BillSource.choices]
        self.fields["channel"].choices = [("", _("Any channel")), *PaymentChannel.choices]

    def clean_phone(self):
        return _normalised_phone(self.cleaned_data["phone"])

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end of the period is before its start."))
        if data.get("range") and (data.get("date_from") or data.get("date_to")):
            self.add_error("range", _("Choose a preset or dates, not both."))
        return data

    @property
    def folded_fields(self):
        """The fields behind "More filters": the usual ones, and the exact ones only when a link set them."""
        shown = list(self.FOLDED) + [name for name in self.EXACT if self.is_bound and self.data.get(name)]
        return [self[name] for name in shown]

    @property
    def folded_in_use(self) -> bool:
        return self.is_bound and any(self.data.get(name) for name in self.FOLDED + self.EXACT)

    def filters(self, *, today: dt.date | None = None):
        """The cleaned filters as ``reminders.selectors.BillFilters``; the defaults if the form is not valid."""
        from reminders.selectors import BillFilters

        if not self.is_valid():
            return BillFilters()
        data = self.cleaned_data
        search = data["q"].strip()
        date_from, date_to = data["date_from"], data["date_to"]
        if data["range"]:
            date_from, date_to = preset_dates(data["range"], today or timezone.localdate())
        return BillFilters(
            registration=data["code"], status=data["status"], source=data["source"],
            payment_channel=data["channel"],
            period=data["period"] or "created", date_from=date_from, date_to=date_to,
            phone=data["phone"], bill_key=data["bill_key"].strip(),
            partner_reference_no=data["partner_reference_no"].strip(), search=search,
            sort=data["sort"] or "created",
            descending=data["order"] != "asc",
        )


def preset_dates(preset: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day (WIB) of a preset period, ``today`` included."""
    if preset == "today":
        return today, today
    if preset == "7d":
        return today - dt.timedelta(days=6), today
    first = today.replace(day=1)
    if preset == "last_month":
        last = first - dt.timedelta(days=1)
        return last.replace(day=1), last
    return first, today


def _normalised_phone(text: str) -> str:
    """``text`` as the stored phone (+62...); a wrong one is the form's error."""
    from fileformat.errors import CellError
    from fileformat.phones import normalise_phone

    text = (text or "").strip()
    if not text:
        return ""
    try:
        return normalise_phone(text)
    except CellError as exc:
        raise forms.ValidationError(exc.message) from None


class BillBulkCancelForm(forms.Form):
    MAX_BILLS = 200

    bill = forms.MultipleChoiceField(label=_("Bills"), required=True,
                                     error_messages={"required": _("Select the bills to cancel first.")})
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any reference may be posted; the view looks each one up in the company's bills.
        self.fields["bill"].valid_value = lambda value: isinstance(value, str) and 0 < len(value) <= 24

    def clean_bill(self):
        references = list(dict.fromkeys(self.cleaned_data["bill"]))
        if len(references) > self.MAX_BILLS:
            raise forms.ValidationError(_("Select at most %(n)s bills at a time.") % {"n": self.MAX_BILLS})
        return references
