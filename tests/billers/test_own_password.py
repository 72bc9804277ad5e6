"""A user changes their own password; one given by an admin must be changed before any other console page."""

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from billers.models import User
from core.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import PASSWORD, UserFactory, authenticator, code_for

pytestmark = pytest.mark.django_db

NEW = "Quiet-Harbour-Lantern-58"


def change(client, current=PASSWORD, new=NEW, again=None):
    return client.post(reverse("password_change"), {
        "current_password": current, "new_password": new, "new_password_again": new if again is None else again,
    })


def errors_of(response) -> dict[str, list[str]]:
    """The form's problems by field, each also on the page."""
    errors = {name: list(messages) for name, messages in response.context["form"].errors.items()}
    html = response.content.decode()
    for messages in errors.values():
        for message in messages:
            assert escape(message) in html
    return errors


def test_the_top_bar_links_to_the_password_page(client, maker):
    html = sign_in(client, maker).get(reverse("home")).content.decode()
    assert f'href="{reverse("password_change")}"' in html


def test_a_wrong_current_password_is_refused_naming_it(client, maker):
    response = change(sign_in(client, maker), current="not-my-password")
    assert response.status_code == 200
    assert errors_of(response) == {"current_password": ["The current password is not right."]}
    maker.refresh_from_db()
    assert maker.check_password(PASSWORD)


def test_wrong_current_passwords_count_towards_the_lockout_and_end_the_session_at_the_limit(client, maker):
    signed_in = sign_in(client, maker)
    for _ in range(4):
        assert change(signed_in, current="not-my-password").status_code == 200
    assert AuditEvent.objects.filter(action="login.failed").count() == 4
    fifth = change(signed_in, current="not-my-password")
    assert fifth.status_code == 429
    assert re.search(r"Try again after \d\d:\d\d WIB", fifth.content.decode())
    assert signed_in.get(reverse("home")).status_code == 302  # signed out
    maker.refresh_from_db()
    assert maker.check_password(PASSWORD)  # unchanged


def test_two_different_new_passwords_are_refused(client, maker):
    response = change(sign_in(client, maker), again="Quiet-Harbour-Lantern-59")
    assert errors_of(response) == {"new_password_again": ["The two new passwords differ: type the same one twice."]}
    maker.refresh_from_db()
    assert maker.check_password(PASSWORD)


def test_a_weak_new_password_is_refused_with_the_validators_reasons(client, maker):
    response = change(sign_in(client, maker), new="12345678")
    errors = " ".join(errors_of(response)["new_password"])
    assert "too short" in errors and "too common" in errors and "entirely numeric" in errors
    maker.refresh_from_db()
    assert maker.check_password(PASSWORD)


def test_the_same_password_again_is_not_a_change(client, maker):
    response = change(sign_in(client, maker), new=PASSWORD)
    assert errors_of(response) == {"new_password": ["Choose a new password that differs from the current one."]}


def test_a_change_keeps_this_session_signed_in_ends_the_others_and_is_audited(client, client_factory, maker):
    other = sign_in(client_factory(), maker)
    response = change(sign_in(client, maker))
    assert response.status_code == 302 and response["Location"] == reverse("home")
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert "Your password has been changed." in home.content.decode()
    assert other.get(reverse("home")).status_code == 302, "another session of the user ends"
    maker.refresh_from_db()
    assert maker.check_password(NEW)
    event = AuditEvent.objects.get(action="user.password_changed", object_id=str(maker.pk))
    assert event.actor == maker and event.company == maker.company
    assert NEW not in repr(vars(event)), "no column of the audit line holds the password"


def test_a_user_an_admin_created_must_choose_a_password_before_any_other_page(admin_client, client_factory,
                                                                             company):
    admin_client.post(reverse("user_create"), {
        "user_id": "newbie", "full_name": "Nina Newbie", "roles": ["maker", "approver"],
        "password": "Given-By-Admin-2026",
    })
    newbie = User.objects.get(company=company, user_id="newbie")
    assert newbie.password_change_required
    device = authenticator(newbie)
    client = client_factory()
    client.post(reverse("login"), {"company_id": "ACME01", "user_id": "newbie", "password": "Given-By-Admin-2026"})
    response = client.post(reverse("login_otp"), {"code": code_for(device)}, follow=True)
    assert response.request["PATH_INFO"] == reverse("password_change")
    assert 'id="password-change-required"' in response.content.decode()

    for name in ("home", "bill_list", "upload_list", "approval_queue", "quota_overview", "mail_preferences",
                 "report"):
        answer = client.get(reverse(name))
        assert answer.status_code == 302 and answer["Location"] == reverse("password_change"), name
    assert client.get(reverse("help")).status_code == 200, "help stays open"

    assert change(client, current="Given-By-Admin-2026").status_code == 302
    newbie.refresh_from_db()
    assert not newbie.password_change_required
    for name in ("home", "bill_list", "approval_queue", "mail_preferences"):
        assert client.get(reverse(name)).status_code == 200, name
    assert "password-change-required" not in client.get(reverse("password_change")).content.decode()


def test_a_user_made_to_change_can_still_sign_out(client, maker):
    User.objects.filter(pk=maker.pk).update(password_change_required=True)
    sign_in(client, maker)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.get(reverse("password_change")).status_code == 302
    assert client.get(reverse("password_change"))["Location"].startswith(reverse("login"))


def test_a_password_an_admin_resets_must_be_changed_too(admin_client, client_factory, company):
    user = UserFactory(company=company, user_id="forgetful")
    assert not user.password_change_required, "factories make users who chose their password"
    admin_client.post(reverse("user_reset_password", args=[user.pk]), {"password": "Brand-New-Pass-77"})
    user.refresh_from_db()
    assert user.password_change_required
    client = sign_in(client_factory(), user)
    assert client.get(reverse("bill_list"))["Location"] == reverse("password_change")


def test_the_api_is_not_held_up_by_a_password_to_change(client, maker):
    """The Open API signs its calls with credentials, not a user's session: a pending change changes nothing."""
    User.objects.filter(pk=maker.pk).update(password_change_required=True)
    sign_in(client, maker)
    response = client.post("/snap/v1.0/bill-reminder/quota/inquiry", data="{}", content_type="application/json")
    assert response.status_code != 302
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.sandbox  # the demo lives with the sandbox bank
def test_the_demo_users_are_not_made_to_change_their_printed_passwords(client_factory, tmp_path, settings):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from demo import seed as demo

    settings.VAR_DIR = tmp_path / "var"
    demo.seed()
    for spec in demo.COMPANY_USERS:
        user = User.objects.get(company__company_id="DEMO01", user_id=spec["user_id"])
        assert not user.password_change_required, spec["user_id"]
        client = client_factory()
        client.post(reverse("login"), {"company_id": "DEMO01", "user_id": spec["user_id"],
                                       "password": spec["password"]})
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        assert client.post(reverse("login_otp"), {"code": code_for(device)})["Location"] == reverse("home")
        assert client.get(reverse("home")).status_code == 200, spec["user_id"]
