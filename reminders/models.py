"""Bills (one reminder each), their events, and the transitions between statuses."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantModel
from reminders import timeline


class BillStatus(models.TextChoices):
    PENDING_APPROVAL = "PENDING_APPROVAL", _("Waiting for approval")
    RECEIVED = "RECEIVED", _("Received")
    SCHEDULED = "SCHEDULED", _("Scheduled")
    DISPLAYED = "DISPLAYED", _("Displayed in Livin'")
    PAID = "PAID", _("Paid")
    EXPIRED = "EXPIRED", _("Expired")
    CANCELLED = "CANCELLED", _("Cancelled")
    FAILED = "FAILED", _("Failed")
    NOT_LIVIN_USER = "NOT_LIVIN_USER", _("Not a Livin' user")


ACTIVE_STATUSES = (
    BillStatus.PENDING_APPROVAL,
    BillStatus.RECEIVED,
    BillStatus.SCHEDULED,
    BillStatus.DISPLAYED,
)
TERMINAL_STATUSES = tuple(s for s in BillStatus if s not in ACTIVE_STATUSES)

# The lifecycle of DESIGN.md: every move a bill may make, and no other.
TRANSITIONS: dict[str, set[str]] = {
    BillStatus.PENDING_APPROVAL: {BillStatus.RECEIVED, BillStatus.CANCELLED},
    BillStatus.RECEIVED: {
        BillStatus.SCHEDULED, BillStatus.NOT_LIVIN_USER, BillStatus.CANCELLED, BillStatus.PAID,
        BillStatus.EXPIRED,
    },
    BillStatus.SCHEDULED: {
        BillStatus.DISPLAYED, BillStatus.CANCELLED, BillStatus.PAID, BillStatus.FAILED, BillStatus.EXPIRED,
    },
    BillStatus.DISPLAYED: {BillStatus.PAID, BillStatus.EXPIRED, BillStatus.CANCELLED},
    # A payer who installs Livin' later is found by a later look-up while the window is open;
    # until then the biller may cancel it, and a stop of its code ends its look-ups.
    BillStatus.NOT_LIVIN_USER: {BillStatus.SCHEDULED, BillStatus.CANCELLED},
}


class PaymentChannel(models.TextChoices):
    """How a payer paid a bill in Livin': the bank's two bill-payment channels."""

    MBP = "MBP", _("Mandiri Bill Payment (MBP)")
    MVA = "MVA", _("Mandiri Virtual Account (MVA)")


class BillSource(models.TextChoices):
    API = "api", _("Open API")
    CONSOLE = "console", _("Single entry")
    UPLOAD = "upload", _("File upload")


def new_reference_no() -> str:
    """The portal's id for a bill: sortable by time, unguessable, 24 characters."""
    return timezone.now().strftime("%y%m%d%H%M%S") + secrets.token_hex(6).upper()


class Bill(TenantModel):
    """One reminder: a bill shown to one payer in Livin' from ``start_at`` to ``end_at``.

    An upload inserts a million bills in one statement, and every index below is updated
    for each of them: each index here is one a query needs (see ``Meta.indexes``). The
    foreign keys lead no index of their own where a composite index starts with them;
    ``created_by`` and ``created_at`` have none, as no query looks a bill up by them
    without the company.
    """

    company = models.ForeignKey(
        "billers.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+", db_index=False,
    )
    # Unique by Meta.constraints: unique=True would add a second index, for LIKE searches, which
    # no query makes, to every bill written and to each of its moves.
    reference_no = models.CharField(_("reference no."), max_length=24, default=new_reference_no)
    registration = models.ForeignKey(
        "billers.Registration", on_delete=models.PROTECT, related_name="bills", verbose_name=_("biller code"),
        db_index=False,
    )
    bill_key = models.CharField(_("bill key"), max_length=20)
    partner_reference_no = models.CharField(_("partner reference no."), max_length=64, null=True, blank=True)  # noqa: DJ001 NULL, not "": the unique constraint ignores bills without a reference
    payer_phone = models.CharField(_("payer phone"), max_length=16)
    payer_name = models.CharField(_("payer name"), max_length=100, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=15, decimal_places=2)
    description = models.CharField(_("description"), max_length=140, blank=True)
    start_at = models.DateTimeField(_("start"))
    end_at = models.DateTimeField(_("end"))
    status = models.CharField(_("status"), max_length=16, choices=BillStatus, default=BillStatus.RECEIVED)
    source = models.CharField(_("source"), max_length=8, choices=BillSource)
    upload = models.ForeignKey(
        "reminders.Upload", verbose_name=_("upload"),
        null=True, blank=True, on_delete=models.PROTECT, related_name="bills"
    )
    livin_user = models.BooleanField(_("Livin' user"), null=True)
    displayed_at = models.DateTimeField(_("displayed at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    paid_amount = models.DecimalField(_("paid amount"), max_digits=15, decimal_places=2, null=True, blank=True)
    # Empty until paid. A default in the database too, as uploads and the API write bills by
    # raw statements that name only the columns a new bill has.
    payment_channel = models.CharField(_("payment channel"), max_length=3, choices=PaymentChannel, blank=True,
                                       default="", db_default="")
    # The bank's id of the payment: what the payer's receipt and the bank's statement show.
    payment_reference = models.CharField(_("payment reference"), max_length=64, blank=True, default="",
                                         db_default="")
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    # Delivery bookkeeping, claimed by the scheduler with a lease instead of long countdowns.
    next_push_at = models.DateTimeField(_("next push at"), null=True, blank=True)
    push_attempts = models.PositiveSmallIntegerField(_("push attempts"), default=0)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    # A payer without Livin' is looked up again while the window is open (NON_USER_RECHECK_*).
    rechecks = models.PositiveSmallIntegerField(_("directory look-ups again"), default=0, db_default=0)
    next_recheck_at = models.DateTimeField(_("next look-up at"), null=True, blank=True)
    found_late_at = models.DateTimeField(_("found in Livin' later at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"),
        null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Pattern operator classes (PostgreSQL; ignored elsewhere) serve equality and the
            # bill list's prefix search (LIKE 'x%') alike, whatever the database's collation.
            models.UniqueConstraint(fields=["reference_no"], name="bill_reference_no_unique",
                                    opclasses=["varchar_pattern_ops"]),
            models.UniqueConstraint(
                fields=["registration", "bill_key"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="one_active_reminder_per_bill_key",
            ),
            models.UniqueConstraint(
                fields=["company", "partner_reference_no"],
                condition=Q(partner_reference_no__isnull=False),
                name="partner_reference_unique_per_company",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="bill_amount_positive"),
            models.CheckConstraint(condition=Q(end_at__gt=models.F("start_at")), name="bill_ends_after_start"),
        ]
        indexes = [
            # The bill list walks one of these by keyset, (sort field, id), whatever the page:
            # one per sort, and one per equality filter with the default sort.
            models.Index(fields=["company", "created_at", "id"], name="bill_list_created"),
            models.Index(fields=["company", "start_at", "id"], name="bill_list_start"),
            models.Index(fields=["company", "end_at", "id"], name="bill_list_end"),
            models.Index(fields=["company", "amount", "id"], name="bill_list_amount"),
            models.Index(fields=["company", "status", "created_at", "id"], name="bill_list_status"),
            models.Index(fields=["company", "source", "created_at", "id"], name="bill_list_source"),
            models.Index(fields=["registration", "created_at", "id"], name="bill_list_code"),
            models.Index(fields=["company", "payer_phone"], name="bill_list_phone",
                         opclasses=["int8_ops", "varchar_pattern_ops"]),
            models.Index(fields=["company", "bill_key"], name="bill_list_key",
                         opclasses=["int8_ops", "varchar_pattern_ops"]),
            # And bill_list_name, (company, UPPER(payer_name) text_pattern_ops) for a name's
            # prefix in any case, is made by migration 0008 on PostgreSQL only: an operator
            # class on an expression cannot be said here for SQLite too.
            # Reports and the dashboard count by when bills were shown and paid; partial, so
            # a freshly inserted (not yet shown, unpaid) bill costs nothing here. So is the
            # scheduler's: a bill enters it when the directory check schedules it.
            models.Index(fields=["company", "displayed_at"], name="bill_shown",
                         condition=Q(displayed_at__isnull=False)),
            models.Index(fields=["company", "paid_at"], name="bill_paid", condition=Q(paid_at__isnull=False)),
            # The Open API's list of bills changed since a moment walks this by keyset.
            models.Index(fields=["company", "updated_at", "id"], name="bill_changed"),
            # A payer's complaint quotes the receipt's payment reference; partial, so unpaid bills cost nothing.
            models.Index(fields=["company", "payment_reference"], name="bill_payment_reference",
                         condition=Q(paid_at__isnull=False)),
            models.Index(fields=["next_push_at"], name="bill_scheduled_push",
                         condition=Q(status=BillStatus.SCHEDULED)),
            models.Index(fields=["status", "end_at"], name="bill_due_to_end"),
            models.Index(fields=["next_recheck_at"], name="bill_recheck_due",
                         condition=Q(status=BillStatus.NOT_LIVIN_USER, next_recheck_at__isnull=False)),
            # A bill key's active reminder is found through one_active_reminder_per_bill_key.
        ]

    def __str__(self) -> str:
        return f"{self.reference_no} ({self.registration_id}/{self.bill_key})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def can_be_cancelled(self) -> bool:
        """Active, or a payer without Livin' still to be looked up again (it may yet be pushed)."""
        return self.is_active or (self.status == BillStatus.NOT_LIVIN_USER and self.next_recheck_at is not None)

    @property
    def quota_reference(self) -> str:
        """The ledger's reference for this bill's push: a payer found on a later look-up is
        reserved anew (the first reservation was released), under a reference of its own."""
        return f"bill:{self.pk}:found" if self.found_late_at else f"bill:{self.pk}"


class BillEvent(models.Model):
    """One line of a bill's timeline: a status move, or something that happened to it."""

    # No constraint in the database: PostgreSQL would look the bill up, at commit, for every
    # line a delivery batch or an upload writes (a third of a push batch's commit). Lines are
    # written only by ``bills_move`` and its kin, in the transaction that locks or creates
    # their bills, and bills are never deleted (PROTECT holds in Django).
    bill = models.ForeignKey(Bill, verbose_name=_("bill"), on_delete=models.PROTECT, related_name="events",
                             db_constraint=False)
    at = models.DateTimeField(_("at"), default=timezone.now)
    from_status = models.CharField(_("from status"), max_length=16, blank=True)
    to_status = models.CharField(_("to status"), max_length=16, blank=True)
    # No index on the actor: no query looks events up by who acted, and an upload writes a
    # million of them at once.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"),
        null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False,
    )
    actor_label = models.CharField(_("actor label"), max_length=150)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("bill event")
        verbose_name_plural = _("bill events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}: {self.reason}"

    @property
    def reason_text(self) -> str:
        """The reason in the reader's language, where the system wrote it (see reminders.timeline)."""
        return timeline.reason_text(self.reason)

    @property
    def actor_text(self) -> str:
        return timeline.actor_text(self.actor_label)


def upload_path(instance, filename: str) -> str:
    return f"uploads/{instance.company_id}/{timezone.now():%Y/%m}/{secrets.token_hex(8)}-{filename}"


class Upload(TenantModel):
    """A bill file uploaded for one biller code, validated in the background, then submitted."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to be read")
        VALIDATING = "validating", _("Being checked")
        VALIDATED = "validated", _("Checked: read the report")
        REFUSED = "refused", _("Refused")
        PENDING_APPROVAL = "pending_approval", _("Waiting for approval")
        SUBMITTED = "submitted", _("Submitted")
        DISCARDED = "discarded", _("Discarded")
        REJECTED = "rejected", _("Rejected by the approver")

    registration = models.ForeignKey(
        "billers.Registration", on_delete=models.PROTECT, related_name="uploads", verbose_name=_("biller code")
    )
    file = models.FileField(_("file"), upload_to=upload_path)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    sha256 = models.CharField(_("sha256"), max_length=64, db_index=True)
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.QUEUED)
    refusal_code = models.CharField(_("refusal code"), max_length=64, blank=True)
    refusal_message = models.TextField(_("refusal message"), blank=True)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_total = models.PositiveIntegerField(_("rows total"), null=True, blank=True)
    valid_rows = models.PositiveIntegerField(_("valid rows"), default=0)
    invalid_rows = models.PositiveIntegerField(_("invalid rows"), default=0)
    duplicate_rows = models.PositiveIntegerField(_("duplicate rows"), default=0)
    active_conflicts = models.PositiveIntegerField(_("active conflicts"), default=0)
    quota_available = models.PositiveIntegerField(_("quota available"), null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self", verbose_name=_("duplicate of"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"),
        null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"),
        null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    validated_at = models.DateTimeField(_("validated at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    # Reasons are stored as their English source text plus parameters, and translated
    # when shown, so the report reads in the language of whoever opens it.
    refusal_params = models.JSONField(_("refusal params"), default=dict, blank=True)
    columns = models.JSONField(_("columns"), default=dict, blank=True)  # bill column -> header as written
    header_warnings = models.JSONField(_("header warnings"), default=list, blank=True)  # [{code, message, params}]
    bills_created = models.PositiveIntegerField(_("bills created"), default=0)
    skipped_at_submit = models.PositiveIntegerField(_("skipped at submit"), default=0)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("rejected by"),
        null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)
    rejection_reason = models.CharField(_("reason"), max_length=200, blank=True)
    # A decision (submit, approve, reject, discard) the worker is carrying out: on a big
    # upload it moves a million rows, far too long for a web request.
    working_on = models.CharField(_("working on"), max_length=16, blank=True)
    decision_error = models.TextField(_("decision error"), blank=True)
    # Who asked for that decision, and why, so a decision whose task was lost can be queued again.
    working_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("asked by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    working_reason = models.CharField(_("reason given"), max_length=200, blank=True)
    # The background work on the upload (its check, or a decision) is held until ``lease_until``:
    # a check renews it with every batch of rows, under its own ``lease_token``; a queued task
    # should have started by then. Past it, ``upload_requeue_stalled`` queues the work again.
    lease_token = models.CharField(_("lease token"), max_length=32, blank=True)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    # The stored file, its problems and staged rows are removed after UPLOAD_RETENTION_DAYS.
    files_removed_at = models.DateTimeField(_("file removed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("upload")
        verbose_name_plural = _("uploads")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["company", "sha256", "created_at"], name="upload_same_file"),
            # The stalled-work sweep reads only uploads someone is (or should be) working on.
            models.Index(fields=["lease_until"], name="upload_held",
                         condition=Q(status__in=["queued", "validating"]) | ~Q(working_on="")),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def is_done_reading(self) -> bool:
        return self.status not in (self.Status.QUEUED, self.Status.VALIDATING)

    @property
    def is_busy(self) -> bool:
        """The worker is reading the file or carrying out a decision on it."""
        return not self.is_done_reading or bool(self.working_on)

    @property
    def file_format(self) -> str:
        return "xlsx" if self.original_name.lower().endswith(".xlsx") else "csv"

    @property
    def refusal_text(self) -> str:
        """The refusal in the active language."""
        return translated(self.refusal_message, self.refusal_params)

    @property
    def warnings_text(self) -> list[str]:
        return [translated(w["message"], w.get("params")) for w in self.header_warnings]


def translated(message: str, params: dict | None) -> str:
    """``message`` (English source text) in the active language, with its parameters."""
    from django.utils.translation import gettext

    text = gettext(message) if message else ""
    if params:
        try:
            return text % params
        except (KeyError, TypeError, ValueError):
            # A translation that lost a placeholder must not hide the problem itself.
            return message % params
    return text


class UploadRow(models.Model):
    """Staging: one valid row of an upload, clean, waiting for submit (then purged).

    ``problem`` is set when the row cannot become a bill after all: a repeat of an earlier
    row of the file, or a bill key / reference already taken in the database.
    """

    # No constraint in the database: PostgreSQL would look the upload up once for every row
    # copied in, a third of the database's work in staging a million rows. Rows are only
    # written by the upload's own check, in the transaction that renews its lease (so the
    # upload exists), and removed with it (on_delete) or by the purge.
    upload = models.ForeignKey(
        Upload, verbose_name=_("upload"), on_delete=models.CASCADE, related_name="+", db_index=False,
        db_constraint=False,
    )
    row_number = models.PositiveIntegerField(_("row number"))
    bill_key = models.CharField(_("bill key"), max_length=20)
    payer_phone = models.CharField(_("payer phone"), max_length=16)
    payer_name = models.CharField(_("payer name"), max_length=100, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=15, decimal_places=2)
    description = models.CharField(_("description"), max_length=140, blank=True)
    start_at = models.DateTimeField(_("start at"))
    end_at = models.DateTimeField(_("end at"))
    partner_reference_no = models.CharField(_("partner reference no"), max_length=64, null=True, blank=True)  # noqa: DJ001 NULL, not "": the unique constraint ignores bills without a reference
    problem = models.CharField(_("problem"), max_length=32, blank=True, default="")
    first_row = models.PositiveIntegerField(_("first row"), null=True, blank=True)

    class Meta:
        # The one index: it serves every per-upload query; more would slow the COPY.
        verbose_name = _("upload row")
        verbose_name_plural = _("upload rows")
        indexes = [models.Index(fields=["upload", "row_number"], name="uploadrow_upload_row")]

    def __str__(self) -> str:
        return f"upload {self.upload_id} row {self.row_number}: {self.bill_key}"


class UploadError(models.Model):
    """One reason a row of an upload cannot become a bill: row, column, value, reason."""

    upload = models.ForeignKey(
        Upload, verbose_name=_("upload"), on_delete=models.CASCADE, related_name="errors", db_index=False,
    )
    row_number = models.PositiveIntegerField(_("row number"))
    column = models.CharField(_("column"), max_length=100, blank=True)
    value = models.CharField(_("value"), max_length=200, blank=True)
    code = models.CharField(_("code"), max_length=40)
    message = models.TextField(_("message"))  # English source text, translated when shown
    params = models.JSONField(_("params"), default=dict, blank=True)

    class Meta:
        verbose_name = _("upload error")
        verbose_name_plural = _("upload errors")
        ordering = ["row_number", "id"]
        indexes = [models.Index(fields=["upload", "row_number", "id"], name="uploaderror_upload_row")]

    def __str__(self) -> str:
        return f"row {self.row_number} {self.column}: {self.code}"

    @property
    def text(self) -> str:
        """The reason in the active language."""
        return translated(self.message, self.params)
