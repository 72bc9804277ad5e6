"""Template context shared by every console page."""


def console(request) -> dict:
    user = getattr(request, "user", None)
    signed_in = bool(
        user is not None
        and user.is_authenticated
        and user.company_id is not None
        and (not user.needs_two_factor or user.is_verified())
    )
    return {"console_signed_in": signed_in}
