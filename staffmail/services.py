"""E-mail to biller staff: who gets what, written to an outbox with what it tells, sent by the worker.

A message is rendered when its event happens, in its reader's language (``User.language``,
else the site's), and kept in ``StaffMail`` in the same transaction, once per user, kind and
reference; the worker sends it through Django's mail framework (``EMAIL_URL``; the embedded
default writes each message as a file under ``var/mail/``), retrying a failed send with
backoff. Only active users with an e-mail address who have not switched the kind off get one.
"""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from billers.models import Company, User
from core.bulk import insert_new_rows
from core.links import console_link
from staffmail.models import MailKind, MailOptOut, StaffMail

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8  # over about two hours (1, 2, 4, ... 64 minutes apart)
BATCH = 20
LEASE = timedelta(minutes=10)  # longer than a batch can take (20 messages, each at most EMAIL_TIMEOUT)


def recipients(company: Company | int, kind: str, *, roles: tuple[str, ...] = (), users=None,
               excluding: tuple = ()) -> list[User]:
    """Active users of the company holding one of ``roles`` (or among ``users``), with an e-mail
    address, who have not switched ``kind`` off; never those in ``excluding``."""
    company_id = company.pk if isinstance(company, Company) else company
    people = User.objects.filter(company_id=company_id, is_active=True).exclude(email="")
    if users is not None:
        people = people.filter(pk__in=[user.pk for user in users if user is not None])
    if roles:
        match = Q()
        for role in roles:
            match |= Q(**{f"is_{role}": True})
        people = people.filter(match)
    people = people.exclude(pk__in=[user.pk for user in excluding if user is not None])
    return list(people.exclude(mail_opt_outs__kind=kind).order_by("pk"))


def queue(*, kind: str, reference: str, users: list[User], template: str, subject, context: dict) -> int:
    """Writes one message per user (not one already written for this kind and reference), each in the
    user's language, in the caller's transaction; the worker sends them once it commits.

    ``subject`` is a lazy translatable string formatted with ``context``."""
    if not users:
        return 0
    now, rows = timezone.now(), []
    context = {**context, "preferences_link": console_link("mail_preferences")}
    for user in users:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            text = render_to_string(f"staffmail/{template}.txt", {**context, "user": user}).strip() + "\n"
            # One line: a file name or a reason in it must not break the header (or be refused there).
            title = " ".join((str(subject) % context).split())
        rows.append((user.company_id, user.pk, kind, reference, user.email, title[:200], text, now, now, 0, ""))
    written = insert_new_rows(
        StaffMail, ("company", "user", "kind", "reference", "to", "subject", "body", "created_at", "next_attempt_at",
                    "attempts", "error"),
        rows, returning=("id",))
    if written:
        from staffmail.tasks import send_pending

        transaction.on_commit(send_pending.delay)
    return len(written)


def _retry_delay(attempts: int) -> timedelta:
    return timedelta(minutes=2 ** max(0, attempts - 1))


def send_pending(*, limit: int = BATCH) -> int:
    """Sends the messages due, over one connection; returns how many were sent. A message is
    leased while it is sent (``notifications.services.claim``), so two workers never send it both."""
    from notifications.services import claim

    now = timezone.now()
    due = StaffMail.objects.filter(sent_at__isnull=True, next_attempt_at__lte=now).order_by("next_attempt_at", "pk")
    ids = claim(due, limit=limit, lease_seconds=int(LEASE.total_seconds()))
    if not ids:
        return 0
    sent = 0
    connection = get_connection()
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as exc:
        _failed(StaffMail.objects.filter(pk__in=ids), exc)
        return 0
    try:
        for mail in StaffMail.objects.filter(pk__in=ids).order_by("pk"):
            message = EmailMessage(subject=mail.subject, body=mail.body, to=[mail.to], connection=connection,
                                   headers={"Auto-Submitted": "auto-generated"})
            try:
                message.send()
            except Exception as exc:  # noqa: BLE001 - one message that fails must not hold up the others
                _failed(StaffMail.objects.filter(pk=mail.pk), exc)
                continue
            StaffMail.objects.filter(pk=mail.pk).update(sent_at=timezone.now(), lease_until=None, error="",
                                                        attempts=mail.attempts + 1)
            sent += 1
    finally:
        connection.close()
    return sent


def _failed(mails, exc: Exception) -> None:
    error = f"{type(exc).__name__}: {exc}"[:300]
    logger.warning("staff e-mail not sent, tried again later: %s", error)
    now = timezone.now()
    for mail in mails:
        attempts = mail.attempts + 1
        StaffMail.objects.filter(pk=mail.pk).update(
            attempts=attempts, error=error, lease_until=None,
            next_attempt_at=None if attempts >= MAX_ATTEMPTS else now + _retry_delay(attempts))


def preferences(user: User) -> dict[str, bool]:
    """Each kind the user may receive (by their roles), and whether it is on."""
    off = set(MailOptOut.objects.filter(user=user).values_list("kind", flat=True))
    return {kind: kind not in off for kind in kinds_for(user)}


def kinds_for(user: User) -> list[str]:
    """The kinds of e-mail a user's roles can bring."""
    kinds = []
    if user.is_approver:
        kinds.append(MailKind.APPROVAL_WAITING)
    if user.is_maker:
        kinds += [MailKind.REQUEST_DECIDED, MailKind.UPLOAD_CHECKED, MailKind.TOPUP_EXPIRING]
    if user.is_maker or user.is_admin:
        kinds.append(MailKind.QUOTA_LOW)
    return kinds


@transaction.atomic
def preferences_save(*, user: User, on: set[str], request=None) -> None:
    """Switches each kind the user may receive on (in ``on``) or off."""
    from core.audit import audit_record

    mine = kinds_for(user)
    off = [kind for kind in mine if kind not in on]
    before = set(MailOptOut.objects.filter(user=user).values_list("kind", flat=True))
    MailOptOut.objects.filter(user=user).exclude(kind__in=off).delete()
    MailOptOut.objects.bulk_create([MailOptOut(user=user, kind=kind) for kind in off], ignore_conflicts=True)
    if before != set(off):
        audit_record(action="mail.preferences", actor=user, company=user.company, request=request, obj=user,
                     sentence=gettext_noop("%(actor)s turned off these e-mails: %(kinds)s") if off else
                              gettext_noop("%(actor)s turned on all their e-mails"),
                     params={"actor": user, "kinds": [MailKind(kind) for kind in sorted(off)]} if off else
                            {"actor": user})
