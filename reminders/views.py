"""Console pages of the reminders app: single entry, bills, a bill's timeline, cancel."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from billers.models import Registration, Role
from kopra.errors import DomainError
from kopra.tenancy import company_object_or_404, company_queryset, company_view
from reminders import services
from reminders.forms import FIELD_LABELS, BillCancelForm, BillEntryForm
from reminders.models import Bill, BillSource, BillStatus

# Problems name the form field itself; the form shows each next to its field.
FORM_NAMES = services.field_names({column: column for column in FIELD_LABELS})


@company_view(Role.MAKER)
@require_http_methods(["GET", "POST"])
def bill_entry(request):
    registrations = company_queryset(request, Registration).filter(status=Registration.Status.ACTIVE)
    form = BillEntryForm(request.POST or None, registrations=registrations.select_related("biller_code"))
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


@company_view()
def bill_list(request):
    bills = company_queryset(request, Bill).select_related("registration__biller_code")
    status = request.GET.get("status", "")
    if status in BillStatus.values:
        bills = bills.filter(status=status)
    page = Paginator(bills.order_by("-created_at", "-id"), 50).get_page(request.GET.get("page"))
    return render(request, "reminders/bill_list.html",
                  {"page": page, "status": status, "statuses": BillStatus.choices})


@company_view()
def bill_detail(request, reference_no):
    bill = company_object_or_404(request, Bill.objects.select_related("registration__biller_code"),
                                 reference_no=reference_no)
    return render(request, "reminders/bill_detail.html", {
        "bill": bill,
        "events": bill.events.order_by("at", "id"),
        "attempts": bill.attempts.order_by("at", "id"),
        "callbacks": bill.callbacks.prefetch_related("attempt_log").order_by("created_at", "id"),
        "cancel_form": BillCancelForm(),
    })


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
