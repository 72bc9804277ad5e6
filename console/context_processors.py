"""Template context shared by every console page."""

from console.approval_queue import waiting_for
from core.plugins import configured


def console(request) -> dict:
    user = getattr(request, "user", None)
    signed_in = bool(
        user is not None
        and user.is_authenticated
        and user.company_id is not None
        and (not user.needs_two_factor or user.is_verified())
    )
    return {
        "console_signed_in": signed_in,
        # Called only where a page shows it (the menu's badge, the dashboard), then kept for the request.
        "approvals_waiting": (lambda: waiting_for(request)) if signed_in and user.is_approver else 0,
        # Without a Livin' gateway bills are kept but never shown to payers: say so on every page.
        "livin_unconfigured": signed_in and not configured("LIVIN_GATEWAY"),
    }
