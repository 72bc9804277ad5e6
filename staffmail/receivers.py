"""What each event e-mails, and to whom (the events of ``core.events`` and ``reminders.lifecycle``)."""

from django.utils.translation import gettext_lazy as _

from billers.models import Role, ServiceChangeRequest
from core import events
from core.links import console_link
from quota.models import TopUpOrder
from reminders.models import Upload
from staffmail.models import MailKind
from staffmail.services import queue, recipients


def _about(request) -> dict:
    """What a request is, for the e-mail about it: its kind, its words and its page."""
    if isinstance(request, Upload):
        return {"what": "upload", "number": request.pk, "code": request.registration.code,
                "name": request.original_name, "bills": request.bills_created,
                "link": console_link("upload_detail", request.pk)}
    if isinstance(request, ServiceChangeRequest):
        return {"what": f"service_{request.action}", "number": request.pk, "code": request.registration.code,
                "link": console_link("approval_queue")}
    if isinstance(request, TopUpOrder):
        return {"what": "topup", "number": request.pk, "code": request.registration.code, "units": request.units,
                "total": request.total, "link": console_link("topup_detail", request.pk)}
    raise TypeError(f"No e-mail for a request of type {type(request).__name__}")


def _reference(request) -> str:
    return f"{type(request).__name__.lower()}:{request.pk}"


def approval_waiting(sender, *, request, company, requested_by, **kwargs) -> None:
    about = _about(request)
    if about["what"] != "upload":
        about["link"] = console_link("approval_queue")
    queue(kind=MailKind.APPROVAL_WAITING, reference=_reference(request) + ":waiting",
          users=recipients(company, MailKind.APPROVAL_WAITING, roles=(Role.APPROVER,), excluding=(requested_by,)),
          template="approval_waiting", subject=_("Waiting for your approval: %(title)s"),
          context={**about, "requested_by": requested_by, "title": _title(about)})


def request_decided(sender, *, request, company, requested_by, decided_by, approved, reason="", **kwargs) -> None:
    about = _about(request)
    subject = _("Approved: %(title)s") if approved else _("Turned down: %(title)s")
    queue(kind=MailKind.REQUEST_DECIDED, reference=_reference(request) + ":decided",
          users=recipients(company, MailKind.REQUEST_DECIDED, users=[requested_by]),
          template="request_decided", subject=subject,
          context={**about, "decided_by": decided_by, "approved": approved, "reason": reason,
                   "title": _title(about)})


def upload_checked(upload) -> None:
    refused = upload.status == Upload.Status.REFUSED
    queue(kind=MailKind.UPLOAD_CHECKED, reference=f"upload:{upload.pk}:checked",
          users=recipients(upload.company_id, MailKind.UPLOAD_CHECKED, users=[upload.uploaded_by]),
          template="upload_checked",
          subject=_("Upload refused: %(name)s") if refused else _("Upload checked: %(name)s"),
          context={"upload": upload, "refused": refused, "name": upload.original_name,
                   "code": upload.registration.code, "link": console_link("upload_detail", upload.pk)})


def quota_low(sender, *, accounts, **kwargs) -> None:
    for account in accounts:
        registration = account.registration
        queue(kind=MailKind.QUOTA_LOW,
              # once per crossing: the crossing is named by when it was said
              reference=f"quota:{registration.pk}:low:{account.low_said_at:%Y%m%d%H%M%S}",
              users=recipients(account.company_id, MailKind.QUOTA_LOW, roles=(Role.ADMIN, Role.MAKER)),
              template="quota_low", subject=_("Quota low for biller code %(code)s: %(available)s left"),
              context={"code": registration.code, "available": account.available,
                       "threshold": registration.low_quota_threshold,
                       "link": console_link("quota_detail", registration.pk)})


def topup_expiring(order: TopUpOrder) -> int:
    return queue(kind=MailKind.TOPUP_EXPIRING, reference=f"topuporder:{order.pk}:expiring",
                 users=recipients(order.company_id, MailKind.TOPUP_EXPIRING, users=[order.requested_by]),
                 template="topup_expiring",
                 subject=_("Pay top-up #%(number)s before %(expires)s WIB"),
                 context={"number": order.pk, "code": order.registration.code, "order": order,
                          "expires": _wib(order.expires_at), "link": console_link("topup_detail", order.pk)})


def _wib(moment) -> str:
    from core.time import WIB

    return moment.astimezone(WIB).strftime("%d/%m/%Y %H:%M")


def _title(about: dict):
    """The request in a few words, in the reader's language (evaluated when the e-mail is rendered)."""
    return _Title(about)


class _Title:
    def __init__(self, about):
        self.about = about

    def __str__(self):
        about = self.about
        titles = {
            "upload": _("upload #%(number)s of %(code)s (%(name)s)"),
            "service_stop": _("stop the service of biller code %(code)s"),
            "service_resume": _("resume the service of biller code %(code)s"),
            "topup": _("top-up #%(number)s of %(units)s pushes for %(code)s"),
        }
        return str(titles[about["what"]]) % about



def connect() -> None:
    from reminders import lifecycle

    events.approval_waiting.connect(approval_waiting, dispatch_uid="staffmail.approval_waiting")
    events.request_decided.connect(request_decided, dispatch_uid="staffmail.request_decided")
    events.quota_low.connect(quota_low, dispatch_uid="staffmail.quota_low")
    lifecycle.on_upload_checked(upload_checked)
