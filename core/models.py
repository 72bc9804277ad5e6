"""Shared platform rows: the audit log and process heartbeats."""

from django.conf import settings
from django.db import models
from django.db.models import Value
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """The last time a background process proved it was alive (beat, workers)."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    beat_at = models.DateTimeField(_("beat at"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"


class AuditEvent(models.Model):
    """One append-only line of who did what, when, from where; never edited or deleted.

    The database refuses UPDATE and DELETE on this table (triggers, on PostgreSQL and on
    SQLite alike), so not even a bug in the code can rewrite history.
    """

    at = models.DateTimeField(_("at"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+",
    )
    actor_label = models.CharField(_("actor label"), max_length=150, help_text=_("Who acted, as shown then."))
    company = models.ForeignKey(
        "billers.Company", verbose_name=_("company"), null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+",
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    # The message (English source text, translated when shown) and its parameters; a line
    # written before parameters existed holds its finished sentence and no parameters.
    sentence = models.TextField(_("sentence"))
    params = models.JSONField(_("parameters"), default=dict, db_default=Value({}, output_field=models.JSONField()),
                              blank=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("ip"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["company", "-at"], name="audit_company_at")]

    def __str__(self) -> str:
        return self.text

    @property
    def actor_shown(self) -> str:
        """Who acted, as the log shows it: the system in the reader's language, anyone else as stored."""
        from django.utils.translation import gettext

        return gettext("system") if self.actor_id is None and self.actor_label == "system" else self.actor_label

    @property
    def text(self) -> str:
        """The line in the reader's language, amounts in Rupiah and moments in WIB."""
        from core.audit import audit_text

        return audit_text(self.sentence, self.params)

    @property
    def action_label(self) -> str:
        """The action in the reader's language."""
        from core.audit import action_label

        return action_label(self.action)
