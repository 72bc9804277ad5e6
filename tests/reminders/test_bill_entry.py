"""The console's New bill page refuses what it cannot take with a message on the form, never an error page."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# Whatever a person (or a script posing as one) types: text, numbers, dates of any calendar.
_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
_NUMBER = st.one_of(st.integers(-10**20, 10**20).map(str), st.decimals(allow_nan=True).map(str),
                    st.floats().map(str))
_DATE = st.one_of(st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)).map(
    lambda d: d.strftime("%Y-%m-%dT%H:%M")), st.dates().map(lambda d: d.strftime("%d/%m/%Y")))
_ANY = st.one_of(_TEXT, _NUMBER, _DATE)


@pytest.fixture
def signed_in_maker(client, company, maker):
    """A maker on the New bill page, and the code it enters bills for (shared by every example)."""
    sign_in(client, maker)
    return client, registered_code(company, quota=500, code="70011")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.fixed_dictionaries({}, optional={
    name: _ANY for name in ("bill_key", "payer_phone", "payer_name", "amount", "description", "start_date",
                            "end_date", "partner_reference_no")}))
def test_anything_typed_into_the_new_bill_page_is_a_bill_or_a_form_error(signed_in_maker, values):
    """Any of the fields changed to anything, the others valid (so the later checks are reached)."""
    client, registration = signed_in_maker
    bills = Bill.objects.count()
    valid = {"bill_key": f"K{bills}", "payer_phone": "0812-3456-7890", "amount": "150000",
             "end_date": (timezone.localtime() + dt.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")}
    response = client.post(reverse("bill_entry"), {"registration": registration.pk, **valid, **values})
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 302:
        assert Bill.objects.count() == bills + 1
    else:
        assert Bill.objects.count() == bills
        assert response.context["form"].errors
