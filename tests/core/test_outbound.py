"""Requests to a URL a user gave reach only the public internet (core.outbound)."""

import httpx
import pytest

from core import outbound
from tests.notifications.receiver import Receiver

PRIVATE = ["http://127.0.0.1:8000/x", "http://localhost/x", "http://169.254.169.254/latest/meta-data/",
           "http://[::1]:8000/", "http://10.1.2.3/", "http://192.168.1.10/", "http://172.16.0.1/",
           "http://100.64.0.1/", "http://0.0.0.0/", "http://224.0.0.1/", "http://[fe80::1]/",
           "http://[fd00::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:169.254.169.254]/"]


@pytest.mark.parametrize("url", PRIVATE)
def test_an_address_of_this_machine_or_a_private_network_is_refused(url, settings):
    settings.OUTBOUND_ALLOW_LOCAL = False
    refusal = outbound.url_refusal(url)
    assert refusal and "private or local network" in refusal


def test_a_public_address_and_a_host_that_does_not_resolve_yet_are_accepted(settings):
    settings.OUTBOUND_ALLOW_LOCAL = False
    assert outbound.url_refusal("http://93.184.216.34/hooks") is None
    assert outbound.url_refusal("https://erp.example/hooks") is None  # resolved again at each request


def test_production_takes_only_https(settings):
    settings.PRODUCTION = True
    assert "https://" in outbound.url_refusal("http://93.184.216.34/hooks")
    assert outbound.url_refusal("https://93.184.216.34/hooks") is None
    assert "full URL" in outbound.url_refusal("ftp://93.184.216.34/x")


def test_the_client_refuses_to_connect_to_this_machine_even_by_name(settings):
    settings.OUTBOUND_ALLOW_LOCAL = False
    with Receiver() as receiver:
        for url in (receiver.url, receiver.url.replace("127.0.0.1", "localhost")):
            with outbound.client(timeout=5) as http, pytest.raises(outbound.OutboundRefused):
                http.post(url + "/probe", content=b"{}")
        assert receiver.requests == [], "nothing reached the receiver"


def test_with_the_explicit_setting_a_local_receiver_is_reached_and_redirects_are_not_followed(settings):
    settings.OUTBOUND_ALLOW_LOCAL = True
    with Receiver(statuses=[302]) as receiver:
        with outbound.client(timeout=5) as http:
            response = http.post(receiver.url + "/hooks", content=b"{}")
        assert response.status_code == 302
        assert [r["path"] for r in receiver.requests] == ["/hooks"]


@pytest.mark.parametrize("exc, category", [
    (outbound.OutboundRefused("10.0.0.1"), "address not allowed"),
    (httpx.ConnectTimeout("timed out"), "timed out"),
    (httpx.ConnectError("[Errno 111] Connection refused"), "connection refused"),
    (httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"), "TLS error"),
    (httpx.RemoteProtocolError("Server disconnected: <html>secret page</html>"), "network error"),
])
def test_a_failure_is_told_as_a_category_never_in_the_targets_words(exc, category):
    assert outbound.failure(exc) == category
