"""Console pages of the quota app: balances, the statement per day or month and its movements per code,
top-up orders and receipts."""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from billers.models import CollectionAccount, Registration, Role
from billers.registrations import registration_set_threshold
from billers.selectors import paginate
from core.downloads import csv_response, xlsx_response
from core.errors import DomainError
from core.tenancy import company_object_or_404, company_queryset, company_view
from core.time import WIB
from quota import selectors, topups
from quota.forms import MovementFilterForm, RefuseForm, StatementForm, ThresholdForm, TopUpForm
from quota.models import TopUpOrder
from quota.payments import payments_ready

# Export columns, as the statement's figures are named in quota.selectors.StatementLine.
STATEMENT_FIGURES = ["opening_balance", "granted", "topped_up", "adjusted", "consumed", "closing_balance",
                     "opening_reserved", "reserved", "released", "closing_reserved", "closing_available"]
MOVEMENT_HEADER = ["time", "kind", "units", "balance_after", "reserved_after", "cause", "cause_reference",
                   "ledger_reference", "reason", "by"]


def _registration(request, pk) -> Registration:
    return company_object_or_404(request, Registration.objects.select_related("biller_code", "company"), pk=pk)


def _order(request, pk) -> TopUpOrder:
    return company_object_or_404(
        request, TopUpOrder.objects.select_related("registration__biller_code", "requested_by", "approved_by",
                                                   "package", "company"),
        pk=pk,
    )


@company_view()
def quota_overview(request):
    registrations = selectors.registrations_with_quota(request.company)
    return render(request, "quota/overview.html", {"registrations": registrations})


def _today():
    return timezone.localdate(timezone=WIB)


def _period_errors(form) -> list[str]:
    """The form's errors as sentences naming the field they are about."""
    return [f"{form.fields[name].label}: {error}" if name in form.fields else error
            for name, errors in form.errors.items() for error in errors]


@company_view()
def quota_detail(request, pk):
    """The code's figures and its statement per day or month over a period, with exports."""
    registration = _registration(request, pk)
    form = StatementForm(request.GET, today=_today())
    statement = None
    if form.is_valid():
        first, last = form.period()
        statement = selectors.quota_statement(request.company, registration=registration, first=first, last=last,
                                              by=form.cleaned_data["by"])
        export = request.GET.get("format")
        if export in ("csv", "xlsx"):
            return _statement_export(registration, statement, export)
    period = {"date_from": f"{statement.first:%d/%m/%Y}", "date_to": f"{statement.last:%d/%m/%Y}"} if statement else {}
    return render(request, "quota/detail.html", {
        "registration": registration,
        "summary": selectors.quota_summary(registration),
        "form": form,
        "errors": _period_errors(form),
        "statement": statement,
        "query": request.GET.urlencode(),
        "period_query": urlencode(period),
        "orders": selectors.topup_orders(request.company, registration=registration)[:20],
        "threshold_form": ThresholdForm(initial={"threshold": registration.low_quota_threshold}),
        "agreement": selectors.agreement_in_force(company=request.company, biller_code=registration.biller_code),
    }, status=200 if form.is_valid() else 400)


def _statement_export(registration, statement, export):
    by = statement.by
    header = [by, *STATEMENT_FIGURES]
    rows = ([line.first.strftime("%Y-%m") if by == "month" else (line.first if export == "xlsx"
                                                                   else line.first.isoformat()),
             *(getattr(line, figure) for figure in STATEMENT_FIGURES)] for line in statement.lines)
    name = f"quota-{registration.code}-{by}-{statement.first:%Y%m%d}-{statement.last:%Y%m%d}.{export}"
    if export == "csv":
        return csv_response(name, header, rows)
    return xlsx_response(name, header, rows, sheet_title=f"Quota {registration.code}")


@company_view()
def quota_movements(request, pk):
    """Every movement of a period (one day, from the statement), each linked to the bill, upload
    or top-up order it was booked for; with exports."""
    registration = _registration(request, pk)
    form = MovementFilterForm(request.GET, today=_today())
    if not form.is_valid():
        return render(request, "quota/movements.html", {
            "registration": registration, "form": form, "errors": _period_errors(form), "page": None,
        }, status=400)
    first, last = form.period()
    entries = selectors.ledger_entries(request.company, registration=registration,
                                       kind=form.cleaned_data["kind"], date_from=first, date_to=last)
    export = request.GET.get("format")
    if export in ("csv", "xlsx"):
        rows = ([e.created_at if export == "xlsx" else timezone.localtime(e.created_at, WIB).strftime(
            "%Y-%m-%d %H:%M:%S"), e.kind, e.units, e.balance_after, e.reserved_after, e.cause.kind or "other",
            e.cause.key, e.reference, e.reason, e.actor.user_id if e.actor else "system"]
            for e in selectors.movements_with_causes(request.company, entries))
        name = f"quota-{registration.code}-movements-{first:%Y%m%d}-{last:%Y%m%d}.{export}"
        if export == "csv":
            return csv_response(name, MOVEMENT_HEADER, rows)
        return xlsx_response(name, MOVEMENT_HEADER, rows, sheet_title=f"Quota {registration.code}")
    page = paginate(entries, request.GET.get("page"))
    page.object_list = selectors.with_causes(request.company, page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    day = first if first == last else None
    return render(request, "quota/movements.html", {
        "registration": registration, "form": form, "errors": [], "page": page, "first": first, "last": last,
        "query": query.urlencode(),
        "day": day,
        "day_line": selectors.quota_statement(request.company, registration=registration, first=day, last=day,
                                              ).total if day else None,
        "previous_day": day - timedelta(days=1) if day else None,
        "next_day": day + timedelta(days=1) if day else None,
    })


@company_view(Role.ADMIN)
@require_POST
def quota_threshold(request, pk):
    registration = _registration(request, pk)
    form = ThresholdForm(request.POST)
    if form.is_valid():
        registration_set_threshold(registration=registration, actor=request.user, request=request,
                                   threshold=form.cleaned_data["threshold"])
        threshold = number_format(form.cleaned_data["threshold"], force_grouping=True)
        messages.success(request, ngettext("The console now warns when %(code)s has fewer than %(n)s push available.",
                                           "The console now warns when %(code)s has fewer than %(n)s pushes available.",
                                           form.cleaned_data["threshold"])
                         % {"code": registration.code, "n": threshold})
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("quota_detail", pk=registration.pk)


# --- Top-ups ----------------------------------------------------------------------------


@company_view(Role.MAKER)
@require_http_methods(["GET", "POST"])
def topup_new(request, pk):
    """Two steps: the maker fills the order and sees its price, then confirms it."""
    registration = _registration(request, pk)
    try:
        payments_ready()
    except DomainError as refused:
        messages.error(request, refused.message)
        return redirect("quota_detail", pk=registration.pk)
    agreement = selectors.agreement_in_force(company=request.company, biller_code=registration.biller_code)
    if agreement is None:
        messages.error(request, _("No tariff agreement is in force for %(code)s; ask the bank.")
                       % {"code": registration.code})
        return redirect("quota_detail", pk=registration.pk)
    accounts = company_queryset(request, CollectionAccount).filter(status=CollectionAccount.Status.ACTIVE)
    form = TopUpForm(request.POST if request.method == "POST" else None, agreement=agreement,
                     accounts=accounts)
    quote = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if request.POST.get("confirm") == "1":
                order = topups.topup_request(
                    registration=registration, actor=request.user, method=data["method"], units=data["units"],
                    package=data["package"], debit_account=data["debit_account"], request=request,
                )
                messages.success(request, _order_message(order))
                return redirect("topup_detail", pk=order.pk)
            quote = selectors.topup_quote(registration=registration, units=data["units"], package=data["package"])
        except DomainError as refused:
            form.add_error(refused.field if refused.field in form.fields else None, refused.message)
    packages = [(package, selectors.topup_quote(registration=registration, package=package))
                for package in agreement.packages.all()]
    return render(request, "quota/topup_new.html", {
        "registration": registration, "agreement": agreement, "form": form, "quote": quote, "packages": packages,
    })


def _order_message(order: TopUpOrder) -> str:
    if order.status == TopUpOrder.Status.PENDING_APPROVAL:
        return _("Top-up #%(id)s waits for an approver.") % {"id": order.pk}
    if order.status == TopUpOrder.Status.AWAITING_PAYMENT and order.method == TopUpOrder.Method.DEBIT:
        return _("Top-up #%(id)s: the bank has not answered the debit yet. It is asked again every minute and "
                 "debits the order only once; this page shows the outcome.") % {"id": order.pk}
    if order.status == TopUpOrder.Status.AWAITING_PAYMENT:
        return _("Top-up #%(id)s: pay to virtual account %(va)s before it expires.") % {
            "id": order.pk, "va": order.va_number}
    if order.status == TopUpOrder.Status.PAID:
        return ngettext("Top-up #%(id)s is paid: %(units)s push credited to %(code)s.",
                        "Top-up #%(id)s is paid: %(units)s pushes credited to %(code)s.", order.units) % {
            "id": order.pk, "units": number_format(order.units, force_grouping=True), "code": order.registration.code}
    return _("Top-up #%(id)s was refused: %(reason)s") % {"id": order.pk, "reason": order.refusal_reason}


@company_view()
def topup_list(request):
    orders = selectors.topup_orders(request.company)
    status = request.GET.get("status", "")
    if status in TopUpOrder.Status.values:
        orders = orders.filter(status=status)
    return render(request, "quota/topup_list.html", {
        "page": paginate(orders, request.GET.get("page")), "status": status, "statuses": TopUpOrder.Status.choices,
        "query": f"status={status}" if status else "",
    })


@company_view()
def topup_detail(request, pk):
    return render(request, "quota/topup_detail.html", {"order": _order(request, pk), "refuse_form": RefuseForm()})


def _act(request, pk, act):
    order = _order(request, pk)
    try:
        order = act(order)
    except DomainError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _order_message(order) if order.status != TopUpOrder.Status.CANCELLED
                         else _("Top-up #%(id)s cancelled.") % {"id": order.pk})
    return redirect("topup_detail", pk=order.pk)


@company_view(Role.APPROVER)
@require_POST
def topup_approve(request, pk):
    return _act(request, pk, lambda order: topups.topup_approve(order=order, approver=request.user,
                                                                  request=request))


@company_view(Role.APPROVER)
@require_POST
def topup_refuse(request, pk):
    form = RefuseForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _act(request, pk, lambda order: topups.topup_refuse(order=order, approver=request.user, reason=reason,
                                                                 request=request))


@company_view(Role.MAKER)
@require_POST
def topup_cancel(request, pk):
    return _act(request, pk, lambda order: topups.topup_cancel(order=order, actor=request.user, request=request))


@company_view(Role.MAKER, Role.APPROVER)
@require_POST
def topup_collect_debit(request, pk):
    return _act(request, pk, lambda order: topups.topup_collect_debit(order=order, request=request))


@company_view()
def topup_receipt(request, pk):
    order = _order(request, pk)
    if order.status != TopUpOrder.Status.PAID:
        raise Http404("Only a paid top-up has a receipt.")
    return render(request, "quota/receipt.html", {"order": order})
