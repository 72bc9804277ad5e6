"""The help page: the original FAQ's answers, for anyone, linked from every page."""

import re

import pytest
from django.urls import reverse

from tests.conftest import sign_in
from tests.factories import UserFactory, registered_code

pytestmark = pytest.mark.django_db

SECTIONS = ["what", "who", "activate", "quota", "stop", "risks", "contact", "guides"]


def test_the_help_page_answers_before_sign_in(client):
    response = client.get(reverse("help"))
    assert response.status_code == 200
    page = response.content.decode()
    for section in SECTIONS:
        assert f'id="{section}"' in page and f'href="#{section}"' in page


def test_the_help_page_says_who_may_use_it_how_quota_works_and_whom_to_call(client):
    page = client.get(reverse("help")).content.decode()
    assert "closed payment" in page
    assert "initial quota" in page and "One unit is reserved for each bill" in page
    assert "given back when the bill ends without a delivered push" in page
    assert "Stop service" in page and "approver" in page
    assert "only that the payer's phone number belongs to a Livin' user, not that it matches" in page
    assert "Network disruption" in page and "Delayed notifications" in page
    assert "14000" in page and 'href="mailto:mandiri.servicedesk@bankmandiri.co.id"' in page
    assert "branch office" in page


def test_every_page_links_to_help_signed_in_or_not(client, company):
    help_link = f'href="{reverse("help")}"'
    assert help_link in client.get(reverse("login")).content.decode()
    sign_in(client, UserFactory(company=company, is_maker=True))
    for name in ("home", "bill_list", "upload_list", "quota_overview", "biller_codes"):
        assert help_link in client.get(reverse(name)).content.decode(), name


@pytest.mark.parametrize(("name", "note"), [("upload_new", "upload-risk"), ("bill_entry", "entry-risk")])
def test_the_upload_and_single_entry_pages_repeat_the_phone_risk_and_link_to_it(client, company, name, note):
    registered_code(company)
    sign_in(client, UserFactory(company=company, is_maker=True))
    page = client.get(reverse(name)).content.decode()
    start = page.index(f'id="{note}"')
    warning = page[start:page.index("</p>", start)]
    assert "Livin' user" in warning
    assert f'href="{reverse("help")}#risks"' in warning


@pytest.mark.parametrize("slug, heading", [
    ("api", "Getting credentials"), ("file-format", "The error file"), ("operations", "The bank's gateways"),
])
def test_each_guide_of_the_repository_is_a_page_linked_from_help(client, slug, heading):
    help_page = client.get(reverse("help")).content.decode()
    assert f'href="{reverse("guide", args=[slug])}"' in help_page
    page = client.get(reverse("guide", args=[slug]))
    assert page.status_code == 200
    assert heading in page.content.decode()
    content = page.content.decode()
    # The guide's own markup brings no script: the only ones are the console's files.
    assert "<table>" in content and not re.search(r'<script(?![^>]*\bsrc="/static/kopra/)', content)


def test_links_between_guides_lead_to_their_pages_and_an_unknown_guide_is_not_found(client):
    page = client.get(reverse("guide", args=["api"])).content.decode()
    assert f'href="{reverse("guide", args=["file-format"])}' in page and 'href="file-format.md' not in page
    assert client.get("/help/guides/secrets/").status_code == 404


def test_a_guide_says_it_is_in_english_to_an_indonesian_reader(client):
    client.cookies["django_language"] = "id"
    assert "Panduan ini ditulis dalam bahasa Inggris." in client.get(reverse("guide", args=["api"])).content.decode()
