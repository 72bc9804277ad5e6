"""The console-wide low-quota warning, and the reasons on the quota statement."""

import re

from django import template
from django.utils.translation import gettext

from quota.selectors import low_quota_registrations
from quota.services import INITIAL_QUOTA_REASON

register = template.Library()


@register.inclusion_tag("quota/low_quota_banner.html", takes_context=True)
def low_quota_banner(context):
    """Registered codes of the signed-in user's company whose available quota is below its threshold."""
    user = context.get("user")
    company = getattr(user, "company", None) if getattr(user, "is_authenticated", False) else None
    # Only a maker can top up: the others are shown the quota and told who can.
    return {"low": low_quota_registrations(company) if company is not None else [], "user": user}


# As quota.topups writes it when a payment is credited.
TOPUP_PAID = re.compile(r"Top-up #(?P<id>\d+) paid \((?P<reference>[^()]+)\)")


@register.filter
def ledger_reason(reason: str) -> str:
    """A ledger entry's reason in the reader's language when the system wrote it; a person's as typed."""
    if reason == INITIAL_QUOTA_REASON:
        return gettext(reason)
    found = TOPUP_PAID.fullmatch(reason or "")
    if found:
        return gettext("Top-up #%(id)s paid (%(reference)s)") % found.groupdict()
    return reason
