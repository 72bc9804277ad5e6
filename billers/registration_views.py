"""Console pages of biller-code registration and of stopping or resuming a code's service."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from billers import registrations, selectors
from billers.forms import ServiceChangeForm
from billers.models import BillerCode, Registration, Role, ServiceChangeRequest
from core.errors import DomainError
from core.tenancy import company_object_or_404, company_view
from quota.selectors import quota_available


@company_view()
def biller_codes(request):
    """Every registry code of the company: registered ones with their service status, others with why not."""
    return render(request, "billers/biller_codes.html", {
        "rows": selectors.registry_codes(request.company),
        "changes": selectors.service_change_requests(request.company)[:20],
        "change_form": ServiceChangeForm(),
    })


@company_view(Role.ADMIN)
@require_POST
def registration_create(request, pk):
    biller_code = company_object_or_404(request, BillerCode.objects.select_related("collection_account"), pk=pk)
    try:
        registration = registrations.registration_create(company=request.company, biller_code=biller_code,
                                                         actor=request.user, request=request)
    except DomainError as refused:
        messages.error(request, refused.message)
    else:
        available = quota_available(registration)
        messages.success(request, ngettext("Biller code %(code)s is registered for Bill Reminder with %(units)s push.",
                                           "Biller code %(code)s is registered for Bill Reminder with %(units)s "
                                           "pushes.",
                                           available)
                         % {"code": registration.code, "units": number_format(available, force_grouping=True)})
    return redirect("biller_codes")


def _request_change(request, pk, action):
    registration = company_object_or_404(request, Registration.objects.select_related("biller_code"), pk=pk)
    form = ServiceChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("biller_codes")
    try:
        change = registrations.service_change_request(registration=registration, action=action, actor=request.user,
                                                      reason=form.cleaned_data["reason"], request=request)
    except DomainError as refused:
        messages.error(request, refused.message)
    else:
        if change.status == ServiceChangeRequest.Status.APPLIED:
            text = (_("Service of %(code)s stopped.") if action == ServiceChangeRequest.Action.STOP
                    else _("Service of %(code)s resumed."))
        else:
            text = _("Your request for %(code)s waits for an approver.")
        messages.success(request, text % {"code": registration.code})
    return redirect("biller_codes")


@company_view(Role.MAKER, Role.ADMIN)
@require_POST
def service_stop_request(request, pk):
    return _request_change(request, pk, ServiceChangeRequest.Action.STOP)


@company_view(Role.MAKER, Role.ADMIN)
@require_POST
def service_resume_request(request, pk):
    return _request_change(request, pk, ServiceChangeRequest.Action.RESUME)


def _decide(request, pk, decide, done_text):
    change = company_object_or_404(request, ServiceChangeRequest.objects.select_related("registration__biller_code"),
                                   pk=pk)
    try:
        decide(change)
    except DomainError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, done_text % {"code": change.registration.code})
    return redirect("biller_codes")


@company_view(Role.APPROVER)
@require_POST
def service_change_approve(request, pk):
    return _decide(request, pk, lambda change: registrations.service_change_approve(
        change=change, approver=request.user, request=request), _("Request for %(code)s approved and applied."))


@company_view(Role.APPROVER)
@require_POST
def service_change_reject(request, pk):
    return _decide(request, pk, lambda change: registrations.service_change_reject(
        change=change, approver=request.user, request=request), _("Request for %(code)s rejected."))


@company_view(Role.MAKER, Role.ADMIN)
@require_POST
def service_change_cancel(request, pk):
    return _decide(request, pk, lambda change: registrations.service_change_cancel(
        change=change, actor=request.user, request=request), _("Request for %(code)s cancelled."))
