"""Company admins manage their users and settings; everything they do is audited."""

import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from billers.models import User
from core.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import PASSWORD, UserFactory, authenticator

pytestmark = pytest.mark.django_db


def test_an_admin_creates_a_user_with_roles_and_it_is_audited(admin_client, company):
    response = admin_client.post(reverse("user_create"), {
        "user_id": "newmaker", "full_name": "Nina Maker", "email": "nina@example.co.id",
        "roles": ["maker", "viewer"], "password": "Fresh-Start-2026!",
    })
    assert response.status_code == 302
    user = User.objects.get(company=company, user_id="newmaker")
    assert user.roles == {"maker", "viewer"}
    assert user.check_password("Fresh-Start-2026!")
    event = AuditEvent.objects.get(action="user.created", object_id=str(user.pk))
    assert event.company == company and event.actor.user_id == "boss"
    assert "ACME01/newmaker" in event.text and "Maker, Viewer" in event.text
    assert "Fresh-Start" not in str(event.details) + str(event.params) + event.text


def test_a_weak_password_is_refused_with_the_reason(admin_client, company):
    response = admin_client.post(reverse("user_create"), {
        "user_id": "weak", "full_name": "Weak", "roles": ["maker"], "password": "12345678",
    })
    assert response.status_code == 200
    html = response.content.decode()
    assert "too short" in html or "too common" in html
    assert not User.objects.filter(user_id="weak").exists()


def test_a_taken_user_id_is_refused_naming_it(admin_client, company_admin):
    response = admin_client.post(reverse("user_create"), {
        "user_id": "boss", "full_name": "Dup", "roles": ["maker"], "password": "Fresh-Start-2026!",
    })
    assert "User ID boss is already taken." in response.content.decode()


def test_the_same_user_id_may_exist_in_another_company(admin_client, other_company):
    UserFactory(company=other_company, user_id="shared")
    response = admin_client.post(reverse("user_create"), {
        "user_id": "shared", "full_name": "Shared", "roles": ["viewer"], "password": "Fresh-Start-2026!",
    })
    assert response.status_code == 302


def test_changing_roles_is_audited_with_before_and_after(admin_client, company):
    user = UserFactory(company=company, user_id="flex")
    admin_client.post(reverse("user_edit", args=[user.pk]), {"full_name": "Flex", "roles": ["approver"]})
    user.refresh_from_db()
    assert user.roles == {"approver"}
    event = AuditEvent.objects.get(action="user.updated", object_id=str(user.pk))
    assert "roles Maker → Approver" in event.text


def test_the_last_admin_cannot_drop_the_admin_role(admin_client, company_admin):
    response = admin_client.post(reverse("user_edit", args=[company_admin.pk]),
                                 {"full_name": "Boss", "roles": ["maker"]})
    assert "at least one active admin" in response.content.decode()
    company_admin.refresh_from_db()
    assert company_admin.is_admin


def test_disabling_a_user_ends_their_session_and_is_audited(admin_client, company, client_factory):
    user = UserFactory(company=company, user_id="leaver")
    their_client = sign_in(client_factory(), user)
    assert their_client.get(reverse("home")).status_code == 200

    admin_client.post(reverse("user_set_active", args=[user.pk]), {"active": "0"})
    assert their_client.get(reverse("home")).status_code == 302
    assert AuditEvent.objects.filter(action="user.disabled", object_id=str(user.pk)).count() == 1


def test_an_admin_cannot_disable_themselves(admin_client, company_admin):
    admin_client.post(reverse("user_set_active", args=[company_admin.pk]), {"active": "0"})
    company_admin.refresh_from_db()
    assert company_admin.is_active


def test_resetting_a_password_ends_the_old_one(admin_client, company):
    user = UserFactory(company=company, user_id="forgetful")
    admin_client.post(reverse("user_reset_password", args=[user.pk]), {"password": "Brand-New-Pass-77"})
    user.refresh_from_db()
    assert user.check_password("Brand-New-Pass-77") and not user.check_password(PASSWORD)
    assert AuditEvent.objects.filter(action="user.password_reset", object_id=str(user.pk)).exists()


def test_resetting_two_factor_makes_the_user_enrol_again(admin_client, company):
    user = UserFactory(company=company, user_id="lostphone")
    authenticator(user)
    admin_client.post(reverse("user_reset_two_factor", args=[user.pk]))
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(action="user.two_factor_reset", object_id=str(user.pk)).exists()


def test_settings_changes_are_saved_and_audited(admin_client, company):
    admin_client.post(reverse("company_settings"), {
        "require_two_factor": "on", "approval_for_upload": "on", "approval_for_api": "on",
        "approval_for_topup": "on",  # approval_for_stop left unticked
    })
    company.refresh_from_db()
    assert company.approval_for_api is True and company.approval_for_stop is False
    event = AuditEvent.objects.get(action="company.settings_changed")
    assert "API messages need an approver: No → Yes" in event.text
    assert "stop service needs an approver: Yes → No" in event.text


@pytest.mark.parametrize("role", ["maker", "approver", "viewer"])
def test_only_admins_reach_company_administration(client, company, role):
    flags = {"is_maker": False, f"is_{role}": True}
    user = UserFactory(company=company, user_id=f"just{role}", **flags)
    sign_in(client, user)
    for name in ("users_list", "user_create", "company_settings", "audit_log"):
        assert client.get(reverse(name)).status_code == 403, name


def test_the_audit_log_shows_only_the_companys_own_lines_and_exports_them_safely(admin_client, company,
                                                                                other_company):
    from core.audit import audit_record

    audit_record(action="test.mine", sentence="=HYPERLINK(\"http://x\") mine", company=company)
    audit_record(action="test.theirs", sentence="theirs", company=other_company)
    page = admin_client.get(reverse("audit_log")).content.decode()
    assert "mine" in page and "theirs" not in page

    export = admin_client.get(reverse("audit_log") + "?format=csv")
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "theirs" not in body
    assert "'=HYPERLINK" in body


def test_audit_lines_can_be_neither_changed_nor_deleted(company):
    from core.audit import audit_record

    event = audit_record(action="test", sentence="history", company=company)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(sentence="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).sentence == "history"


def test_audit_lines_carry_the_request_id_and_address(admin_client, company):
    admin_client.post(reverse("user_create"), {
        "user_id": "traced", "full_name": "T", "roles": ["viewer"], "password": "Fresh-Start-2026!",
    }, HTTP_X_REQUEST_ID="req-abcdef123456")
    event = AuditEvent.objects.get(action="user.created")
    assert event.request_id == "req-abcdef123456"
    assert event.ip == "127.0.0.1"
