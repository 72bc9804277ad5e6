"""The console-wide low-quota warning."""

from django import template

from quota.selectors import low_quota_registrations

register = template.Library()


@register.inclusion_tag("quota/low_quota_banner.html", takes_context=True)
def low_quota_banner(context):
    """Registered codes of the signed-in user's company whose available quota is below its threshold."""
    user = context.get("user")
    company = getattr(user, "company", None) if getattr(user, "is_authenticated", False) else None
    return {"low": low_quota_registrations(company) if company is not None else []}
