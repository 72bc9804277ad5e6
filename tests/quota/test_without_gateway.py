"""Without a payments gateway (PAYMENTS_GATEWAY empty, as with the sandbox removed) top-ups are
refused with a message naming the setting, in the console and in the service."""

import pytest

from core.errors import NotConfigured
from quota.models import TopUpOrder
from quota.topups import topup_request
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def test_a_top_up_is_refused_naming_the_missing_gateway(settings, registration, maker):
    settings.PAYMENTS_GATEWAY = ""
    with pytest.raises(NotConfigured, match="no payments gateway to the bank yet \\(setting PAYMENTS_GATEWAY\\)"):
        topup_request(registration=registration, actor=maker, method="va", units=1000)
    assert not TopUpOrder.objects.exists()


def test_the_top_up_page_sends_the_maker_back_with_the_reason(settings, client, registration, maker):
    settings.PAYMENTS_GATEWAY = ""
    sign_in(client, maker)
    response = client.get(f"/quota/{registration.pk}/top-up/", follow=True)
    assert "Top-ups are not available" in response.content.decode()
    assert "PAYMENTS_GATEWAY" in response.content.decode()
    assert not TopUpOrder.objects.exists()
