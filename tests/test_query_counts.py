"""No console page issues a number of queries that grows with the number of rows it shows.

Each list page is read with 5 rows and again with 50: the counts must be equal. (The
dashboard, bill list, bill page, uploads list, approval queue and reports have their own
tests, next to their other behaviour, in tests/reminders and tests/test_approvals_queue.py.)
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from core.audit import audit_record
from quota.models import TopUpOrder
from quota.services import quota_grant
from reminders.models import Upload, UploadError
from snap.models import ApiCredential
from tests.conftest import sign_in
from tests.console_data import queries_of
from tests.factories import AgreementFactory, BillerCodeFactory, UserFactory, registered_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(company):
    AgreementFactory(company=company)
    return UserFactory(company=company, user_id="boss", is_admin=True, is_maker=True, is_approver=True,
                       is_viewer=True)


@pytest.fixture
def registration(company):
    return registered_code(company, quota=100, code="70001")


def same_for_5_and_50(client, url, add_rows):
    add_rows(5)
    with_five = queries_of(lambda: client.get(url))
    add_rows(45)
    with_fifty = queries_of(lambda: client.get(url))
    assert with_five == with_fifty, (url, with_five, with_fifty)


def test_biller_codes_registered_or_not(client, company, boss):
    sign_in(client, boss)
    counter = iter(range(100))

    def codes(n):
        for _ in range(n):
            if next(counter) % 2:
                BillerCodeFactory(company=company)  # registrable, or why not: read per row before
            else:
                registered_code(company, quota=10)
    same_for_5_and_50(client, reverse("biller_codes"), codes)


def test_quota_overview(client, company, boss):
    sign_in(client, boss)
    same_for_5_and_50(client, reverse("quota_overview"),
                      lambda n: [registered_code(company, quota=10) for _ in range(n)])


def test_quota_statement(client, company, boss, registration):
    sign_in(client, boss)
    counter = iter(range(1000))
    same_for_5_and_50(client, reverse("quota_detail", args=[registration.pk]), lambda n: [
        quota_grant(registration=registration, units=1, reference=f"test:{next(counter)}", actor=boss)
        for _ in range(n)])


def test_quota_movements_name_their_bills_and_actors_without_a_query_each(client, company, boss, registration):
    from quota.services import quota_reserve_each
    from tests.console_data import bills

    sign_in(client, boss)
    counter = iter(range(1000))

    def movements(n):
        for _ in range(n):  # a bill reserved, and a movement by a person
            quota_reserve_each(registration=registration, references=[bills(registration, 1)[0].quota_reference])
            quota_grant(registration=registration, units=1, reference=f"test:{next(counter)}",
                        actor=UserFactory(company=company))
    url = reverse("quota_movements", args=[registration.pk])
    client.get(url)  # the session's first page reads a few things once
    same_for_5_and_50(client, url, movements)


@pytest.mark.sandbox  # top-ups are paid at the sandbox bank
def test_topup_orders(client, company, boss, registration):
    from quota.topups import topup_request

    maker = UserFactory(company=company, user_id="maker")
    sign_in(client, boss)
    same_for_5_and_50(client, reverse("topup_list"), lambda n: [
        topup_request(registration=registration, actor=maker, method="va", units=100) for _ in range(n)])
    assert TopUpOrder.objects.count() == 50


def test_users(client, company, boss):
    sign_in(client, boss)
    same_for_5_and_50(client, reverse("users_list"),
                      lambda n: [UserFactory(company=company) for _ in range(n)])


def test_audit_log(client, company, boss):
    sign_in(client, boss)
    same_for_5_and_50(client, reverse("audit_log"), lambda n: [
        audit_record(action="test", actor=boss, company=company, sentence=f"line {i}") for i in range(n)])


def test_api_credentials(client, company, boss):
    sign_in(client, boss)
    same_for_5_and_50(client, reverse("credential_list"), lambda n: ApiCredential.objects.bulk_create(
        ApiCredential(company=company, name=f"ERP {i}", client_key=f"key-{n}-{i}-{timezone.now().timestamp()}",
                      client_secret_encrypted="x", public_key_pem="x", created_by=boss) for i in range(n)))


def test_callback_settings(client, company, boss, registration):
    from notifications.callbacks import bills_event
    from tests.console_data import bills

    sign_in(client, boss)
    from notifications import callbacks

    callbacks.callback_setting_save(company=company, url="https://acme.example/callback")
    same_for_5_and_50(client, reverse("callback_settings"),
                      lambda n: bills_event(bills(registration, n)))


def test_upload_report(client, company, boss, registration, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = Upload.objects.create(company=company, registration=registration, file="uploads/x.csv",
                                   original_name="x.csv", sha256="0" * 64, uploaded_by=boss,
                                   status=Upload.Status.VALIDATED, rows_total=100, valid_rows=0)
    sign_in(client, boss)
    counter = iter(range(1000))
    same_for_5_and_50(client, reverse("upload_detail", args=[upload.pk]), lambda n: UploadError.objects.bulk_create(
        UploadError(upload=upload, row_number=next(counter) + 2, column="payer_phone", value="12345",
                    code="phone_invalid", message="%(text)s is not a mobile number", params={"text": "12345"})
        for _ in range(n)))
