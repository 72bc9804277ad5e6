"""Shared platform rows: the audit log and process heartbeats."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """The last time a background process proved it was alive (beat, workers)."""

    name = models.CharField(max_length=64, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"


class AuditEvent(models.Model):
    """One append-only line of who did what, when, from where; never edited or deleted.

    The database refuses UPDATE and DELETE on this table (triggers, on PostgreSQL and on
    SQLite alike), so not even a bug in the code can rewrite history.
    """

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+",
    )
    actor_label = models.CharField(max_length=150, help_text=_("Who acted, as shown then."))
    company = models.ForeignKey(
        "billers.Company", null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+",
    )
    action = models.CharField(max_length=64, db_index=True)
    sentence = models.TextField()
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["company", "-at"], name="audit_company_at")]

    def __str__(self) -> str:
        return self.sentence


class IdempotencyRecord(models.Model):
    """An Open API request by its X-EXTERNAL-ID: processed once, its answer replayed after.

    Unique per partner per calendar day in Asia/Jakarta, as SNAP asks. A row without a
    ``status_code`` is a request still being processed.
    """

    partner_id = models.CharField(max_length=64)
    day = models.DateField()
    external_id = models.CharField(max_length=36)
    fingerprint = models.CharField(max_length=64, help_text=_("SHA-256 of method, path and minified body."))
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.TextField(blank=True, help_text=_("The JSON answer exactly as sent."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner_id", "day", "external_id"], name="external_id_once_a_day"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.day} {self.external_id}"


class RateWindow(models.Model):
    """Requests counted in one minute for one key, where no Redis is configured."""

    key = models.CharField(max_length=100)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="rate_window_once")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start}: {self.count}"
