"""Requests to addresses a user gave (a biller's callback URL): only to the public internet.

A URL a company admin types must not turn the portal into a probe of the bank's own
network. ``url_refusal`` says why a URL may not be saved (not HTTPS in production, an
address on this machine, a private, link-local, multicast or reserved network, the cloud
metadata address, their IPv6 forms); ``client`` gives an HTTP client that checks every
address again when it connects, on the address it then connects to, so a name whose DNS
answer changes to a private address after it was saved is refused too. Redirects are not
followed and proxies from the environment are not used. A receiver on this machine (tests,
a developer's demo) is allowed only with ``OUTBOUND_ALLOW_LOCAL``, which production refuses.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

import httpcore
import httpx
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop


class OutboundRefused(Exception):
    """A connection to an address that is not on the public internet, refused before it was made."""


def address_allowed(address: str) -> bool:
    """Whether ``address`` (an IP address) is on the public internet, or local ones are allowed."""
    if getattr(settings, "OUTBOUND_ALLOW_LOCAL", False):
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _addresses(host: str, port: int) -> list[str]:
    return list(dict.fromkeys(info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)))


def url_refusal(url: str) -> str | None:
    """Why ``url`` may not be called, in words for the person who typed it; None if it may.

    A host that does not resolve (yet) is accepted: each request resolves it again."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return _("Give a full URL, starting with https://.")
    if settings.PRODUCTION and parts.scheme != "https":
        return _("The URL must start with https://: events are signed, but their content is not public.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = _addresses(parts.hostname, port)
    except (socket.gaierror, UnicodeError):
        return None
    except ValueError:
        return _("The port of the URL is not a number from 1 to 65535.")
    refused = [address for address in addresses if not address_allowed(address)]
    if refused:
        return _("%(host)s is an address of a private or local network (%(address)s); give an address on the "
                 "internet.") % {"host": parts.hostname, "address": refused[0]}
    return None


class _PublicOnly(httpcore.SyncBackend):
    """Connects only to addresses ``address_allowed`` lets through, checked as they are connected to."""

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            addresses = _addresses(host, port)
        except socket.gaierror as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}") from exc
        allowed = [address for address in addresses if address_allowed(address)]
        if not allowed:
            raise OutboundRefused(f"{host} resolves to {', '.join(addresses)}, not a public address")
        error = None
        for address in allowed:
            try:
                return super().connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                           socket_options=socket_options)
            except httpcore.ConnectError as exc:
                error = exc
        raise error


def client(*, timeout: float) -> httpx.Client:
    """An HTTP client for a user-given URL: public addresses only, no redirects, no proxies."""
    transport = httpx.HTTPTransport(trust_env=False)
    # httpx takes no network backend of its own: the pool it built is replaced by the same
    # pool connecting through the check (tests/core/test_outbound.py holds this).
    pool = transport._pool
    transport._pool = httpcore.ConnectionPool(
        ssl_context=pool._ssl_context, max_connections=pool._max_connections,
        max_keepalive_connections=pool._max_keepalive_connections, keepalive_expiry=pool._keepalive_expiry,
        network_backend=_PublicOnly(),
    )
    return httpx.Client(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False)


def failure(exc: Exception) -> str:
    """What went wrong with a request, as a category a person can act on, never the target's words
    (in English, as stored; ``gettext`` of it reads it in the reader's language)."""
    if isinstance(exc, OutboundRefused):
        return gettext_noop("address not allowed")
    if isinstance(exc, httpx.TimeoutException):
        return gettext_noop("timed out")
    if isinstance(exc, httpx.ConnectError):
        text = str(exc).lower()
        if "ssl" in text or "certificate" in text:
            return gettext_noop("TLS error")
        if "resolve" in text or "name or service" in text:
            return gettext_noop("host not found")
        return gettext_noop("connection refused")
    if isinstance(exc, httpx.HTTPError):
        return gettext_noop("network error")
    return gettext_noop("error")
