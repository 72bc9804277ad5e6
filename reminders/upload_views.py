"""Console pages of the bill file upload: template, upload form, list, report, and the decisions on it."""

import io
import tempfile

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billers.models import Registration, Role
from core.downloads import csv_response
from core.errors import DomainError
from core.exports import write_xlsx
from core.tenancy import company_object_or_404, company_queryset, company_view
from fileformat import FileRefused
from fileformat.headers import COLUMNS
from fileformat.template_file import COLUMN_HELP, build_template_csv, build_template_xlsx
from quota.selectors import quota_available
from reminders import amounts, uploads
from reminders.models import Upload
from reminders.upload_forms import UploadForm, UploadRejectForm

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WORKING = {
    "submit": gettext_lazy("Submitting the valid rows…"),
    "approve": gettext_lazy("Approving the upload…"),
    "reject": gettext_lazy("Rejecting the upload…"),
    "discard": gettext_lazy("Discarding the upload…"),
}
ERRORS_PER_PAGE = 100


def _column_help():
    return [(column, COLUMN_HELP[column.name]) for column in COLUMNS]


@company_view()
@require_GET
def upload_template(request, file_format):
    if file_format == "xlsx":
        return FileResponse(io.BytesIO(build_template_xlsx()), as_attachment=True,
                            filename="kopra-bill-template.xlsx", content_type=XLSX_TYPE)
    return FileResponse(io.BytesIO(build_template_csv()), as_attachment=True, filename="kopra-bill-template.csv",
                        content_type="text/csv; charset=utf-8")


@company_view(Role.MAKER)
@require_http_methods(["GET", "POST"])
def upload_new(request):
    registrations = (company_queryset(request, Registration).filter(status=Registration.Status.ACTIVE)
                     .select_related("biller_code", "company"))
    posted = request.method == "POST"  # an empty POST is still a POST: its form says what is missing
    form = UploadForm(request.POST if posted else None, request.FILES if posted else None,
                      registrations=registrations)
    max_rows, max_bytes = uploads.upload_limits()
    over = getattr(request, "upload_over_limit", None)  # cut off while it streamed in (core.upload_limit)
    if request.method == "POST" and over:
        form.is_valid()
        form.errors.pop("file", None)
        form.add_error("file", _("The file is %(size)s; the limit is %(limit)s.") % {
            "size": f"{over / 1024**2:,.1f} MB", "limit": f"{max_bytes / 1024**2:,.1f} MB"})
    elif request.method == "POST" and form.is_valid():
        try:
            upload = uploads.upload_receive(registration=form.cleaned_data["registration"],
                                            uploaded_file=form.cleaned_data["file"], actor=request.user,
                                            request=request)
        except DomainError as exc:
            form.add_error("file" if exc.field == "file" else None, exc.message)
        else:
            messages.success(request, _("%(name)s received; it is being checked.") % {"name": upload.original_name})
            return redirect("upload_detail", pk=upload.pk)
    return render(request, "reminders/upload_new.html", {
        "form": form, "has_codes": registrations.exists(), "columns": _column_help(),
        "max_rows": max_rows, "max_megabytes": max_bytes // (1024 * 1024),
    })


@company_view()
@require_GET
def upload_list(request):
    page = Paginator(
        company_queryset(request, Upload).select_related("registration__biller_code", "uploaded_by")
        .order_by("-created_at", "-id"), 50,
    ).get_page(request.GET.get("page"))
    return render(request, "reminders/upload_list.html", {"page": page})


def _upload_of(request, pk):
    return company_object_or_404(
        request, Upload.objects.select_related("registration__biller_code", "uploaded_by", "submitted_by",
                                               "approved_by", "rejected_by", "duplicate_of"), pk=pk)


@company_view()
@require_GET
def upload_detail(request, pk):
    upload = _upload_of(request, pk)
    errors = Paginator(uploads.upload_errors(upload), ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    available = quota_available(upload.registration)
    return render(request, "reminders/upload_detail.html", {
        "upload": upload, "errors": errors, "quota_available_now": max(available, 0),
        "quota_short": upload.status == Upload.Status.VALIDATED and available < upload.valid_rows,
        "quota_missing": max(upload.valid_rows - max(available, 0), 0),
        "reject_form": UploadRejectForm(),
        "progress_url": reverse("upload_progress", args=[upload.pk]),
        "working_label": WORKING.get(upload.working_on, ""),
        # What the upload's valid rows (bills, once sent) add up to, and the first of them.
        "worth": amounts.upload_worth(upload),
    })


@company_view()
@require_GET
def upload_progress(request, pk):
    upload = company_object_or_404(
        request, Upload.objects.only("status", "rows_read", "rows_total", "working_on", "company"), pk=pk)
    percent = None
    if upload.working_on:
        message = str(WORKING.get(upload.working_on, ""))
    elif upload.rows_total:
        percent = min(100, round(100 * upload.rows_read / upload.rows_total))
        message = ngettext("%(read)s of about %(total)s row read.", "%(read)s of about %(total)s rows read.",
                           upload.rows_total) % {"read": number_format(upload.rows_read, force_grouping=True),
                                                 "total": number_format(upload.rows_total, force_grouping=True)}
    else:
        message = ngettext("%(read)s row read so far.", "%(read)s rows read so far.", upload.rows_read) % {
            "read": number_format(upload.rows_read, force_grouping=True)}
    return JsonResponse({
        "status": upload.status, "status_label": upload.get_status_display(), "done": not upload.is_busy,
        "rows_read": upload.rows_read, "rows_total": upload.rows_total, "percent": percent, "message": message,
    })


@company_view()
@require_GET
def upload_error_file(request, pk, file_format):
    upload = _upload_of(request, pk)
    if not upload.is_done_reading or upload.status == Upload.Status.REFUSED:
        raise Http404
    if file_format == "xlsx" and upload.file_format != "xlsx":
        raise Http404
    if upload.files_removed_at:
        messages.error(request, _("The file of upload #%(id)s and its list of problems were removed on %(date)s, "
                                  "as uploaded files are kept only for a while; the error file can no longer be "
                                  "made.") % {"id": upload.pk, "date": date_format(
                                      timezone.localtime(upload.files_removed_at), "d/m/Y")})
        return redirect("upload_detail", pk=upload.pk)
    stem = upload.original_name.rsplit(".", 1)[0]
    filename = f"{stem}-errors.{file_format}"
    rows = uploads.upload_error_file_rows(upload)
    try:
        header = next(rows)
    except FileRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("upload_detail", pk=upload.pk)
    if file_format == "csv":
        return csv_response(filename, header, rows)
    spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    write_xlsx(_with_header(header, rows), spool, sheet_title="Errors")
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


def _with_header(header, rows):
    yield header
    yield from rows


def _decide(request, pk, action, asked_message, reason=""):
    upload = _upload_of(request, pk)
    try:
        uploads.upload_decide(upload=upload, action=action, actor=request.user, reason=reason, request=request)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, asked_message % {"name": upload.original_name})
    return redirect("upload_detail", pk=upload.pk)


@company_view(Role.MAKER)
@require_POST
def upload_submit(request, pk):
    return _decide(request, pk, "submit", _("%(name)s is being submitted."))


@company_view(Role.MAKER)
@require_POST
def upload_discard(request, pk):
    return _decide(request, pk, "discard", _("%(name)s is being discarded."))


@company_view(Role.APPROVER)
@require_POST
def upload_approve(request, pk):
    return _decide(request, pk, "approve", _("%(name)s is being approved."))


@company_view(Role.APPROVER)
@require_POST
def upload_reject(request, pk):
    form = UploadRejectForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _decide(request, pk, "reject", _("%(name)s is being rejected."), reason=reason)
