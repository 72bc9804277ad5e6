"""Console pages of the settlement: the days' settlements per biller code, one day's payments, its export."""

import tempfile

from django import forms
from django.http import FileResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from billers.models import Registration
from core.downloads import csv_response
from core.exports import write_xlsx
from core.tenancy import company_object_or_404, company_queryset, company_view
from core.time import WIB
from settlement import selectors
from settlement.models import Settlement

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
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


def _wib(value):
    return value.astimezone(WIB).replace(tzinfo=None) if hasattr(value, "astimezone") and value else value


@company_view()
@require_GET
def settlement_export(request, pk, file_format):
    settlement = company_object_or_404(request, Settlement.objects.select_related("registration__biller_code"), pk=pk)
    filename = f"settlement-{settlement.registration.code}-{settlement.day:%Y%m%d}.{file_format}"
    if file_format == "csv":
        rows = ([row[0].isoformat(), *row[1:11], _wib(row[11]).strftime("%Y-%m-%d %H:%M:%S"),
                 _wib(row[12]).strftime("%Y-%m-%d %H:%M:%S")] for row in selectors.export_rows(settlement))
        return csv_response(filename, selectors.EXPORT_HEADER, rows)
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    rows = ([*row[:11], _wib(row[11]), _wib(row[12])] for row in selectors.export_rows(settlement))
    write_xlsx([selectors.EXPORT_HEADER, *rows], spool, sheet_title="Settlement")
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
