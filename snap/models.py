"""The Open API's own rows: client credentials and their tokens, idempotency records, rate windows."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiCredential(models.Model):
    """An Open API client of one company: client key, encrypted client secret, RSA public key.

    The secret is kept encrypted (not hashed) because verifying an HMAC needs it.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        REVOKED = "revoked", _("Revoked")

    company = models.ForeignKey(
        "billers.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="api_credentials",
    )
    name = models.CharField(_("name"), max_length=100)
    client_key = models.CharField(_("client key"), max_length=64, unique=True)
    client_secret_encrypted = models.TextField(_("client secret encrypted"), editable=False)
    public_key_pem = models.TextField(_("RSA public key (PEM)"))
    ip_allowlist = models.TextField(
        _("IP allow-list"), blank=True,
        help_text=_("One address or network (CIDR) per line; empty allows every address."),
    )
    rate_limit_per_minute = models.PositiveIntegerField(_("requests per minute"), default=600)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.ACTIVE)
    created_by = models.ForeignKey(
        "billers.User", verbose_name=_("created by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    rotated_at = models.DateTimeField(_("rotated at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API credential")
        verbose_name_plural = _("API credentials")
        ordering = ["company_id", "-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.client_key})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class AccessToken(models.Model):
    """A B2B access token (900 s). Only its SHA-256 is stored."""

    credential = models.ForeignKey(
        ApiCredential, verbose_name=_("credential"), on_delete=models.CASCADE, related_name="tokens",
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("access token")
        verbose_name_plural = _("access tokens")

    def __str__(self) -> str:
        return f"token of {self.credential_id} until {self.expires_at:%H:%M:%S}"


class IdempotencyRecord(models.Model):
    """An Open API request by its X-EXTERNAL-ID: processed once, its answer replayed after.

    Unique per partner per calendar day in Asia/Jakarta, as SNAP asks. Written with its answer,
    in the call's own transaction (``snap.idempotency``).
    """

    partner_id = models.CharField(_("partner id"), max_length=64)
    day = models.DateField(_("day"))
    external_id = models.CharField(_("external id"), max_length=36)
    fingerprint = models.CharField(
        _("fingerprint"), max_length=64, help_text=_("SHA-256 of method, path and minified body."),
    )
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True)
    response_body = models.TextField(_("response body"), blank=True, help_text=_("The JSON answer exactly as sent."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["partner_id", "day", "external_id"], name="external_id_once_a_day"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.day} {self.external_id}"


class RateWindow(models.Model):
    """Requests counted in one minute for one key, where no Redis is configured."""

    key = models.CharField(_("key"), max_length=100)
    window_start = models.DateTimeField(_("window start"))
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("rate window")
        verbose_name_plural = _("rate windows")
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="rate_window_once")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start}: {self.count}"
