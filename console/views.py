"""Console pages that read across apps: the dashboard, the approval queue, the reports; and the
project-wide pages: language switch, help, and error pages that never show a stack trace."""

import datetime as dt
import tempfile

from django.conf import settings
from django.contrib import messages
from django.contrib.humanize.templatetags.humanize import intcomma
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language as django_set_language

from billers import registration_views
from billers import selectors as billers_selectors
from billers.models import Registration, Role
from console import guides, notices, reports
from console.approval_queue import approval_queue as queue_of
from console.dashboard import dashboard, period_range
from console.forms import DashboardForm, ReportForm
from console.models import DecisionNotice
from core.downloads import csv_response
from core.errors import DomainError
from core.exports import write_xlsx
from core.money import rupiah
from core.tenancy import company_queryset, company_view
from core.time import WIB
from quota import views as quota_views
from reminders import selectors as reminders_selectors
from reminders import services as reminders_services
from reminders import upload_views

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@company_view()
def home(request):
    """The dashboard of the company, or of one of its codes (``?code=<registration id>``)."""
    registrations = billers_selectors.registrations_of(request.company)
    chosen = next((r for r in registrations if str(r.pk) == request.GET.get("code", "")), None)
    # A company admin is told when one of its users was locked out of sign-in.
    lockouts = (billers_selectors.recent_lockouts(request.company, since=timezone.now() - dt.timedelta(days=7))
                if request.user.has_role(Role.ADMIN) else [])
    today = timezone.now().astimezone(WIB).date()
    # The money's period; a period written wrong is said so by the form, and this month shown meanwhile.
    period = DashboardForm(request.GET, today=today)
    chosen_period = period.cleaned_data["period"] if period.is_valid() else "this_month"
    first, last = ((period.cleaned_data["date_from"], period.cleaned_data["date_to"]) if period.is_valid()
                   else period_range(chosen_period, today))
    # What waits for this user: requests to decide (approvers, in the context), decisions on their requests (makers).
    decided, decided_count = notices.notices_unseen(request.user) if request.user.has_role(Role.MAKER) else ([], 0)
    return render(request, "console/home.html", {
        "registrations": registrations, "chosen": chosen, "lockouts": lockouts,
        "decided": decided, "decided_count": decided_count,
        "period": period,
        "board": dashboard(request.company, registration=chosen, first=first, last=last, period=chosen_period),
    })


@company_view()
@require_POST
def notice_dismiss(request, pk=None):
    """The maker has read a decision on their request (or, without ``pk``, all of them)."""
    if pk is not None:
        get_object_or_404(DecisionNotice, pk=pk, company=request.company, user=request.user)
    notices.notices_dismiss(user=request.user, pk=pk)
    return redirect(reverse("home") + "#decided")


@company_view(Role.APPROVER)
@require_GET
def approval_queue(request):
    queue = queue_of(request.company, request.user)
    request.approvals_waiting = queue["count"]  # the menu's badge, without counting again
    return render(request, "console/approvals.html", {"queue": queue})


# One way to decide each request: the queue's buttons go through the request's own page
# view (its guard, its service, its messages); only where the user lands afterwards differs.
DECISIONS = {
    ("upload", "approve"): upload_views.upload_approve,
    ("upload", "reject"): upload_views.upload_reject,
    ("topup", "approve"): quota_views.topup_approve,
    ("topup", "reject"): quota_views.topup_refuse,
    ("change", "approve"): registration_views.service_change_approve,
    ("change", "reject"): registration_views.service_change_reject,
}


@company_view(Role.APPROVER)
@require_POST
def approval_decide(request, kind, pk, decision):
    view = DECISIONS.get((kind, decision))
    if view is None:
        raise Http404("No such decision.")
    response = view(request, pk=pk)
    if 300 <= response.status_code < 400:
        return redirect("approval_queue")
    return response


@company_view(Role.APPROVER)
@require_POST
def api_bills_decide(request, registration, day, decision):
    """Receives or rejects the bills one code was sent through the Open API on one day."""
    if decision not in ("approve", "reject"):
        raise Http404("No such decision.")
    try:
        date = dt.date.fromisoformat(day)
    except ValueError as exc:
        raise Http404("No such day.") from exc
    bills = reminders_selectors.api_bills_waiting_on(request.company, registration, date)
    try:
        moved, total = reminders_services.api_bills_decide(
            bills=bills, approve=decision == "approve", actor=request.user, reason=request.POST.get("reason", ""),
            request=request)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("approval_queue")
    if decision == "approve":
        messages.success(request, ngettext(
            "%(count)s bill of %(total)s received; it is shown in Livin' from its start.",
            "%(count)s bills of %(total)s received; they are shown in Livin' from their start.", moved,
        ) % {"count": intcomma(moved), "total": rupiah(total)})
    else:
        messages.success(request, ngettext(
            "%(count)s bill of %(total)s rejected; its push was given back.",
            "%(count)s bills of %(total)s rejected; their pushes were given back.", moved,
        ) % {"count": intcomma(moved), "total": rupiah(total)})
    return redirect("approval_queue")


def _report_form(request) -> ReportForm:
    registrations = (company_queryset(request, Registration).select_related("biller_code")
                     .order_by("biller_code__code"))
    today = timezone.now().astimezone(WIB).date()
    params = request.GET.copy()
    # The range the report covers is shown in the form, the default one included.
    period = params.get("period") if params.get("period") in reports.PERIODS else "day"
    start, end = reports.default_range(period, today)
    params["period"] = period
    params.setdefault("date_from", start.isoformat())
    params.setdefault("date_to", end.isoformat())
    for name in ("date_from", "date_to"):
        params[name] = params[name] or {"date_from": start, "date_to": end}[name].isoformat()
    return ReportForm(params, registrations=registrations, today=today)


@company_view()
@require_GET
def report(request):
    form = _report_form(request)
    result = None
    if form.is_valid():
        data = form.cleaned_data
        result = reports.report(request.company, period=data["period"], date_from=data["date_from"],
                                date_to=data["date_to"], registration=data["code"])
    query = request.GET.urlencode()
    return render(request, "console/report.html", {"form": form, "report": result, "query": query})


@company_view()
@require_GET
def report_export(request, file_format):
    form = _report_form(request)
    if not form.is_valid():
        return redirect(reverse("report") + "?" + request.GET.urlencode())
    data = form.cleaned_data
    result = reports.report(request.company, period=data["period"], date_from=data["date_from"],
                            date_to=data["date_to"], registration=data["code"])
    code = data["code"].code if data["code"] else "all"
    filename = f"report-{request.company.company_id}-{code}-{data['period']}-{data['date_from']:%Y%m%d}-" \
               f"{data['date_to']:%Y%m%d}.{file_format}"
    if file_format == "csv":
        return csv_response(filename, reports.EXPORT_HEADER,
                            ([row[0].isoformat(), *row[1:]] for row in reports.export_rows(result)))
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    write_xlsx([reports.EXPORT_HEADER, *reports.export_rows(result)], spool, sheet_title="Report")
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


# --- Project-wide pages ----------------------------------------------------------------


@require_POST
def set_language(request):
    """Switches the language, and remembers it for the signed-in user."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        from billers.services import user_set_language

        user_set_language(user=request.user, language=language)
    return response


def help_page(request):
    """What the service is, who may use it, quota, stopping, risks and contacts; readable before sign-in."""
    return render(request, "help.html", {"guides": guides.GUIDES})


def guide(request, slug):
    """One of the guides in the repository's docs/ (the Open API, the bill file, operations), as a page."""
    if slug not in guides.GUIDES:
        raise Http404
    return render(request, "console/guide.html", {"guide": guides.GUIDES[slug], "html": guides.guide_html(slug)})


def _wants_json(request) -> bool:
    return request.path.startswith(("/snap/", "/api/", "/sandbox/api/")) or (
        "application/json" in request.headers.get("Accept", "")
    )


def _error(request, status: int, title, text):
    if _wants_json(request):
        # Integrators read errors in English whatever their Accept-Language, as docs/api.md fixes them.
        with translation.override("en"):
            return JsonResponse({"error": str(title), "detail": str(text)}, status=status)
    return render(request, "error.html", {"status": status, "title": title, "text": text}, status=status)


def bad_request(request, exception=None):
    return _error(request, 400, _("Bad request"), _("The request could not be understood."))


def permission_denied(request, exception=None):
    return _error(request, 403, _("Not allowed"), _("Your role does not allow this page or action."))


def page_not_found(request, exception=None):
    return _error(request, 404, _("Not found"), _("There is nothing here, or it is not yours to see."))


def server_error(request):
    return _error(request, 500, _("Something went wrong"),
                  _("The error has been logged with this request's id. Please try again."))
