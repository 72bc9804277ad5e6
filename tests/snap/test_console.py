"""The console pages of the API credentials: every problem of the form at once, and the new
secret shown once, on a page the form redirects to (a reload creates nothing)."""

import pytest
from django.urls import reverse

from core import signing
from snap import credentials
from snap.models import ApiCredential

pytestmark = pytest.mark.django_db


@pytest.fixture
def public_pem():
    return signing.generate_rsa_keypair()[1]


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_creating_a_credential_redirects_to_its_secret_shown_once(admin_client, company, public_pem):
    response = admin_client.post(reverse("credential_create"), {"name": "ERP", "public_key_pem": public_pem})
    assert response.status_code == 302 and response["Location"] == reverse("credential_secret")
    credential = ApiCredential.objects.get(company=company)

    page = admin_client.get(reverse("credential_secret"))
    assert page.status_code == 200
    secret = page.context["secret"]
    html = page.content.decode()
    assert secret == credentials.client_secret(credential) and secret in html
    assert credential.client_key in html and "Credential created" in html
    assert 'data-copy="client-secret"' in html  # the copy button next to it
    assert "no-store" in page["Cache-Control"]  # not kept for the back button

    # A reload shows it no more, creates nothing, and says why.
    again = admin_client.get(reverse("credential_secret"), follow=True)
    assert secret not in again.content.decode()
    assert again.redirect_chain == [(reverse("credential_list"), 302)]
    assert "shown only once" in messages_of(again)
    assert ApiCredential.objects.filter(company=company).count() == 1


def test_rotating_a_secret_redirects_too_and_the_old_secret_is_gone(admin_client, company, public_pem):
    credential, old = credentials.credential_create(company=company, actor=None, name="ERP",
                                                    public_key_pem=public_pem)
    response = admin_client.post(reverse("credential_rotate", args=[credential.pk]))
    assert response["Location"] == reverse("credential_secret")
    page = admin_client.get(reverse("credential_secret"))
    assert page.context["rotated"] is True and "New client secret" in page.content.decode()
    assert page.context["secret"] != old
    assert page.context["secret"] == credentials.client_secret(ApiCredential.objects.get(pk=credential.pk))


def test_another_admin_never_sees_the_secret_made_in_this_session(admin_client, client_factory, company,
                                                                   public_pem):
    from tests.conftest import sign_in
    from tests.factories import UserFactory

    admin_client.post(reverse("credential_create"), {"name": "ERP", "public_key_pem": public_pem})
    other = sign_in(client_factory(), UserFactory(company=company, user_id="boss2", is_admin=True))
    assert other.get(reverse("credential_secret"))["Location"] == reverse("credential_list")


def test_every_problem_of_the_credential_form_shows_at_once(admin_client, company):
    response = admin_client.post(reverse("credential_create"), {
        "name": "", "public_key_pem": "not a key", "ip_allowlist": "10.0.0.1\nnope\n203.0.113.0/24\n300.1.1.1",
    })
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"name", "public_key_pem", "ip_allowlist"}
    assert errors["ip_allowlist"] == [
        "Line 2 of the IP allow-list is not an address or network: nope",
        "Line 4 of the IP allow-list is not an address or network: 300.1.1.1",
    ]
    assert "not a readable PEM public key" in errors["public_key_pem"][0]
    html = response.content.decode()
    # One summary at the top, with a link to each field, that takes the focus.
    assert 'class="error-summary" role="alert" tabindex="-1" autofocus' in html
    assert "Please correct 4 problems:" in html
    for field in ("id_name", "id_public_key_pem", "id_ip_allowlist"):
        assert f'href="#{field}"' in html
    assert not ApiCredential.objects.exists()


def test_the_edit_form_names_every_wrong_line_too(admin_client, company, public_pem):
    credential, _secret = credentials.credential_create(company=company, actor=None, name="ERP",
                                                        public_key_pem=public_pem)
    response = admin_client.post(reverse("credential_edit", args=[credential.pk]),
                                 {"public_key_pem": public_pem, "ip_allowlist": "x\ny"})
    assert len(response.context["form"].errors["ip_allowlist"]) == 2


def test_an_empty_post_is_a_form_with_its_problems_not_a_blank_form(admin_client):
    response = admin_client.post(reverse("credential_create"), {})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "public_key_pem"}
