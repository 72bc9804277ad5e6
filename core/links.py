"""Addresses of console pages as billers reach them, for what the portal sends out (callbacks, e-mail)."""

from django.conf import settings
from django.urls import reverse


def console_link(route: str, *args) -> str:
    """The page of ``route`` under ``CONSOLE_BASE_URL``."""
    return settings.CONSOLE_BASE_URL.rstrip("/") + reverse(route, args=args)
