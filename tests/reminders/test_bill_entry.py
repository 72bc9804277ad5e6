"""The console's New bill page refuses what it cannot take with a message on the form, never an error page."""

import pytest
from django.urls import reverse

from reminders.models import Bill
from tests.conftest import sign_in
from tests.factories import registered_code

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("end", ["9999-12-31T23:59", "0001-01-01T00:00"])
def test_a_date_at_the_end_of_the_calendar_is_a_form_error(client, company, maker, end):
    registration = registered_code(company, quota=5, code="70011")
    sign_in(client, maker)
    response = client.post(reverse("bill_entry"), {"registration": registration.pk, "bill_key": "K1",
                                                   "payer_phone": "0812-3456-7890", "amount": "150000",
                                                   "end_date": end})
    assert response.status_code == 200
    assert "2000" in response.content.decode() and "2099" in response.content.decode()
    assert not Bill.objects.exists()
