"""Console forms of the bill file upload."""

from django import forms
from django.utils.translation import gettext_lazy as _


class UploadForm(forms.Form):
    registration = forms.ModelChoiceField(label=_("Biller code"), queryset=None, empty_label=None)
    file = forms.FileField(
        label=_("Bill file"), allow_empty_file=True,
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
        help_text=_("An .xlsx or .csv file with a header row, as in the template."),
    )

    def __init__(self, *args, registrations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["registration"].queryset = registrations
        self.fields["registration"].label_from_instance = lambda r: f"{r.code} · {r.biller_code.name}"


class UploadRejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
