"""Bank staff find any company's bill in the admin, for a payer's complaint."""

import pytest

from tests.conftest import sign_in
from tests.factories import StaffFactory, make_bill, registered_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def bills(company, other_company):
    mine = make_bill(registered_code(company, code="89123"), 1, payer_phone="+6281234567890")
    theirs = make_bill(registered_code(other_company, code="89124"), 2, bill_key="PLN-77120",
                       payer_phone="+6285712345678")
    return mine, theirs


@pytest.fixture
def staff_client(client):
    return sign_in(client, StaffFactory(user_id="bankadmin"))


def _found(client, term) -> str:
    response = client.get("/admin/reminders/bill/", {"q": term})
    assert response.status_code == 200
    return response.content.decode()


def test_staff_find_another_companys_bill_by_the_start_of_its_reference(staff_client, bills):
    _mine, theirs = bills
    page = _found(staff_client, theirs.reference_no[:16].lower())
    assert theirs.reference_no in page and "OTHER02" in page and _mine.reference_no not in page


def test_staff_find_a_bill_by_the_start_of_its_bill_key(staff_client, bills):
    mine, theirs = bills
    page = _found(staff_client, "PLN-771")
    assert theirs.reference_no in page and mine.reference_no not in page


@pytest.mark.parametrize("written", ["085712345678", "+6285712345678", "62 857-1234-5678"])
def test_staff_find_a_bill_by_the_payers_phone_however_written(staff_client, bills, written):
    mine, theirs = bills
    page = _found(staff_client, written)
    assert theirs.reference_no in page and mine.reference_no not in page


def test_a_bill_is_read_only_in_the_admin(staff_client, bills):
    _mine, theirs = bills
    page = staff_client.get(f"/admin/reminders/bill/{theirs.pk}/change/").content.decode()
    assert "Rp\u00a0150.000" in page or "Rp 150.000" in page
    assert 'name="_save"' not in page and f"/admin/reminders/bill/{theirs.pk}/delete/" not in page
    assert staff_client.get("/admin/reminders/bill/add/").status_code == 403
    assert staff_client.post(f"/admin/reminders/bill/{theirs.pk}/delete/", {"post": "yes"}).status_code == 403
