"""Four eyes: who may approve a request made by someone else in the company."""

from django.utils.translation import gettext as _

from billers.models import Role, User
from core.errors import NotAllowed


def ensure_can_approve(*, requested_by: User, approver: User) -> None:
    """Refuses unless ``approver`` is an approver of the same company and not the maker."""
    if approver.company_id is None or approver.company_id != requested_by.company_id:
        raise NotAllowed(_("Only an approver of the same company can approve this."))
    if not approver.has_role(Role.APPROVER):
        raise NotAllowed(_("Only a user with the approver role can approve this."))
    if approver.pk == requested_by.pk:
        raise NotAllowed(_("You made this request, so another approver must approve it."))
