"""Reads of the billers app, always for one company."""

import datetime as dt

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billers.models import BillerCode, CollectionAccount, Company, Registration, ServiceChangeRequest, User
from core import rows
from core.audit import ACTIONS, action_label
from core.models import AuditEvent
from core.time import WIB

PAGE_SIZE = 50


def registrations_of(company: Company) -> list[Registration]:
    """The company's registered biller codes, by code (for pickers)."""
    return list(Registration.objects.filter(company=company).select_related("biller_code")
                .order_by("biller_code__code"))


def audit_events(company: Company, *, query: str = "", user: User | None = None, action: str = "",
                 date_from: dt.date | None = None, date_to: dt.date | None = None):
    """The company's audit log, newest first: the lines of ``user``, of ``action``, from ``date_from``
    to ``date_to`` (days in WIB, both included), and matching ``query``, each when given."""
    events = AuditEvent.objects.filter(company=company)
    if user is not None:
        events = events.filter(actor_id=user.pk)
    if action:
        events = events.filter(action=action)
    if date_from:
        events = events.filter(at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=WIB))
    if date_to:
        events = events.filter(at__lt=dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=WIB))
    if query:
        # The stored message and its parameters (a reference, a code, a name), who acted, and the
        # actions whose label in the reader's language holds the words.
        labelled = [code for code, label in ACTIONS.items() if query.lower() in str(label).lower()]
        events = events.annotate(params_text=Cast("params", TextField())).filter(
            Q(sentence__icontains=query) | Q(params_text__icontains=query) | Q(action__icontains=query)
            | Q(actor_label__icontains=query) | Q(action__in=labelled))
    return events.order_by("-at", "-id")


def audit_actions(company: Company) -> list[tuple[str, str]]:
    """The actions found in the company's audit log, as (code, label in the reader's language), by label."""
    codes = AuditEvent.objects.filter(company=company).values_list("action", flat=True).distinct().order_by()
    return sorted(((code, action_label(code)) for code in codes), key=lambda choice: choice[1].lower())


def company_users(company: Company):
    """The company's users, by user id (for pickers)."""
    return User.objects.filter(company=company).order_by("user_id")


def paginate(queryset, page_number, per_page: int = PAGE_SIZE):
    return Paginator(queryset, per_page).get_page(page_number)


def registration_for_code(company: Company, code: str):
    """The company's Bill Reminder registration of biller code ``code`` (with its biller code and
    ``company``), or None. Every Open API create asks, so one hand-written look-up (``core.rows``)."""
    quote = connection.ops.quote_name
    found = rows.fetch_one(
        f"SELECT {rows.columns(Registration, 'r')}, {rows.columns(BillerCode, 'b')} "
        f"FROM {quote(Registration._meta.db_table)} r "
        f"JOIN {quote(BillerCode._meta.db_table)} b ON b.{quote('id')} = r.{quote('biller_code_id')} "
        f"WHERE r.{quote('company_id')} = %s AND b.{quote('code')} = %s",
        [company.pk, code], [Registration, BillerCode],
    )
    if found is None:
        return None
    registration, biller_code = found
    registration.biller_code, registration.company = biller_code, company
    return registration


def registry_refusal(biller_code: BillerCode) -> str | None:
    """Why the bank's registry no longer lets ``biller_code`` take bill reminders, or None: it is
    inactive there, or uses open payment (Bill Reminder needs the exact amount due)."""
    message = registry_refusal_message(biller_code)
    return _(message) % {"code": biller_code.code} if message else None


def registry_refusal_message(biller_code: BillerCode) -> str | None:
    """``registry_refusal`` untranslated (its English source text, with ``%(code)s``), for the audit log."""
    if biller_code.status != BillerCode.Status.ACTIVE:
        return gettext_noop("Biller code %(code)s is inactive in the MBC registry.")
    if biller_code.payment_mechanism != BillerCode.PaymentMechanism.CLOSED:
        return gettext_noop("Biller code %(code)s uses open payment; Bill Reminder needs closed payment, "
                            "where the exact amount is due.")
    return None


def registration_refusal(*, company: Company, biller_code: BillerCode, registered: bool | None = None,
                         tariff: bool | None = None) -> str | None:
    """Why ``company`` cannot register ``biller_code`` for Bill Reminder, or None if it can.

    ``registered`` and ``tariff`` (whether the code is registered, whether an agreement is in
    force for it) are looked up when not given; a list of codes passes them, read at once.
    """
    from quota.selectors import agreement_in_force

    code = biller_code.code
    account = biller_code.collection_account
    if biller_code.company_id != company.pk:
        return _("Biller code %(code)s belongs to another company.") % {"code": code}
    if registered is None:
        registered = Registration.objects.filter(biller_code=biller_code).exists()
    if registered:
        return _("Biller code %(code)s is already registered.") % {"code": code}
    refusal = registry_refusal(biller_code)
    if refusal:
        return refusal
    if account.company_id != company.pk:
        return _("The collection account of biller code %(code)s belongs to another company.") % {"code": code}
    if account.status != CollectionAccount.Status.ACTIVE:
        return _("The collection account %(account)s of biller code %(code)s is closed.") % {
            "account": account.account_number, "code": code}
    if tariff is None:
        tariff = agreement_in_force(company=company, biller_code=biller_code) is not None
    if not tariff:
        return _("No tariff agreement is in force for biller code %(code)s; ask the bank.") % {"code": code}
    return None


def registry_codes(company: Company) -> list[dict]:
    """The company's codes in the MBC registry, each with its registration or why it cannot be registered.

    Two queries however many codes: the codes with their registrations, and the tariffs in force.
    """
    from quota.selectors import unit_prices_in_force

    prices = unit_prices_in_force(company)
    codes = (
        BillerCode.objects.filter(company=company)
        .select_related("collection_account", "registration__quota_account")
        .order_by("code")
    )
    rows = []
    for code in codes:
        registration = getattr(code, "registration", None)
        rows.append({
            "code": code,
            "registration": registration,
            "refusal": None if registration else registration_refusal(
                company=company, biller_code=code, registered=False, tariff=code.pk in prices or None in prices),
        })
    return rows


def service_change_requests(company: Company, *, pending_only: bool = False):
    """Stop/resume requests of the company, newest first."""
    requests = ServiceChangeRequest.objects.filter(company=company).select_related(
        "registration__biller_code", "requested_by", "decided_by")
    if pending_only:
        requests = requests.filter(status=ServiceChangeRequest.Status.PENDING)
    return requests


def service_changes_waiting_for(company: Company, approver: User):
    """Stop/resume requests waiting for approval that ``approver`` may decide (not their own)."""
    return (ServiceChangeRequest.objects.filter(company=company, status=ServiceChangeRequest.Status.PENDING)
            .exclude(requested_by=approver).select_related("registration__biller_code", "requested_by")
            .order_by("requested_at", "id"))


def service_changes_requested_by(company: Company, user: User) -> int:
    """How many of ``user``'s stop/resume requests wait for an approver."""
    return ServiceChangeRequest.objects.filter(company=company, requested_by=user,
                                               status=ServiceChangeRequest.Status.PENDING).count()


def recent_lockouts(company: Company, *, since) -> list[AuditEvent]:
    """Sign-in lockouts of the company's users since ``since``, newest first (for its admins)."""
    return list(AuditEvent.objects.filter(company=company, action="login.locked_out", at__gte=since)
                .order_by("-at")[:10])
