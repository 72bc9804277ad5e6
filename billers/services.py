"""Writes of the billers app: company users, their roles, two-factor, company settings."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_otp.plugins.otp_totp.models import TOTPDevice

from billers.models import Company, Role, User
from core import audit
from core.audit import audit_record
from core.errors import Conflict, InvalidInput, NotAllowed

ROLE_FIELDS = {
    Role.ADMIN: "is_admin",
    Role.MAKER: "is_maker",
    Role.APPROVER: "is_approver",
    Role.VIEWER: "is_viewer",
}


def _role_flags(roles) -> dict[str, bool]:
    roles = set(roles)
    unknown = roles - set(ROLE_FIELDS)
    if unknown:
        raise InvalidInput(_("Unknown role: %(role)s") % {"role": ", ".join(sorted(unknown))}, field="roles")
    if not roles:
        raise InvalidInput(_("Choose at least one role."), field="roles")
    return {field: role in roles for role, field in ROLE_FIELDS.items()}


def _validated(check, *args, **kwargs) -> None:
    """Runs one of Django's validators (passwords, model fields), refusing as the services do:
    an ``InvalidInput`` naming the field, with every reason."""
    try:
        check(*args, **kwargs)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            reasons = " ".join(" ".join(errors) for errors in exc.message_dict.values())
            raise InvalidInput(reasons, field=next(iter(exc.message_dict))) from None
        raise InvalidInput(" ".join(exc.messages), field="password" if check is validate_password else None) from None


def _roles_text(user: User) -> str:
    return ", ".join(sorted(user.roles)) or "-"


def _roles_shown(user: User) -> list[Role] | str:
    """The user's roles for an audit sentence: their labels, translated when shown."""
    return [Role(role) for role in sorted(user.roles)] or "-"


def _ensure_admin_remains(company: Company, *, leaving: User) -> None:
    others = User.objects.filter(company=company, is_admin=True, is_active=True).exclude(pk=leaving.pk)
    if not others.exists():
        raise Conflict(_("The company must keep at least one active admin."))


@transaction.atomic
def user_create(
    *, company: Company, actor: User | None, user_id: str, full_name: str, password: str,
    roles, email: str = "", request=None,
) -> User:
    """Creates a company user with ``roles``; the password must pass the validators."""
    if User.objects.filter(company=company, user_id=user_id).exists():
        raise Conflict(_("User ID %(user_id)s is already taken.") % {"user_id": user_id}, field="user_id")
    # The admin chose this password: the user replaces it at their first sign-in.
    user = User(company=company, user_id=user_id, full_name=full_name, email=email, password_change_required=True,
                **_role_flags(roles))
    _validated(validate_password, password, user=user)
    user.set_password(password)
    _validated(user.full_clean, exclude=["password"])
    user.save()
    audit_record(
        action="user.created", actor=actor, company=company, request=request, obj=user,
        sentence=gettext_noop("%(actor)s created user %(user)s with roles %(roles)s"),
        params={"actor": audit.who(actor), "user": user, "roles": _roles_shown(user)},
    )
    return user


@transaction.atomic
def user_update(*, user: User, actor: User, full_name: str, email: str, roles, request=None) -> User:
    """Changes a user's name, email and roles; the last active admin keeps the admin role."""
    before, roles_before = _roles_text(user), _roles_shown(user)
    flags = _role_flags(roles)
    if user.is_admin and not flags["is_admin"]:
        _ensure_admin_remains(user.company, leaving=user)
    for field, value in flags.items():
        setattr(user, field, value)
    user.full_name, user.email = full_name, email
    user.full_clean(exclude=["password"])
    user.save()
    after = _roles_text(user)
    audit_record(action="user.updated", actor=actor, company=user.company, request=request, obj=user,
                 sentence=(gettext_noop("%(actor)s updated user %(user)s") if before == after else
                           gettext_noop("%(actor)s updated user %(user)s: roles %(before)s → %(after)s")),
                 params={"actor": actor, "user": user} if before == after else
                        {"actor": actor, "user": user, "before": roles_before, "after": _roles_shown(user)},
                 details={"roles_before": before, "roles_after": after})
    return user


@transaction.atomic
def user_set_active(*, user: User, actor: User, active: bool, request=None) -> User:
    """Enables or disables a user; a disabled user's sessions stop working at once."""
    if not active:
        if user.pk == actor.pk:
            raise NotAllowed(_("You cannot disable yourself."))
        if user.is_admin:
            _ensure_admin_remains(user.company, leaving=user)
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_record(action="user.enabled" if active else "user.disabled", actor=actor, company=user.company,
                 request=request, obj=user,
                 sentence=gettext_noop("%(actor)s enabled user %(user)s") if active else
                          gettext_noop("%(actor)s disabled user %(user)s"),
                 params={"actor": actor, "user": user})
    return user


@transaction.atomic
def user_reset_password(*, user: User, actor: User, password: str, request=None) -> User:
    """Sets a new password, which the user replaces at their next sign-in; the user's open sessions
    end (their auth hash changes)."""
    _validated(validate_password, password, user=user)
    user.set_password(password)
    user.password_change_required = True
    user.save(update_fields=["password", "password_change_required"])
    audit_record(action="user.password_reset", actor=actor, company=user.company, request=request,
                 obj=user, sentence=gettext_noop("%(actor)s reset the password of %(user)s"),
                 params={"actor": actor, "user": user})
    return user


@transaction.atomic
def user_change_own_password(*, user: User, current_password: str, new_password: str, request=None) -> User:
    """The user replaces their own password, proving the current one; an initial password given by
    an admin no longer has to be changed. The caller keeps the session signed in."""
    if not user.check_password(current_password):
        raise InvalidInput(_("The current password is not right."), field="current_password")
    if current_password == new_password:
        raise InvalidInput(_("Choose a new password that differs from the current one."), field="new_password")
    try:
        validate_password(new_password, user=user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="new_password") from None
    user.set_password(new_password)
    user.password_change_required = False
    user.save(update_fields=["password", "password_change_required"])
    audit_record(action="user.password_changed", actor=user, company=user.company, request=request, obj=user,
                 sentence=gettext_noop("%(user)s changed their password"), params={"user": user})
    return user


@transaction.atomic
def user_reset_two_factor(*, user: User, actor: User, request=None) -> None:
    """Removes the user's authenticator; they enrol a new one at their next sign-in."""
    TOTPDevice.objects.filter(user=user).delete()
    audit_record(action="user.two_factor_reset", actor=actor, company=user.company, request=request,
                 obj=user, sentence=gettext_noop("%(actor)s reset two-factor sign-in of %(user)s"),
                 params={"actor": actor, "user": user})


@transaction.atomic
def company_settings_update(*, company: Company, actor: User, changes: dict, request=None) -> Company:
    """Applies approval and sign-in settings; each change is audited with before and after."""
    allowed = {"require_two_factor", "approval_for_upload", "approval_for_api",
               "approval_for_topup", "approval_for_stop"}
    diffs = {}
    for field, value in changes.items():
        if field not in allowed:
            raise NotAllowed(_("%(field)s cannot be changed here.") % {"field": field}, field=field)
        if getattr(company, field) != value:
            diffs[field] = {"before": getattr(company, field), "after": value}
            setattr(company, field, value)
    if diffs:
        company.save(update_fields=list(diffs))
        changed = [audit.phrase(gettext_noop("%(setting)s: %(before)s → %(after)s"),
                                setting=Company._meta.get_field(f).verbose_name,
                                before=audit.yes_no(d["before"]), after=audit.yes_no(d["after"]))
                   for f, d in diffs.items()]
        audit_record(action="company.settings_changed", actor=actor, company=company, request=request,
                     obj=company, sentence=gettext_noop("%(actor)s changed company settings: %(changes)s"),
                     params={"actor": actor, "changes": changed}, details=diffs)
    return company


def totp_device_for_enrolment(user: User) -> TOTPDevice:
    """The user's unconfirmed authenticator, made on first need, to show as a QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def totp_verify(*, user: User, code: str, enrolling: bool = False) -> TOTPDevice | None:
    """The device that accepts ``code``; a code already used is refused (django-otp keeps last_t)."""
    devices = TOTPDevice.objects.filter(user=user, confirmed=not enrolling)
    for device in devices:
        allowed, _details = device.verify_is_allowed()
        if not allowed:
            continue
        if device.verify_token(code):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
            return device
    return None


def totp_code_reused(*, user: User, code: str) -> bool:
    """Whether ``code`` is one of the user's codes already used in its time step (a second click,
    a code sent twice): refused by ``totp_verify``, but not a wrong code."""
    from django_otp.oath import TOTP

    for device in TOTPDevice.objects.filter(user=user, confirmed=True).exclude(last_t=-1):
        for offset in range(-device.tolerance, device.tolerance + 1):
            totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift + offset)
            if totp.t() <= device.last_t and f"{totp.token():0{device.digits}d}" == code:
                return True
    return False


def user_has_authenticator(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def user_set_language(*, user: User, language: str) -> None:
    """Remembers the user's language for their next sign-in."""
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
