"""Console forms of the reminders app."""

from django import forms
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
