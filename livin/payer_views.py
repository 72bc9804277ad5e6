"""The payer's side of the sandbox: a phone's Livin' inbox and bills on display, and paying one."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fileformat.amounts import parse_amount
from fileformat.errors import CellError
from livin import display
from livin.models import DisplayedBill, LivinUser


def phones(request):
    return render(request, "livin/phones.html", {"users": LivinUser.objects.order_by("phone")})


def phone(request, phone):
    user = LivinUser.objects.filter(phone=phone).first()
    return render(request, "livin/phone.html", {
        "phone": phone, "livin_user": user, "bills": display.bills_shown(phone),
        "inbox": display.inbox(phone)[:50], "channels": DisplayedBill.Channel.choices,
    })


@require_POST
def pay(request, phone, reference):
    try:
        amount = parse_amount(request.POST.get("amount", ""))
    except CellError as exc:
        messages.error(request, exc.message)
        return redirect("livin_phone", phone=phone)
    try:
        display.pay(reference=reference, phone=phone, amount=amount, channel=request.POST.get("channel", ""))
    except display.SandboxRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Payment successful. The biller has been told."))
    return redirect("livin_phone", phone=phone)
