"""Actions that cannot be undone ask first: every such form of every console page carries the
question (data-confirm) that kopra/static/kopra/confirm.js asks in its dialog, in the page's language.

A new irreversible button without its question fails here: IRREVERSIBLE lists the routes, and each
page that holds one is rendered for the role that sees the button.
"""

import datetime as dt
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import resolve, reverse

from billers.registrations import service_change_request
from notifications import callbacks
from quota.topups import topup_request
from reminders.models import BillSource, BillStatus, Upload
from snap.credentials import credential_create
from tests.conftest import sign_in
from tests.console_data import bills
from tests.factories import AgreementFactory, BillerCodeFactory, UserFactory, make_bill, registered_code

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]  # uploads are checked against the sandbox Livin'

# Routes whose action cannot be undone (by URL name). user_set_active only when it disables.
IRREVERSIBLE = {
    "bill_cancel", "bill_bulk_cancel",
    "upload_submit", "upload_discard", "upload_approve", "upload_reject",
    "approval_decide", "api_bills_decide",
    "topup_approve", "topup_refuse", "topup_cancel",
    "registration_create", "service_stop_request", "service_change_approve", "service_change_reject",
    "user_set_active", "user_reset_two_factor", "user_reset_password",
    "credential_rotate", "credential_revoke", "callback_rotate",
}


class Forms(HTMLParser):
    """The POST forms of a page: action, data-confirm, and the hidden fields' values."""

    def __init__(self):
        super().__init__()
        self.forms, self.dialog = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self.forms.append({"action": attrs.get("action") or "", "confirm": attrs.get("data-confirm"),
                               "fields": {}})
        elif tag == "input" and attrs.get("type") == "hidden" and self.forms:
            self.forms[-1]["fields"][attrs.get("name")] = attrs.get("value")
        elif tag == "dialog" and attrs.get("id") == "confirm-dialog":
            self.dialog = attrs


def forms_of(html: str) -> Forms:
    parser = Forms()
    parser.feed(html)
    return parser


def needs_confirmation(form) -> str | None:
    """The route name of an irreversible form, or None."""
    if not form["action"]:
        return None
    name = resolve(urlsplit(form["action"]).path).url_name
    if name == "user_set_active" and form["fields"].get("active") != "0":
        return None  # enabling a user is undone by disabling again
    return name if name in IRREVERSIBLE else None


@pytest.fixture
def world(company, client_factory, django_capture_on_commit_callbacks, settings, tmp_path):
    """A company with one of each thing a console page offers to cancel, decide or revoke."""
    settings.MEDIA_ROOT = tmp_path / "media"
    company.approval_for_api = True
    company.save(update_fields=["approval_for_api"])
    AgreementFactory(company=company)
    registration = registered_code(company, quota=500, code="70001")
    unregistered = BillerCodeFactory(company=company, code="70002")
    admin = UserFactory(company=company, user_id="boss", is_admin=True, is_maker=False)
    maker = UserFactory(company=company, user_id="maker", is_maker=True)
    approver = UserFactory(company=company, user_id="approver", is_maker=False, is_approver=True)
    maker_client = sign_in(client_factory(), maker)

    bill = make_bill(registration, 1, actor=maker)
    bills(registration, 2, status=BillStatus.PENDING_APPROVAL, source=BillSource.API)
    pending = _upload(maker_client, registration, django_capture_on_commit_callbacks, submit=True)
    validated = _upload(maker_client, registration, django_capture_on_commit_callbacks, submit=False)
    order = topup_request(registration=registration, actor=maker, method="va", units=100)
    change = service_change_request(registration=registration, action="stop", actor=maker, reason="closing")
    credential_create(company=company, actor=admin, name="ERP", public_key_pem=_public_pem())
    callbacks.callback_setting_save(company=company, url="https://erp.example.co.id/hooks")
    return {
        "registration": registration, "unregistered": unregistered, "bill": bill, "pending": pending,
        "validated": validated, "order": order, "change": change,
        "clients": {"admin": sign_in(client_factory(), admin), "maker": maker_client,
                    "approver": sign_in(client_factory(), approver)},
        "maker": maker,
    }


def _public_pem() -> str:
    from core import signing

    return signing.generate_rsa_keypair()[1]


def _upload(client, registration, capture, *, submit: bool) -> Upload:
    start = (dt.date.today() + dt.timedelta(days=1)).strftime("%d/%m/%Y")
    end = (dt.date.today() + dt.timedelta(days=20)).strftime("%d/%m/%Y")
    lines = ["bill_key,payer_phone,amount,start_date,end_date"]
    lines += [f"{'S' if submit else 'V'}{n},081234567890,150000,{start},{end}" for n in range(2)]
    with capture(execute=True):
        client.post(reverse("upload_new"), {"registration": registration.pk,
                                            "file": SimpleUploadedFile("bills.csv", "\n".join(lines).encode())})
    upload = Upload.objects.latest("id")
    if submit:
        with capture(execute=True):
            client.post(reverse("upload_submit", args=[upload.pk]))
    upload.refresh_from_db()
    expected = Upload.Status.PENDING_APPROVAL if submit else Upload.Status.VALIDATED
    assert upload.status == expected, (upload.status, upload.refusal_message)
    return upload


def pages(world) -> list[tuple[str, str]]:
    """(role, path) of every page that holds an irreversible action, for the role that sees it."""
    w = world
    return [
        ("maker", reverse("bill_detail", args=[w["bill"].reference_no])),
        ("maker", reverse("bill_list")),
        ("maker", reverse("upload_detail", args=[w["validated"].pk])),
        ("maker", reverse("upload_detail", args=[w["pending"].pk])),
        ("maker", reverse("topup_detail", args=[w["order"].pk])),
        ("maker", reverse("biller_codes")),
        ("approver", reverse("upload_detail", args=[w["pending"].pk])),
        ("approver", reverse("approval_queue")),
        ("approver", reverse("topup_detail", args=[w["order"].pk])),
        ("approver", reverse("biller_codes")),
        ("admin", reverse("biller_codes")),
        ("admin", reverse("users_list")),
        ("admin", reverse("user_edit", args=[w["maker"].pk])),
        ("admin", reverse("credential_list")),
        ("admin", reverse("callback_settings")),
    ]


def test_every_irreversible_form_of_every_page_asks_first(world):
    seen = set()
    for role, path in pages(world):
        response = world["clients"][role].get(path)
        assert response.status_code == 200, (role, path, response.status_code)
        found = forms_of(response.content.decode())
        assert found.dialog is not None, f"{path}: no #confirm-dialog"
        for form in found.forms:
            name = needs_confirmation(form)
            if name is None:
                continue
            seen.add(name)
            assert (form["confirm"] or "").strip(), f"{role} on {path}: the form to {form['action']} asks nothing"
    # Each irreversible route was met on some page: the list above reaches every button.
    assert seen == IRREVERSIBLE, f"never rendered: {IRREVERSIBLE - seen}"


def test_the_question_names_the_object_and_says_what_happens(world):
    bill = world["bill"]
    html = world["clients"]["maker"].get(reverse("bill_detail", args=[bill.reference_no])).content.decode()
    cancel = next(f for f in forms_of(html).forms if needs_confirmation(f) == "bill_cancel")
    assert bill.reference_no in cancel["confirm"] and bill.bill_key in cancel["confirm"]
    assert "gives its quota back" in cancel["confirm"]

    html = world["clients"]["approver"].get(reverse("approval_queue")).content.decode()
    order = world["order"]
    approve = next(f for f in forms_of(html).forms
                   if f["action"] == reverse("approval_decide", args=["topup", order.pk, "approve"]))
    assert approve["confirm"] == (f"Approve top-up #{order.pk}? A one-time virtual account for Rp\u00a038.850 is "
                                  "opened; the pushes are credited when it is paid.")


def test_enabling_a_disabled_user_asks_nothing_but_disabling_does(world, company):
    other = UserFactory(company=company, user_id="gone", is_active=False)
    html = world["clients"]["admin"].get(reverse("users_list")).content.decode()
    forms = {f["action"]: f for f in forms_of(html).forms}
    assert not forms[reverse("user_set_active", args=[other.pk])]["confirm"]
    assert "Disable user maker" in forms[reverse("user_set_active", args=[world["maker"].pk])]["confirm"]


def test_the_question_and_its_buttons_read_in_indonesian(world):
    client = world["clients"]["admin"]
    client.cookies["django_language"] = "id"
    html = client.get(reverse("credential_list")).content.decode()
    found = forms_of(html)
    revoke = next(f for f in found.forms if needs_confirmation(f) == "credential_revoke")
    assert revoke["confirm"].startswith("Cabut kredensial ERP")
    assert found.dialog["role"] == "alertdialog" and found.dialog["aria-labelledby"] == "confirm-dialog-title"
    assert "Tidak, kembali" in html and "Ya, lanjutkan" in html

