"""System checks of the bank's plug-ins: each gateway names an importable class, or is empty and said so."""

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

GATEWAYS = {
    "LIVIN_GATEWAY": "bills are accepted but never checked against the Livin' directory or pushed",
    "PAYMENTS_GATEWAY": "top-ups are refused",
}


@checks.register("gateways")
def gateways_configured(app_configs=None, **kwargs):
    found = []
    for setting, without in GATEWAYS.items():
        path = getattr(settings, setting, "")
        if not path:
            found.append(checks.Warning(
                f"No bank gateway is configured in {setting}: {without}.",
                hint=f"Set {setting} to the dotted path of the bank's gateway class.", id="core.W001",
            ))
            continue
        try:
            import_string(path)
        except ImportError as exc:
            found.append(checks.Error(f"{setting}={path} cannot be imported: {exc}.", id="core.E001"))
    return found


@checks.register("mail")
def mail_configured(app_configs=None, **kwargs):
    """Production that writes staff e-mail to files sends none: say so at every start."""
    if getattr(settings, "PRODUCTION", False) and settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
        return [checks.Warning(
            f"No mail server is configured (EMAIL_URL): staff e-mail is written to {settings.EMAIL_FILE_PATH} "
            "and never sent.",
            hint="Set EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.co.id:587.", id="core.W002",
        )]
    return []
