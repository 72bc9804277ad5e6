"""Console pages of the reminders app: single entry, the bill list (filters, keyset pages, export, bulk
cancel), a bill's timeline, cancel."""

import tempfile

from django.contrib import messages
from django.http import FileResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billers.models import Registration, Role
from core.downloads import csv_response
from core.errors import DomainError
from core.exports import write_xlsx
from core.tenancy import company_object_or_404, company_queryset, company_view
from core.time import WIB
from reminders import selectors, services
from reminders.forms import FIELD_LABELS, BillBulkCancelForm, BillCancelForm, BillEntryForm, BillFilterForm
from reminders.models import Bill, BillSource, BillStatus

# Problems name the form field itself; the form shows each next to its field.
FORM_NAMES = services.field_names({column: column for column in FIELD_LABELS})


@company_view(Role.MAKER)
@require_http_methods(["GET", "POST"])
def bill_entry(request):
    registrations = company_queryset(request, Registration).filter(status=Registration.Status.ACTIVE)
    form = BillEntryForm(request.POST if request.method == "POST" else None,
                         registrations=registrations.select_related("biller_code"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        registration = data["registration"]
        values = {column: data[column] for column in FIELD_LABELS}
        values["start_date"] = values["start_date"] or timezone.now()
        row, problems = services.bill_validate(registration=registration, values=values, names=FORM_NAMES)
        for problem in problems:
            form.add_error(problem.column if problem.column in form.fields else None, problem.message)
        if row is not None:
            try:
                bill = services.bill_create(registration=registration, row=row, source=BillSource.CONSOLE,
                                            actor=request.user)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Bill %(key)s received; it will be shown in Livin' from its start.")
                                 % {"key": bill.bill_key})
                return redirect("bill_detail", reference_no=bill.reference_no)
    return render(request, "reminders/bill_entry.html", {"form": form, "has_codes": registrations.exists()})


LIST_PARAMS = tuple(BillFilterForm.base_fields)
XLSX_MAX_ROWS = 100_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filter_form(request) -> BillFilterForm:
    registrations = (company_queryset(request, Registration).select_related("biller_code")
                     .order_by("biller_code__code"))
    params = QueryDict(mutable=True)
    for name in LIST_PARAMS:
        values = [value for value in request.GET.getlist(name) if value != ""]
        if values:
            params.setlist(name, values)
    return BillFilterForm(params if params else None, registrations=registrations)


def _filters(form: BillFilterForm) -> selectors.BillFilters:
    return form.filters() if form.is_bound else selectors.BillFilters()


def _sort_links(form: BillFilterForm, filters: selectors.BillFilters) -> dict:
    """Per sortable column: the URL that sorts by it (again: the other way round) and its aria-sort."""
    links = {}
    base = form.data.copy() if form.is_bound else QueryDict(mutable=True)
    for key in selectors.SORTS:
        current = filters.sort == key
        params = base.copy()
        params["sort"] = key
        params["order"] = "asc" if current and filters.descending else "desc"
        links[key] = {
            "url": "?" + params.urlencode(),
            "aria": ("descending" if filters.descending else "ascending") if current else "none",
            "current": current,
        }
    return links


@company_view()
@require_GET
def bill_list(request):
    form = _filter_form(request)
    filters = _filters(form)
    if form.is_bound and not form.is_valid():
        # Listing every bill under a filter the user mistyped would read as its answer.
        page, totals = selectors.BillPage(bills=[], next_cursor=None, previous_cursor=None), None
    else:
        page = selectors.bills_page(request.company, filters, after=request.GET.get("after", ""),
                                    before=request.GET.get("before", ""))
        totals = selectors.bills_totals(request.company, filters)
    query = form.data.urlencode() if form.is_bound else ""
    return render(request, "reminders/bill_list.html", {
        "form": form, "page": page, "query": query, "filters": filters, "sorts": _sort_links(form, filters),
        "filtered": form.is_bound, "bulk_form": BillBulkCancelForm(), "totals": totals,
        "valid": not form.is_bound or form.is_valid(),
        # A period alone narrows nothing, nor does an order.
        "active_filters": sum(1 for name in form.data if name not in ("sort", "order", "period"))
        if form.is_bound else 0,
    })


def _export_rows(rows, *, text_times: bool):
    for row in rows:
        row = list(row)
        for index in (8, 9, 12, 13, 14):  # start, end, created, displayed, paid
            if row[index] is not None:
                shown = row[index].astimezone(WIB)
                row[index] = shown.strftime("%Y-%m-%d %H:%M:%S") if text_times else shown
        yield row


@company_view()
@require_GET
def bill_export(request, file_format):
    """The filtered list, every page of it, as CSV (streamed) or XLSX; cells neutralised against formulas."""
    form = _filter_form(request)
    if form.is_bound and not form.is_valid():
        messages.error(request, _("Fix the filters before exporting."))
        return redirect(reverse("bill_list") + "?" + form.data.urlencode())
    filters = _filters(form)
    rows = selectors.bills_for_export(request.company, filters)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"bills-{request.company.company_id}-{stamp}.{file_format}"
    if file_format == "csv":
        return csv_response(filename, selectors.EXPORT_HEADER,
                            _export_rows(rows.iterator(chunk_size=2000), text_times=True))
    if rows[XLSX_MAX_ROWS:XLSX_MAX_ROWS + 1].exists():
        messages.error(request, _("More than %(n)s bills match: narrow the filters, or export them as CSV.")
                       % {"n": number_format(XLSX_MAX_ROWS, force_grouping=True)})
        return redirect(reverse("bill_list") + ("?" + form.data.urlencode() if form.is_bound else ""))
    spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    write_xlsx(_with_header(selectors.EXPORT_HEADER, _export_rows(rows.iterator(chunk_size=2000), text_times=False)),
               spool, sheet_title="Bills")
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


def _with_header(header, rows):
    yield header
    yield from rows


REFUSALS_SHOWN = 10


@company_view(Role.MAKER)
@require_POST
def bill_bulk_cancel(request):
    """Cancels the selected bills one by one through ``bill_cancel``; says how many, and why any were refused."""
    back = reverse("bill_list")
    query = QueryDict(request.POST.get("query", ""))
    kept = QueryDict(mutable=True)
    for name in LIST_PARAMS + ("after", "before"):
        if name in query:
            kept.setlist(name, query.getlist(name))
    if kept:
        back += "?" + kept.urlencode()
    form = BillBulkCancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(back)
    references = form.cleaned_data["bill"]
    reason = form.cleaned_data["reason"]
    found = selectors.bills_by_reference(request.company, references)
    cancelled, refused = 0, []
    for reference in references:
        bill = found.get(reference)
        if bill is None:
            refused.append(_("%(ref)s: no such bill.") % {"ref": reference})
            continue
        try:
            services.bill_cancel(bill=bill, actor=request.user, reason=reason, request=request)
        except DomainError as exc:
            refused.append(f"{reference}: {exc.message}")
        else:
            cancelled += 1
    if cancelled:
        messages.success(request, ngettext("%(n)s bill cancelled.", "%(n)s bills cancelled.", cancelled)
                         % {"n": cancelled})
    if refused:
        messages.warning(request, ngettext("%(n)s bill was not cancelled:", "%(n)s bills were not cancelled:",
                                           len(refused)) % {"n": len(refused)})
        for line in refused[:REFUSALS_SHOWN]:
            messages.warning(request, line)
        if len(refused) > REFUSALS_SHOWN:
            messages.warning(request, _("… and %(n)s more.") % {"n": len(refused) - REFUSALS_SHOWN})
    return redirect(back)


@company_view()
def bill_detail(request, reference_no):
    bill = company_object_or_404(request, Bill.objects.select_related("registration__biller_code", "upload"),
                                 reference_no=reference_no)
    events = list(bill.events.order_by("at", "id"))
    return render(request, "reminders/bill_detail.html", {
        "bill": bill,
        "events": events,
        "lifecycle": _lifecycle(bill, events),
        "attempts": bill.attempts.order_by("at", "id"),
        "callbacks": bill.callbacks.prefetch_related("attempt_log").order_by("created_at", "id"),
        "cancel_form": BillCancelForm(),
    })


LIFECYCLE = (BillStatus.RECEIVED, BillStatus.SCHEDULED, BillStatus.DISPLAYED, BillStatus.PAID)


def _lifecycle(bill: Bill, events) -> list[dict]:
    """The steps of DESIGN.md's lifecycle as this bill went through them: done, now, still ahead, or how it ended."""
    visited = {event.to_status for event in events} | {bill.status}
    steps = [BillStatus.PENDING_APPROVAL] if BillStatus.PENDING_APPROVAL in visited else []
    steps += LIFECYCLE
    shown = []
    for status in steps:
        if status == bill.status:
            state = "now"
        elif status in visited:
            state = "done"
        else:
            state = "ahead"
        shown.append({"label": BillStatus(status).label, "state": state})
    if bill.status not in steps:
        # Ended another way (expired, cancelled, failed, not a Livin' user): the steps not
        # reached are no longer ahead, and the end is shown last.
        shown = [step for step in shown if step["state"] == "done"]
        shown.append({"label": bill.get_status_display(), "state": "ended"})
    return shown


@company_view(Role.MAKER)
@require_POST
def bill_cancel(request, reference_no):
    bill = company_object_or_404(request, Bill, reference_no=reference_no)
    form = BillCancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.bill_cancel(bill=bill, actor=request.user, reason=reason, request=request)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Bill %(ref)s cancelled.") % {"ref": bill.reference_no})
    return redirect("bill_detail", reference_no=bill.reference_no)
