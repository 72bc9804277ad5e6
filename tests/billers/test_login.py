"""Signing in to the console: password, one-time code, lockout, sessions."""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import PASSWORD, StaffFactory, UserFactory, authenticator, code_for

pytestmark = pytest.mark.django_db


def password_step(client, company_id, user_id, password=PASSWORD):
    return client.post(reverse("login"), {"company_id": company_id, "user_id": user_id, "password": password})


def full_login(client, user, device):
    password_step(client, user.company.company_id, user.user_id)
    return client.post(reverse("login_otp"), {"code": code_for(device)})


@pytest.fixture
def maker(company):
    return UserFactory(company=company, user_id="maker1")


def test_company_user_signs_in_with_password_then_one_time_code(client, maker):
    device = authenticator(maker)

    response = password_step(client, "acme01", "maker1")  # Company ID in any case
    assert response.status_code == 302 and response["Location"] == reverse("login_otp")
    assert client.get(reverse("home")).status_code == 302, "not signed in before the code"

    response = client.post(reverse("login_otp"), {"code": code_for(device)})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert "PT Acme Air" in home.content.decode()
    assert AuditEvent.objects.filter(action="login.succeeded", actor=maker, company=maker.company).count() == 1


def test_session_key_changes_at_sign_in(client, maker):
    device = authenticator(maker)
    client.get(reverse("login"))
    client.session.save()
    before = client.session.session_key
    full_login(client, maker, device)
    assert client.session.session_key != before


def test_wrong_password_and_unknown_user_get_the_same_answer(client, maker):
    wrong_password = password_step(client, "ACME01", "maker1", "not-the-password")
    unknown_user = password_step(client, "ACME01", "nobody", "not-the-password")
    unknown_company = password_step(client, "NOPE99", "maker1", "not-the-password")
    for response in (wrong_password, unknown_user, unknown_company):
        assert response.status_code == 200
        assert "The Company ID, User ID or password is not right." in response.content.decode()
    assert AuditEvent.objects.filter(action="login.failed").count() == 3


def test_five_failures_within_fifteen_minutes_lock_the_user_for_fifteen_minutes(client, maker):
    device = authenticator(maker)
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        for _ in range(5):
            password_step(client, "ACME01", "maker1", "wrong-password")
        locked = password_step(client, "ACME01", "maker1")  # even the right password
        assert locked.status_code == 429
        assert "Try again after 16:15 WIB." in locked.content.decode()  # 09:00 UTC + 15 minutes, in Jakarta
        assert AuditEvent.objects.filter(action="login.locked_out", company=maker.company).exists()

        clock.shift(dt.timedelta(minutes=14))
        assert password_step(client, "ACME01", "maker1").status_code == 429

        clock.shift(dt.timedelta(minutes=16))
        response = password_step(client, "ACME01", "maker1")
        assert response.status_code == 302 and response["Location"] == reverse("login_otp")
    assert device.pk


def test_an_unknown_user_is_locked_out_exactly_like_a_real_one(client, maker):
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, 0, 30, tzinfo=dt.UTC), tick=False):  # the same end
        for _ in range(5):
            password_step(client, "ACME01", "ghost", "wrong-password")
        ghost = password_step(client, "ACME01", "ghost", "whatever")
        for _ in range(5):
            password_step(client, "ACME01", "maker1", "wrong-password")
        real = password_step(client, "ACME01", "maker1", "whatever")
    assert ghost.status_code == real.status_code == 429

    def page(response, user_id):
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
        return html.replace(user_id, "X")

    assert page(ghost, "ghost") == page(real, "maker1")


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(client, maker):
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        for _ in range(4):
            password_step(client, "ACME01", "maker1", "wrong-password")
        clock.shift(dt.timedelta(minutes=16))
        for _ in range(4):
            password_step(client, "ACME01", "maker1", "wrong-password")
        assert password_step(client, "ACME01", "maker1").status_code == 302


def test_locking_one_user_leaves_a_colleague_at_the_same_address_alone(client, maker, company):
    colleague = UserFactory(company=company, user_id="colleague")
    for _ in range(6):
        password_step(client, "ACME01", "maker1", "wrong-password")
    assert password_step(client, "ACME01", colleague.user_id).status_code == 302


def test_a_one_time_code_cannot_be_used_twice_and_a_reuse_is_not_counted_as_a_failure(client, maker):
    device = authenticator(maker)
    code = code_for(device)
    password_step(client, "ACME01", "maker1")
    assert client.post(reverse("login_otp"), {"code": code}).status_code == 302
    client.post(reverse("logout"))
    failures_before = AuditEvent.objects.filter(action="login.failed").count()

    password_step(client, "ACME01", "maker1")
    replay = client.post(reverse("login_otp"), {"code": code})
    assert replay.status_code == 200
    assert "That code was already used. Wait for the next one." in replay.content.decode()
    assert client.get(reverse("home")).status_code == 302
    assert AuditEvent.objects.filter(action="login.failed").count() == failures_before
    wrong = client.post(reverse("login_otp"), {"code": "000000" if code != "000000" else "111111"})
    assert "That code is not right" in wrong.content.decode()
    assert AuditEvent.objects.filter(action="login.failed").count() == failures_before + 1


def test_a_wrong_code_counts_towards_the_lockout(client, maker):
    authenticator(maker)
    for _ in range(5):
        password_step(client, "ACME01", "maker1")
        client.post(reverse("login_otp"), {"code": "000000"})
    assert password_step(client, "ACME01", "maker1").status_code == 429


def test_first_sign_in_enrols_an_authenticator_from_a_qr_code(client, maker):
    password_step(client, "ACME01", "maker1")
    page = client.get(reverse("login_otp"))
    html = page.content.decode()
    assert "Set up your authenticator" in html
    assert 'src="data:image/svg+xml;base64,' in html

    device = TOTPDevice.objects.get(user=maker, confirmed=False)
    assert page.context["secret_b32"] in html
    response = client.post(reverse("login_otp"), {"code": code_for(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed


def test_a_company_without_two_factor_signs_in_with_the_password_alone(client, maker):
    maker.company.require_two_factor = False
    maker.company.save()
    response = password_step(client, "ACME01", "maker1")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_the_code_step_expires_after_five_minutes(client, maker):
    device = authenticator(maker)
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        password_step(client, "ACME01", "maker1")
        clock.shift(dt.timedelta(minutes=6))
        response = client.post(reverse("login_otp"), {"code": code_for(device)})
    assert response.status_code == 302 and response["Location"] == reverse("login")


def test_thirty_idle_minutes_end_the_session(client, maker):
    device = authenticator(maker)
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        full_login(client, maker, device)
        clock.shift(dt.timedelta(minutes=29))
        assert client.get(reverse("home")).status_code == 200
        clock.shift(dt.timedelta(minutes=29))
        assert client.get(reverse("home")).status_code == 200, "activity restarts the idle clock"
        clock.shift(dt.timedelta(minutes=31))
        assert client.get(reverse("home")).status_code == 302


def test_twelve_hours_after_sign_in_the_session_ends_however_active(client, maker):
    device = authenticator(maker)
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        full_login(client, maker, device)
        for _ in range(12 * 3 - 1):  # a request every 20 minutes for just under 12 hours
            clock.shift(dt.timedelta(minutes=20))
            assert client.get(reverse("home")).status_code == 200
        clock.shift(dt.timedelta(minutes=21))
        assert client.get(reverse("home")).status_code == 302


def test_disabling_a_user_ends_their_open_sessions(client, maker):
    device = authenticator(maker)
    full_login(client, maker, device)
    assert client.get(reverse("home")).status_code == 200
    maker.is_active = False
    maker.save()
    assert client.get(reverse("home")).status_code == 302


def test_a_suspended_company_cannot_sign_in(client, maker):
    authenticator(maker)
    maker.company.status = "suspended"
    maker.company.save()
    assert password_step(client, "ACME01", "maker1").status_code == 200


def test_logout_is_a_post_and_ends_the_session(client, maker):
    device = authenticator(maker)
    full_login(client, maker, device)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302
    assert AuditEvent.objects.filter(action="logout", actor=maker).count() == 1


def test_passwords_are_hashed_with_argon2_in_the_project_settings():
    from kopra import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    from django.contrib.auth.hashers import Argon2PasswordHasher

    assert make_password("Correct-Horse-Battery-42", hasher=Argon2PasswordHasher()).startswith("argon2$argon2id$")


def test_next_is_followed_only_within_the_site(client, maker):
    device = authenticator(maker)
    client.post(reverse("login"), {"company_id": "ACME01", "user_id": "maker1", "password": PASSWORD,
                                   "next": "https://evil.example/"})
    response = client.post(reverse("login_otp"), {"code": code_for(device), "next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


# --- Bank staff and the admin site ------------------------------------------------------


def test_bank_staff_enter_the_admin_only_with_a_one_time_code(client):
    staff = StaffFactory(user_id="bankstaff")
    device = authenticator(staff)
    without_code = client.post("/admin/login/?next=/admin/", {"username": "bankstaff", "password": PASSWORD})
    assert without_code.status_code == 200
    assert client.get("/admin/").status_code == 302

    with_code = client.post("/admin/login/?next=/admin/", {
        "username": "bankstaff", "password": PASSWORD, "code": code_for(device),
    })
    assert with_code.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/billers/company/").status_code == 200
    assert client.get("/admin/billers/user/").status_code == 200


def test_company_users_never_enter_the_admin(client, company):
    boss = UserFactory(company=company, user_id="boss2", is_admin=True)
    from tests.conftest import sign_in

    sign_in(client, boss)
    assert client.get("/admin/").status_code == 302


def test_an_unknown_user_takes_as_long_to_refuse_as_a_wrong_password(client, maker, settings):
    """With the real Argon2 hasher, the two refusals cost the same hashing work."""
    import statistics
    import time

    from billers.auth import CompanyUserBackend

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    maker.set_password(PASSWORD)
    maker.save()
    backend = CompanyUserBackend()

    def duration(user_id):
        started = time.perf_counter()
        assert backend.authenticate(None, company_id="ACME01", user_id=user_id, password="wrong-password") is None
        return time.perf_counter() - started

    known = statistics.median(duration("maker1") for _ in range(5))
    unknown = statistics.median(duration("nobody") for _ in range(5))
    assert 0.5 < unknown / known < 2.0, (known, unknown)


def test_a_lockout_ends_when_it_said_it_would_whatever_is_tried_meanwhile(client, maker):
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        for _ in range(5):
            password_step(client, "ACME01", "maker1", "wrong-password")
        for minutes in (5, 5, 4):  # tries during the lockout: 9:05, 9:10, 9:14
            clock.shift(dt.timedelta(minutes=minutes))
            locked = password_step(client, "ACME01", "maker1", "wrong-password")
            assert locked.status_code == 429
            assert "Try again after 16:15 WIB." in locked.content.decode(), "the end does not move"
        clock.shift(dt.timedelta(minutes=1, seconds=1))  # 9:15:01
        response = password_step(client, "ACME01", "maker1")
        assert response.status_code == 302 and response["Location"] == reverse("login_otp")


def test_a_user_locked_from_one_address_still_signs_in_from_another(client, maker):
    """Knowing a User ID is not enough to lock its owner out."""
    for _ in range(6):
        client.post(reverse("login"), {"company_id": "ACME01", "user_id": "maker1", "password": "wrong"},
                    REMOTE_ADDR="203.0.113.9")
    locked = client.post(reverse("login"), {"company_id": "ACME01", "user_id": "maker1", "password": PASSWORD},
                         REMOTE_ADDR="203.0.113.9")
    assert locked.status_code == 429
    elsewhere = client.post(reverse("login"), {"company_id": "ACME01", "user_id": "maker1", "password": PASSWORD},
                            REMOTE_ADDR="198.51.100.7")
    assert elsewhere.status_code == 302


def test_one_address_trying_many_users_is_stopped(client, maker, settings):
    settings.SIGN_IN_FAILURES_PER_ADDRESS = 10
    for number in range(10):  # one wrong password each: no user is locked
        client.post(reverse("login"), {"company_id": "ACME01", "user_id": f"user{number}", "password": "Winter2026!"},
                    REMOTE_ADDR="203.0.113.9")
    sprayed = client.post(reverse("login"), {"company_id": "ACME01", "user_id": "maker1", "password": PASSWORD},
                          REMOTE_ADDR="203.0.113.9")
    assert sprayed.status_code == 429
    assert "from this address" in sprayed.content.decode()
    assert re.search(r"Try again after \d\d:\d\d WIB\.", sprayed.content.decode())
    fine = client.post(reverse("login"), {"company_id": "ACME01", "user_id": "maker1", "password": PASSWORD},
                       REMOTE_ADDR="198.51.100.7")
    assert fine.status_code == 302


def test_the_company_admin_is_told_of_a_lockout_on_the_dashboard(client, maker, company_admin, client_factory):
    for _ in range(5):
        client.post(reverse("login"), {"company_id": "ACME01", "user_id": "maker1", "password": "wrong"},
                    REMOTE_ADDR="203.0.113.9")
    admin = client_factory()
    sign_in(admin, company_admin)
    page = re.sub(r"\s+", " ", admin.get(reverse("home")).content.decode())
    assert "ACME01/maker1 was locked out of sign-in for 15 minutes" in page
    assert "from address 203.0.113.9" in page

    colleague = client_factory()
    sign_in(colleague, UserFactory(company=maker.company, user_id="maker2"))
    assert "locked out of sign-in" not in colleague.get(reverse("home")).content.decode()


def test_the_lockout_says_until_when_in_jakarta_time_in_the_readers_language(client, maker):
    """The lockout ends 15 minutes after the failure that caused it; a time between minutes is rounded up,
    so trying at the minute shown works."""
    with time_machine.travel(dt.datetime(2026, 12, 1, 7, 31, 20, tzinfo=dt.UTC), tick=False) as clock:
        for _ in range(4):
            password_step(client, "ACME01", "maker1", "wrong-password")
        clock.shift(dt.timedelta(minutes=2))  # the fifth failure, at 14:33:20 WIB, starts the lockout
        password_step(client, "ACME01", "maker1", "wrong-password")
        locked = password_step(client, "ACME01", "maker1")
        assert locked.status_code == 429
        assert ("Too many failed sign-in attempts: sign-in for this user from this address is locked. "
                "Try again after 14:49 WIB.") in locked.content.decode()
        indonesian = client.post(reverse("login"), {"company_id": "ACME01", "user_id": "maker1", "password": PASSWORD},
                                 HTTP_ACCEPT_LANGUAGE="id")
        assert "Coba lagi setelah pukul 14:49 WIB." in indonesian.content.decode()
        clock.shift(dt.timedelta(minutes=15, seconds=40))  # 14:49:00 WIB
        assert password_step(client, "ACME01", "maker1").status_code == 302
