"""Bank staff in the admin: one-step sign-in, names they can read, nothing deleted that others depend on."""

import pytest
from django.conf import settings
from django_otp import DEVICE_ID_SESSION_KEY

from billers.models import Company, User
from core.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import PASSWORD, StaffFactory, UserFactory, authenticator, code_for, registered_code

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture
def banker():
    return StaffFactory(user_id="bankstaff")


def test_staff_sign_in_with_user_id_password_and_code_in_one_step(client, banker):
    device = authenticator(banker)
    page = client.get(LOGIN).content.decode()
    assert 'name="code"' in page and "One-time code" in page
    assert "otp_device" not in page and "OTP Device" not in page and "Get OTP Challenge" not in page

    response = client.post(LOGIN, {"username": "bankstaff", "password": PASSWORD, "code": code_for(device)})

    assert response.status_code == 302 and response["Location"] == "/admin/"
    index = client.get("/admin/")
    assert index.status_code == 200 and "Bank administration" in index.content.decode()


def test_a_wrong_code_is_refused_clearly_and_counts_as_a_failed_sign_in(client, banker):
    device = authenticator(banker)
    wrong = str((int(code_for(device)) + 1) % 1_000_000).zfill(6)

    response = client.post(LOGIN, {"username": "bankstaff", "password": PASSWORD, "code": wrong})

    page = response.content.decode()
    assert response.status_code == 200
    assert "That code is not right, or was already used. Wait for the next one." in page
    assert "select a device" not in page.lower()
    assert client.get("/admin/").status_code == 302
    failures = AuditEvent.objects.filter(action="login.failed")
    assert [event.details["login"] for event in failures] == ["bankstaff"]


def test_a_missing_code_is_asked_for_by_name_and_counts_as_a_failed_sign_in(client, banker):
    authenticator(banker)
    response = client.post(LOGIN, {"username": "bankstaff", "password": PASSWORD, "code": ""})
    assert "Enter the 6 digits your authenticator app shows." in response.content.decode()
    assert client.get("/admin/").status_code == 302
    # Else a right password without a code would be a free test of passwords.
    assert AuditEvent.objects.filter(action="login.failed").count() == 1


def test_an_empty_user_id_is_asked_for_not_taken_for_a_missing_authenticator(client, banker):
    page = client.post(LOGIN, {"username": "", "password": "", "code": ""}).content.decode()
    assert "No authenticator app" not in page and "This field is required." in page


def test_an_address_trying_many_staff_users_is_refused_here_as_on_the_console(client, banker, settings):
    settings.SIGN_IN_FAILURES_PER_ADDRESS = 6
    device = authenticator(banker)
    for number in range(6):  # one wrong password each: no user is locked
        client.post(LOGIN, {"username": f"staff{number}", "password": "Winter2026!", "code": "123456"},
                    REMOTE_ADDR="203.0.113.9")
    sprayed = client.post(LOGIN, {"username": "bankstaff", "password": PASSWORD, "code": code_for(device)},
                          REMOTE_ADDR="203.0.113.9")
    assert "Too many failed sign-in attempts from this address" in sprayed.content.decode()
    assert client.get("/admin/").status_code == 302
    elsewhere = client.post(LOGIN, {"username": "bankstaff", "password": PASSWORD, "code": code_for(device)},
                            REMOTE_ADDR="198.51.100.7")
    assert elsewhere.status_code == 302


def test_a_password_staff_set_for_a_company_user_is_replaced_at_the_next_sign_in(client, banker, company):
    user = UserFactory(company=company, user_id="helpdesk1")
    assert not user.password_change_required
    client.force_login(banker)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = authenticator(banker).persistent_id
    session.save()
    response = client.post(f"/admin/billers/user/{user.pk}/password/",
                           {"password1": "Helpdesk-Temp-2026!", "password2": "Helpdesk-Temp-2026!",
                            "usable_password": "true"})
    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    assert user.check_password("Helpdesk-Temp-2026!") and user.password_change_required


def test_a_wrong_password_is_refused_before_the_code_is_looked_at(client, banker):
    device = authenticator(banker)
    response = client.post(LOGIN, {"username": "bankstaff", "password": "wrong-password", "code": code_for(device)})
    page = response.content.decode()
    assert "correct User ID and password for a staff account" in page
    assert "code is not right" not in page


def test_five_wrong_codes_lock_the_staff_user_out_as_wrong_passwords_do(client, banker):
    device = authenticator(banker)
    wrong = str((int(code_for(device)) + 1) % 1_000_000).zfill(6)
    for _ in range(5):
        client.post(LOGIN, {"username": "bankstaff", "password": PASSWORD, "code": wrong})

    locked = client.post(LOGIN, {"username": "bankstaff", "password": PASSWORD, "code": code_for(device)})

    assert locked.status_code == 429
    assert client.get("/admin/").status_code == 302


def test_staff_without_an_authenticator_are_told_who_sets_one_up(client, banker):
    response = client.post(LOGIN, {"username": "bankstaff", "password": PASSWORD, "code": "123456"})
    assert "No authenticator app is set up for this user." in response.content.decode()


# --- Names staff can read ----------------------------------------------------------------


def test_the_admin_index_names_every_app_in_words_in_both_languages(client, banker):
    sign_in(client, banker)
    index = client.get("/admin/").content.decode()
    assert "Two-factor sign-in" in index and "Authenticator apps" in index and "Sign-in lockouts" in index
    assert "Otp_Totp" not in index and "OTP_TOTP" not in index and ">Axes<" not in index
    assert "Overview of all companies" in index and "Find a bill" in index

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    index = client.get("/admin/").content.decode()
    assert "Verifikasi dua langkah" in index and "Aplikasi autentikator" in index and "Penguncian masuk" in index
    assert "Ikhtisar semua perusahaan" in index and "Cari tagihan" in index


def test_money_in_the_admin_reads_as_rupiah(client, banker, company):
    from quota.models import Agreement

    Agreement.objects.create(company=company, unit_price="58275.00")
    sign_in(client, banker)
    page = client.get("/admin/quota/agreement/").content.decode()
    assert "Rp\u00a058.275" in page or "Rp 58.275" in page
    assert "58275.00" not in page and "58275,00" not in page


# --- Nothing deleted that others depend on ------------------------------------------------


def test_a_company_has_no_delete_button_and_its_delete_url_is_refused(client, banker, company):
    sign_in(client, banker)
    change = client.get(f"/admin/billers/company/{company.pk}/change/").content.decode()
    assert f"/admin/billers/company/{company.pk}/delete/" not in change
    assert client.get(f"/admin/billers/company/{company.pk}/delete/").status_code == 403
    assert client.post(f"/admin/billers/company/{company.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = client.post("/admin/billers/company/", {"action": "delete_selected", "_selected_action": [company.pk],
                                                    "post": "yes"})
    assert bulk.status_code in (200, 302)
    assert Company.objects.filter(pk=company.pk).exists()
    assert 'value="delete_selected"' not in client.get("/admin/billers/company/").content.decode()


@pytest.mark.parametrize("path", ["billercode", "registration"])
def test_biller_codes_and_registrations_are_never_deleted(client, banker, company, path):
    registration = registered_code(company, quota=10)
    pk = registration.biller_code.pk if path == "billercode" else registration.pk
    sign_in(client, banker)
    assert client.post(f"/admin/billers/{path}/{pk}/delete/", {"post": "yes"}).status_code == 403


def test_a_user_who_signed_in_is_disabled_not_deleted_and_a_user_never_used_may_go(client, banker, company):
    from django.utils import timezone

    used = UserFactory(company=company, user_id="used", last_login=timezone.now())
    fresh = UserFactory(company=company, user_id="fresh")
    sign_in(client, banker)

    assert client.post(f"/admin/billers/user/{used.pk}/delete/", {"post": "yes"}).status_code == 403
    assert f"/admin/billers/user/{fresh.pk}/delete/" in client.get(
        f"/admin/billers/user/{fresh.pk}/change/").content.decode()
    assert client.post(f"/admin/billers/user/{fresh.pk}/delete/", {"post": "yes"}).status_code == 302
    assert list(User.objects.filter(company=company).values_list("user_id", flat=True)) == ["used"]
