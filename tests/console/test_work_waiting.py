"""Work waiting is visible: approvers see how many requests wait for them (menu and dashboard), and a
maker is told on the dashboard when their request was decided, until they dismiss it."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from billers.registrations import service_change_request
from console.approval_queue import approval_queue, waiting_count
from console.models import DecisionNotice
from core.time import WIB
from quota.topups import topup_request
from reminders.models import BillSource, BillStatus
from tests.conftest import sign_in
from tests.console.test_approvals_queue import pending_upload
from tests.console_data import bills
from tests.factories import AgreementFactory, UserFactory, registered_code

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]  # top-ups are ordered through the sandbox bank


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def registration(company):
    AgreementFactory(company=company)
    return registered_code(company, quota=500, code="70001")


@pytest.fixture
def requests_by_maker(company, registration, maker, client_factory, django_capture_on_commit_callbacks):
    """One upload, one top-up and one stop request of ``maker``, and Open API bills of two codes and days."""
    upload = pending_upload(sign_in(client_factory(), maker), registration, django_capture_on_commit_callbacks)
    order = topup_request(registration=registration, actor=maker, method="va", units=1000)
    change = service_change_request(registration=registration, action="stop", actor=maker, reason="closing")
    second = registered_code(company, quota=10, code="70002")
    yesterday = dt.datetime.now(WIB) - dt.timedelta(days=1)
    bills(registration, 3, status=BillStatus.PENDING_APPROVAL, source=BillSource.API)
    bills(registration, 2, status=BillStatus.PENDING_APPROVAL, source=BillSource.API, created_at=yesterday)
    bills(second, 1, status=BillStatus.PENDING_APPROVAL, source=BillSource.API)
    bills(second, 4, status=BillStatus.RECEIVED, source=BillSource.API)  # not waiting
    return {"upload": upload, "order": order, "change": change}


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def badge(html: str) -> str | None:
    found = re.search(r'id="approvals-waiting">(\d+)<', html)
    return found.group(1) if found else None


def test_the_approvers_badge_counts_what_the_queue_holds(client, company, approver, requests_by_maker,
                                                          django_assert_num_queries):
    queue = approval_queue(company, approver)
    assert queue["count"] == 6  # an upload, a top-up, a stop, and API bills of 3 codes and days
    with django_assert_num_queries(1):
        assert waiting_count(company, approver) == 6

    sign_in(client, approver)
    for name in ("home", "bill_list", "approval_queue"):
        assert badge(client.get(reverse(name)).content.decode()) == "6", name
    home = client.get(reverse("home"))
    assert "6 requests wait for your approval" in text_of(home)
    assert f'href="{reverse("approval_queue")}"' in home.content.decode()


def test_the_badge_leaves_out_what_the_approver_asked_for_and_shows_nothing_to_others(
        company, registration, client_factory, maker, django_capture_on_commit_callbacks):
    both = UserFactory(company=company, user_id="both", is_maker=True, is_approver=True)
    topup_request(registration=registration, actor=both, method="va", units=100)  # their own
    service_change_request(registration=registration, action="stop", actor=maker)  # someone else's

    client = sign_in(client_factory(), both)
    assert waiting_count(company, both) == approval_queue(company, both)["count"] == 1
    assert badge(client.get(reverse("home")).content.decode()) == "1"

    maker_home = sign_in(client_factory(), maker).get(reverse("home")).content.decode()
    assert badge(maker_home) is None and "wait for your approval" not in maker_home


def test_no_badge_when_nothing_waits(client, approver, registration):
    html = sign_in(client, approver).get(reverse("home")).content.decode()
    assert badge(html) is None and "approvals-waiting-card" not in html


@pytest.mark.sandbox  # the approved top-up's virtual account is opened at the sandbox bank
def test_the_maker_is_told_of_each_decision_on_the_dashboard_and_dismisses_it(
        client_factory, company, maker, approver, requests_by_maker, django_capture_on_commit_callbacks):
    upload, order, change = requests_by_maker.values()
    decider = sign_in(client_factory(), approver)
    with django_capture_on_commit_callbacks(execute=True):
        decider.post(reverse("approval_decide", args=["upload", upload.pk, "reject"]), {"reason": "Wrong month"})
        decider.post(reverse("approval_decide", args=["topup", order.pk, "approve"]))
        decider.post(reverse("approval_decide", args=["change", change.pk, "approve"]))
    assert waiting_count(company, approver) == 3, "the API bills still wait"

    client = sign_in(client_factory(), maker)
    home = client.get(reverse("home"))
    page = text_of(home)
    assert "Your requests decided since you last looked" in page
    who = approver.full_name
    assert f"{who} turned down your request upload #{upload.pk} of 70001 (bills.csv)" in page
    assert "Reason: Wrong month" in page
    assert f"{who} approved your request top-up #{order.pk} for biller code 70001" in page
    assert f"{who} approved your request stop the service of biller code 70001" in page
    html = home.content.decode()
    assert f'href="{reverse("upload_detail", args=[upload.pk])}"' in html
    assert f'href="{reverse("topup_detail", args=[order.pk])}"' in html

    # Not for anyone else: the approver's own dashboard has no such notices, nor can they dismiss the maker's.
    assert "decided since you last looked" not in text_of(decider.get(reverse("home")))
    notice = DecisionNotice.objects.get(what="upload", number=upload.pk)
    assert decider.post(reverse("notice_dismiss", args=[notice.pk])).status_code == 404

    response = client.post(reverse("notice_dismiss", args=[notice.pk]))
    assert response.status_code == 302
    page = text_of(client.get(reverse("home")))
    assert f"upload #{upload.pk}" not in page and f"top-up #{order.pk}" in page

    client.post(reverse("notices_dismiss"))
    assert "decided since you last looked" not in text_of(client.get(reverse("home")))
    assert DecisionNotice.objects.filter(user=maker, seen_at__isnull=True).count() == 0


def test_a_notice_is_in_the_makers_language(client_factory, company, maker, approver, requests_by_maker,
                                             django_capture_on_commit_callbacks):
    change = requests_by_maker["change"]
    decider = sign_in(client_factory(), approver)
    with django_capture_on_commit_callbacks(execute=True):
        decider.post(reverse("approval_decide", args=["change", change.pk, "reject"]))
    client = sign_in(client_factory(), maker)
    page = text_of(client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="id"))
    assert f"{approver.full_name} menolak permintaan Anda hentikan layanan kode biller 70001" in page
