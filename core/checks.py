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
