"""Template context shared by every console page."""

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
        # Without a Livin' gateway bills are kept but never shown to payers: say so on every page.
        "livin_unconfigured": signed_in and not configured("LIVIN_GATEWAY"),
    }
