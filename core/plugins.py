"""Plug-ins named by dotted paths in settings: the bank's gateways, and what the bank calls back.

One mechanism for every part a deployment chooses: ``plugin("LIVIN_GATEWAY")`` imports the
object the setting names (once per process). A setting left empty raises ``NotConfigured``,
whose message names the setting, so the console and the scheduler can say what is missing
instead of failing somewhere deeper. Product code never imports the sandbox bank (``livin``):
it is only ever one of these paths.
"""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from core.errors import NotConfigured


@cache
def _imported(path: str):
    return import_string(path)


def plugin(setting: str):
    """The object that the setting ``setting`` names by its dotted path."""
    path = getattr(settings, setting, "")
    if not path:
        raise NotConfigured(
            _("No bank gateway is configured: set %(setting)s to the dotted path of one.") % {"setting": setting}
        )
    return _imported(path)


def configured(setting: str) -> bool:
    """True when ``setting`` names a plug-in."""
    return bool(getattr(settings, setting, ""))
