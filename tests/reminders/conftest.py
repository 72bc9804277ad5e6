"""Fixtures for the Open API tests: a registered biller code and signing clients that call
the application in-process (httpx's WSGI transport)."""

import itertools

import httpx
import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections

from core import signing
from snap.client import SnapClient
from snap.credentials import credential_create
from tests.factories import registered_code

BASE_URL = "http://testserver"
_names = itertools.count(1)


def make_client(company, keypair, transport, *, ip_allowlist: str = "") -> SnapClient:
    """A signing client for a new API credential of ``company``; the credential is ``.credential``."""
    private_pem, public_pem = keypair
    credential, secret = credential_create(
        company=company,
        actor=None,
        name=f"Test billing system {next(_names)}",
        public_key_pem=public_pem,
        ip_allowlist=ip_allowlist,
    )
    client = SnapClient(BASE_URL, credential.client_key, secret, private_pem, transport=transport)
    client.credential = credential
    return client


@pytest.fixture
def keypair():
    return signing.generate_rsa_keypair()


@pytest.fixture
def wsgi_transport():
    # As Django's test client does: the handler must not close the database connection after
    # each request, which would end the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield httpx.WSGITransport(app=get_wsgi_application(), remote_addr="127.0.0.1")
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def registration(company):
    return registered_code(company, quota=10, code="89123")


@pytest.fixture
def api(company, registration, keypair, wsgi_transport):
    return make_client(company, keypair, wsgi_transport)
