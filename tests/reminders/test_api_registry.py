"""The Open API takes no bill for a code the MBC registry made inactive or open payment."""

import pytest

from billers.models import BillerCode
from reminders.models import Bill
from tests.reminders.test_api import message

pytestmark = pytest.mark.django_db

CHANGES = [
    ({"status": BillerCode.Status.INACTIVE}, "inactive in the MBC registry"),
    ({"payment_mechanism": BillerCode.PaymentMechanism.OPEN}, "uses open payment"),
]


@pytest.mark.parametrize("change, reason", CHANGES)
def test_a_code_the_registry_no_longer_lets_take_bills_is_refused_on_the_api(api, registration, change, reason):
    BillerCode.objects.filter(pk=registration.biller_code_id).update(**change)
    response = api.create_message(**message())
    assert response.status_code == 403 and response.body["responseCode"] == "4039001"
    assert reason in response.body["responseMessage"]
    batch = api.create_messages([message()])
    assert batch.body["results"][0]["responseCode"] == "4039001"
    assert not Bill.objects.exists()
