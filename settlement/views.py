"""Console pages of the settlement: the days' settlements per biller code, one day's payments, its export."""

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from billers.models import Registration
from core.downloads import csv_response, xlsx_response
from core.tenancy import company_object_or_404, company_queryset, company_view
from core.time import WIB
from settlement import selectors
from settlement.models import Settlement

PAGE = 60


class SettlementFilterForm(forms.Form):
    code = forms.ModelChoiceField(label=_("Biller code"), queryset=None, required=False, empty_label=_("All codes"))

    def __init__(self, *args, registrations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].queryset = registrations
        self.fields["code"].label_from_instance = lambda r: f"{r.code} · {r.biller_code.name}"


@company_view()
@require_GET
def settlement_list(request):
    registrations = company_queryset(request, Registration).select_related("biller_code").order_by("biller_code__code")
    form = SettlementFilterForm(request.GET or None, registrations=registrations)
    registration = form.cleaned_data["code"] if form.is_bound and form.is_valid() else None
    settlements = list(selectors.settlements_of(request.company, registration=registration)[:PAGE])
    return render(request, "settlement/list.html", {"form": form, "settlements": settlements})


@company_view()
@require_GET
def settlement_detail(request, pk):
    settlement = company_object_or_404(request, Settlement.objects.select_related("registration__biller_code"), pk=pk)
    return render(request, "settlement/detail.html", {
        "settlement": settlement, "lines": selectors.settlement_lines(settlement),
        "not_credited": selectors.not_credited(settlement),
    })


@company_view()
@require_GET
def settlement_export(request, pk, file_format):
    settlement = company_object_or_404(request, Settlement.objects.select_related("registration__biller_code"), pk=pk)
    filename = f"settlement-{settlement.registration.code}-{settlement.day:%Y%m%d}.{file_format}"
    rows = selectors.export_rows(settlement)
    if file_format == "csv":
        wib = lambda moment: moment.astimezone(WIB).strftime("%Y-%m-%d %H:%M:%S")  # noqa: E731
        return csv_response(filename, selectors.EXPORT_HEADER,
                            ([row[0].isoformat(), *row[1:11], wib(row[11]), wib(row[12])] for row in rows))
    # A day's payments of one code: a few thousand rows at most, built in memory.
    return xlsx_response(filename, selectors.EXPORT_HEADER, rows, sheet_title="Settlement")
