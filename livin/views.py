"""The sandbox bank's payment page: pay a top-up's virtual account as a company's treasurer would."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from livin import services


class PayForm(forms.Form):
    va_number = forms.CharField(label=gettext_lazy("Virtual account number"), max_length=20)
    amount = forms.CharField(label=gettext_lazy("Amount to transfer (IDR)"), max_length=24, required=False)

    def clean_amount(self):
        raw = (self.cleaned_data.get("amount") or "").replace(",", "").replace(" ", "")
        if not raw:
            return None
        try:
            return Decimal(raw)
        except InvalidOperation:
            raise forms.ValidationError(_("Enter the amount in digits, e.g. 388500.00.")) from None


@require_http_methods(["GET", "POST"])
def sandbox_pay(request):
    """Public on purpose: it stands in for the bank's own channels (ATM, Livin', teller)."""
    form = PayForm(request.POST if request.method == "POST" else (request.GET or None))
    va = None
    if form.is_bound and form.is_valid():
        va = services.va_find(form.cleaned_data["va_number"])
        if va is None:
            form.add_error("va_number", _("There is no virtual account with this number."))
        elif request.method == "POST" and form.cleaned_data["amount"] is not None:
            try:
                services.va_pay(va_number=va.va_number, amount=form.cleaned_data["amount"])
            except (services.PaymentRefused, DomainError) as refused:
                form.add_error(None, refused.message)
            else:
                messages.success(request, _("Paid. The bank has reported the payment of virtual account %(va)s.")
                                 % {"va": va.va_number})
                return redirect(f"{request.path}?va_number={va.va_number}")
        else:
            # Found: show it, with the exact amount filled in while it can be paid.
            amount = va.amount if va.status == va.Status.OPEN else ""
            form = PayForm(initial={"va_number": va.va_number, "amount": amount})
    return render(request, "livin/pay.html", {"form": form, "va": va})
