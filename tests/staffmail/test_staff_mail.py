"""E-mail to biller staff, sent through a real SMTP server started by the test: the right people get
each message once, in their language, with a link to the page, and nobody who switched it off."""

import datetime as dt
import email
import email.policy
import socket
import threading
from decimal import Decimal

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from billers.models import ServiceChangeRequest
from billers.registrations import registration_create, service_change_approve, service_change_request
from notifications import callbacks
from quota.topups import topup_request
from reminders import uploads
from staffmail import services
from staffmail.models import MailKind, MailOptOut, StaffMail
from staffmail.tasks import topup_expiry_sweep
from tests.conftest import sign_in
from tests.factories import AgreementFactory, BillerCodeFactory, PackageFactory, UserFactory

pytestmark = pytest.mark.django_db


class Inbox:
    """An SMTP server on a free local port that keeps every message it is given."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()
        inbox = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
                message = email.message_from_bytes(envelope.content, policy=email.policy.default)
                with inbox.lock:
                    inbox.messages.append(message)
                return "250 OK"

        with socket.socket() as probe:  # a free port (aiosmtpd checks it is up by connecting to it)
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]

    def body(self, message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture
def inbox(settings):
    box = Inbox()
    box.controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", box.port
    settings.EMAIL_USE_TLS = False
    settings.CONSOLE_BASE_URL = "https://kopra.example.co.id"
    try:
        yield box
    finally:
        box.controller.stop()


@pytest.fixture
def people(company):
    company.approval_for_upload = company.approval_for_stop = company.approval_for_topup = True
    company.save()
    return {
        "maker": UserFactory(company=company, user_id="made", full_name="Made Maker", email="made@acme.example",
                             language="id"),
        "ana": UserFactory(company=company, user_id="ana", full_name="Ana Approver", email="ana@acme.example",
                           is_maker=False, is_approver=True, language="en"),
        "budi": UserFactory(company=company, user_id="budi", full_name="Budi Approver", email="budi@acme.example",
                            is_maker=False, is_approver=True, language="id"),
        "quiet": UserFactory(company=company, user_id="quiet", full_name="Quiet Approver",
                             email="quiet@acme.example", is_maker=False, is_approver=True),
        "nomail": UserFactory(company=company, user_id="nomail", full_name="No Address", is_maker=False,
                              is_approver=True),
        "admin": UserFactory(company=company, user_id="boss", full_name="Boss Admin", email="boss@acme.example",
                             is_maker=False, is_admin=True),
    }


@pytest.fixture
def registration(company, people):
    agreement = AgreementFactory(company=company)
    PackageFactory(agreement=agreement, name="1,000 pushes", units=1000, price=Decimal("350000.00"))
    code = BillerCodeFactory(company=company, code="89123", name="Tagihan Air Bersih")
    return registration_create(company=company, biller_code=code, actor=people["admin"])


def test_a_waiting_request_mails_each_approver_once_in_their_language_and_its_decision_mails_the_maker(
        inbox, people, registration, django_capture_on_commit_callbacks):
    MailOptOut.objects.create(user=people["quiet"], kind=MailKind.APPROVAL_WAITING)
    with django_capture_on_commit_callbacks(execute=True):
        change = service_change_request(registration=registration, action=ServiceChangeRequest.Action.STOP,
                                        actor=people["maker"], reason="Renovasi")
    assert sorted(m["To"] for m in inbox.messages) == ["ana@acme.example", "budi@acme.example"]
    (ana,) = inbox.to("ana@acme.example")
    (budi,) = inbox.to("budi@acme.example")
    assert ana["Subject"] == "Waiting for your approval: stop the service of biller code 89123"
    assert "Made Maker asks for your approval" in inbox.body(ana)
    assert "https://kopra.example.co.id/approvals/" in inbox.body(ana)
    assert "https://kopra.example.co.id/account/mail/" in inbox.body(ana)
    assert budi["Subject"] == "Menunggu persetujuan Anda: hentikan layanan kode biller 89123"
    assert "Made Maker meminta persetujuan Anda" in inbox.body(budi)

    # The same event sent again (a retried request) writes nothing more: once per kind and reference.
    from core import events

    with django_capture_on_commit_callbacks(execute=True):
        events.approval_waiting.send(sender=ServiceChangeRequest, request=change, company=change.company,
                                     requested_by=people["maker"])
    assert len(inbox.messages) == 2

    with django_capture_on_commit_callbacks(execute=True):
        service_change_approve(change=change, approver=people["ana"])
    (decided,) = inbox.to("made@acme.example")
    assert decided["Subject"] == "Disetujui: hentikan layanan kode biller 89123"
    assert "Ana Approver menyetujui permintaan Anda" in inbox.body(decided)
    assert StaffMail.objects.filter(sent_at__isnull=True).count() == 0


@pytest.mark.sandbox  # the top-up's virtual account is opened at the sandbox bank
def test_an_upload_checked_and_a_top_up_about_to_expire_mail_their_maker(
        inbox, people, registration, settings, tmp_path, django_capture_on_commit_callbacks, company):
    settings.MEDIA_ROOT = tmp_path / "media"
    company.approval_for_topup = False
    company.save()
    header = "bill_key,payer_phone,payer_name,amount,start_date,end_date,partner_reference_no"
    start = (timezone.localdate() + dt.timedelta(days=2)).strftime("%d/%m/%Y")
    end = (timezone.localdate() + dt.timedelta(days=9)).strftime("%d/%m/%Y")
    rows = [f"K1,081234567890,Budi,150000,{start},{end},INV-1", "K2,0812,Sari,1,x,y,INV-2"]
    with django_capture_on_commit_callbacks(execute=True):
        upload = uploads.upload_receive(registration=registration, actor=people["maker"],
                                        uploaded_file=SimpleUploadedFile("november.csv",
                                                                         "\r\n".join([header, *rows]).encode()))
    (checked,) = inbox.to("made@acme.example")
    assert checked["Subject"] == "Unggahan telah diperiksa: november.csv"
    assert "Baris siap dikirim: 1. Baris bermasalah: 1." in inbox.body(checked)
    assert f"https://kopra.example.co.id/uploads/{upload.pk}/" in inbox.body(checked)

    with django_capture_on_commit_callbacks(execute=True):
        order = topup_request(registration=registration, actor=people["maker"], method="va", units=100)
    order.refresh_from_db()
    with time_machine.travel(order.expires_at - dt.timedelta(hours=3), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert topup_expiry_sweep() == 0  # three hours left: not yet
    with time_machine.travel(order.expires_at - dt.timedelta(minutes=90), tick=False):
        for _beat in range(3):  # every five minutes, it says it once
            with django_capture_on_commit_callbacks(execute=True):
                topup_expiry_sweep()
    (expiring,) = [m for m in inbox.to("made@acme.example") if f"#{order.pk}" in m["Subject"]]
    assert order.va_number in inbox.body(expiring)


def test_quota_low_mails_admins_and_makers_once_per_crossing_and_not_one_who_switched_it_off(
        inbox, people, registration, django_capture_on_commit_callbacks, client):
    sign_in(client, people["admin"])
    page = client.get(reverse("mail_preferences"))
    assert page.status_code == 200 and "quota fell below its threshold" in page.content.decode()
    saved = client.post(reverse("mail_preferences"), {"on": []})  # the admin switches quota.low off
    assert saved.status_code == 302, saved.content.decode()[:3000]
    assert MailOptOut.objects.filter(user=people["admin"], kind=MailKind.QUOTA_LOW).exists()

    registration.low_quota_threshold = 2000  # 1,000 granted: below it now
    registration.save(update_fields=["low_quota_threshold"])
    for _minute in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            callbacks.quota_low_sweep()
    assert [m["To"] for m in inbox.messages] == ["made@acme.example"]
    assert inbox.messages[0]["Subject"] == "Kuota rendah untuk kode biller 89123: tersisa 1000"


def test_a_mail_server_that_is_down_is_tried_again_later_and_nothing_is_lost(people, settings, registration,
                                                                            django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    with django_capture_on_commit_callbacks(execute=True):
        service_change_request(registration=registration, action=ServiceChangeRequest.Action.STOP,
                               actor=people["maker"])
    waiting = list(StaffMail.objects.order_by("to"))
    assert [mail.to for mail in waiting] == ["ana@acme.example", "budi@acme.example", "quiet@acme.example"]
    assert all(mail.sent_at is None and mail.attempts == 1 and "Connection" in mail.error for mail in waiting)
    assert all(mail.next_attempt_at > timezone.now() for mail in waiting)

    box = Inbox()
    box.controller.start()
    try:
        settings.EMAIL_PORT = box.port
        with time_machine.travel(timezone.now() + dt.timedelta(minutes=2), tick=False):
            assert services.send_pending() == 3
            assert services.send_pending() == 0
        assert len(box.messages) == 3
    finally:
        box.controller.stop()


def test_a_subject_is_one_line_whatever_the_words_put_in_it(inbox, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.queue(kind=MailKind.UPLOAD_CHECKED, reference="upload:0:checked", users=[people["maker"]],
                       template="quota_low", subject="Upload checked: %(name)s",
                       context={"name": "a\r\nBcc: victim@example.com.csv", "code": "89123", "available": 1,
                                "threshold": 2, "link": "https://kopra.example.co.id/"})
    (message,) = inbox.messages
    assert message["Subject"] == "Upload checked: a Bcc: victim@example.com.csv"
    assert message["Bcc"] is None
