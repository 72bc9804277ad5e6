"""A form sent back with problems (templates/form_fields.html): a summary at its top that takes the
focus and links to each field, and each wrong field marked invalid and tied to its message."""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


class Elements(HTMLParser):
    """Each element's attributes by id."""

    def __init__(self):
        super().__init__()
        self.by_id = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.by_id[attrs["id"]] = {"tag": tag, **attrs}


def elements(html: str) -> dict:
    parser = Elements()
    parser.feed(html)
    return parser.by_id


def test_the_summary_lists_every_problem_and_links_to_its_field(admin_client):
    response = admin_client.post(reverse("user_create"), {"user_id": "", "full_name": ""})
    assert response.status_code == 200
    html = response.content.decode()
    found = elements(html)

    summary = found["error-summary"]
    assert (summary["role"], summary["tabindex"], summary["data-error-summary"]) == ("alert", "-1", None)
    assert "autofocus" in summary
    problems = response.context["form"].errors
    total = sum(len(messages) for messages in problems.values())
    assert f"Please correct {total} problems:" in html
    links = re.findall(r'<li><a href="#([^"]+)">', html)
    assert {"id_user_id", "id_full_name", "id_roles_0"} <= set(links)
    for target in links:
        assert target in found, f"the summary links to #{target}, which is not on the page"


def test_a_wrong_field_is_invalid_and_described_by_its_message(admin_client):
    html = admin_client.post(reverse("user_create"), {"user_id": "", "full_name": "Ana"}).content.decode()
    found = elements(html)
    user_id = found["id_user_id"]
    assert user_id["aria-invalid"] == "true"
    for described in user_id["aria-describedby"].split():
        assert described in found, f"aria-describedby names #{described}, which is not on the page"
    assert "id_user_id_error" in user_id["aria-describedby"].split()
    assert "aria-invalid" not in found["id_full_name"]  # a right field is left as it was
    # The roles are a group of boxes: one fieldset, described by its message, linked to its first box.
    assert re.search(r'<fieldset class="field has-error" aria-describedby="id_roles_error">', html)


def test_a_form_without_problems_has_no_summary(admin_client):
    html = admin_client.get(reverse("user_create")).content.decode()
    assert "error-summary" not in html.split("<main", 1)[1].split("</main>", 1)[0]


def test_the_summary_reads_in_indonesian(admin_client):
    admin_client.cookies["django_language"] = "id"
    html = admin_client.post(reverse("user_create"), {"user_id": "ana"}).content.decode()
    assert re.search(r"Perbaiki \d+ masalah berikut:", html)


def test_an_empty_post_shows_what_is_missing_on_each_form(admin_client, company):
    """An empty POST is still a POST: the form says what is missing instead of showing itself blank."""
    for name in ("user_create", "callback_settings"):
        response = admin_client.post(reverse(name), {})
        assert response.status_code == 200, name
        assert response.context["form"].is_bound and response.context["form"].errors, name
        assert 'id="error-summary"' in response.content.decode(), name
