"""Authentication of (Company ID, User ID, password), and the lockout answer."""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from billers.models import Company, User
from core.time import WIB


def login_key(company_id: str | None, user_id: str | None) -> str:
    """The name a login attempt is counted under: ``COMPANY/user`` or the staff user id."""
    user_id = (user_id or "").strip()
    company_id = (company_id or "").strip().upper()
    return f"{company_id}/{user_id}" if company_id else user_id


def axes_username(request, credentials) -> str:
    """Lockouts count per (Company ID, User ID), whether or not such a user exists."""
    source = credentials or (request.POST if request is not None else {})
    if "username" in source:  # Django admin's form: bank staff only
        return login_key(None, source.get("username"))
    return login_key(source.get("company_id"), source.get("user_id"))


def lockout_response(request, original_response=None, credentials=None):
    from billers.forms import LoginForm

    form = LoginForm(request=request, data=request.POST if request.method == "POST" else None)
    form.errors.clear()
    return render(
        request,
        "billers/login.html",
        {"form": form, "locked_out": True, "lockout_message": lockout_message(lockout_ends_at(request, credentials))},
        status=429,
    )


def lockout_message(ends_at: datetime) -> str:
    return _(
        "Too many failed sign-in attempts: sign-in for this user from this address is locked. "
        "Try again after %(time)s WIB."
    ) % {"time": wib_minute(ends_at)}


def lockout_ends_at(request, credentials=None) -> datetime:
    """When the lockout of this user from this address ends, read from django-axes' own attempts.

    A lockout lasts while ``AXES_FAILURE_LIMIT`` failures are younger than ``AXES_COOLOFF_TIME``:
    it ends a cool-off after the oldest failure still needed to reach the limit. Tries during the
    lockout are not recorded (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT``), so the end holds.
    """
    from axes.handlers.database import AxesDatabaseHandler
    from axes.helpers import get_cool_off, get_failure_limit

    now = timezone.now()
    cool_off, limit = get_cool_off(request), get_failure_limit(request, credentials)
    ends = []
    for attempts in AxesDatabaseHandler().filter_user_attempts(request, credentials):
        counted = 0
        for attempt_time, failures in (attempts.filter(attempt_time__gte=now - cool_off)
                                       .order_by("-attempt_time").values_list("attempt_time", "failures_since_start")):
            counted += failures
            if counted >= limit:
                ends.append(attempt_time + cool_off)
                break
    # Without a record (a race with the clean-up), the longest a lockout can last is still true.
    return max(ends, default=now + cool_off)


def wib_minute(moment: datetime) -> str:
    """``moment`` as ``HH:MM`` in Jakarta, rounded up: trying at the minute shown always works."""
    local = moment.astimezone(WIB)
    if local.second or local.microsecond:
        local = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return local.strftime("%H:%M")


# --- Failures of one address across users (password spraying) ------------------------------

ADDRESS_WINDOW_SECONDS = 15 * 60


def _address_key(request) -> str:
    from core.audit import client_ip

    return f"sign-in-failures:{client_ip(request) or '-'}"


def address_failure_noted(request) -> None:
    """Counts a failed sign-in of the address, whichever user it tried; the count lives 15 minutes
    from the address's first failure (kept beside it, to say when a block ends)."""
    if request is None:
        return
    key = _address_key(request)
    if cache.add(key, 0, ADDRESS_WINDOW_SECONDS):
        ends = timezone.now() + timedelta(seconds=ADDRESS_WINDOW_SECONDS)
        cache.set(f"{key}:ends", ends.timestamp(), ADDRESS_WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.add(key, 1, ADDRESS_WINDOW_SECONDS)


def address_blocked(request) -> bool:
    """Whether the address failed ``SIGN_IN_FAILURES_PER_ADDRESS`` times in its window."""
    return cache.get(_address_key(request), 0) >= settings.SIGN_IN_FAILURES_PER_ADDRESS


def address_blocked_message(request) -> str:
    """What a blocked address reads: until when, in WIB."""
    ends = cache.get(f"{_address_key(request)}:ends")
    ends_at = (datetime.fromtimestamp(ends, tz=UTC) if ends is not None
               else timezone.now() + timedelta(seconds=ADDRESS_WINDOW_SECONDS))
    return _("Too many failed sign-in attempts from this address. Try again after %(time)s WIB.") % {
        "time": wib_minute(ends_at)}


def address_blocked_response(request):
    from billers.forms import LoginForm

    form = LoginForm(request=request, data=None)
    return render(request, "billers/login.html", {
        "form": form, "locked_out": True, "lockout_message": address_blocked_message(request)}, status=429)


class CompanyUserBackend(ModelBackend):
    """Company users sign in with Company ID + User ID; bank staff with their User ID alone."""

    def authenticate(self, request, company_id=None, user_id=None, password=None, username=None, **kwargs):
        if password is None:
            return None
        if username is not None:  # Django admin login form
            company_id, user_id = None, username
        if not user_id:
            return None
        user = self._find(company_id, user_id)
        if user is None:
            # Hash anyway so an unknown user takes as long as a known one.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def _find(self, company_id, user_id):
        lookup = User.objects.select_related("company")
        company_id = (company_id or "").strip().upper()
        try:
            if company_id:
                return lookup.get(company__company_id=company_id, user_id=user_id.strip())
            return lookup.get(company__isnull=True, user_id=user_id.strip())
        except User.DoesNotExist:
            return None

    def user_can_authenticate(self, user):
        if not super().user_can_authenticate(user):
            return False
        return user.company_id is None or user.company.status == Company.Status.ACTIVE

    def get_user(self, user_id):
        try:
            user = User.objects.select_related("company").get(pk=user_id)
        except User.DoesNotExist:
            return None
        # A disabled user, or one of a suspended company, loses every session at once.
        return user if self.user_can_authenticate(user) else None
