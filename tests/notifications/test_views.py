"""Console pages: a bill's deliveries and callbacks, re-send, callback settings; the sandbox payer page."""

import pytest
from django.urls import reverse

from core import crypto
from notifications import callbacks
from notifications.models import CallbackEvent, CallbackSetting
from tests.conftest import sign_in
from tests.factories import UserFactory
from tests.notifications.conftest import USER_PHONE
from tests.notifications.test_delivery import run_scheduler

pytestmark = pytest.mark.django_db


def test_a_bill_page_shows_its_deliveries_and_callbacks_and_resends_one(client, company, make_bill):
    callbacks.callback_setting_save(company=company, url="https://erp.example.co.id/hooks")
    bill = make_bill()
    run_scheduler()
    maker = UserFactory(company=company)
    sign_in(client, maker)

    page = client.get(reverse("bill_detail", args=[bill.reference_no])).content.decode()
    assert "Deliveries to Livin" in page and "Push" in page
    assert "bill.displayed" in page

    callback = CallbackEvent.objects.get(bill=bill)
    CallbackEvent.objects.filter(pk=callback.pk).update(status="gave_up")
    response = client.post(reverse("callback_resend", args=[callback.pk]))
    assert response.status_code == 302
    callback.refresh_from_db()
    assert callback.status == "pending"


def test_an_admin_sets_the_callback_url_and_sees_the_secret_once(admin_client, company):
    first = admin_client.post(reverse("callback_settings"), {"url": "https://erp.example.co.id/kopra"})
    assert first.status_code == 302 and first["Location"] == reverse("callback_secret")
    shown = admin_client.get(reverse("callback_secret"))
    secret = shown.context["secret"]
    html = shown.content.decode()
    assert secret and secret in html and 'data-copy="callback-secret"' in html
    assert secret == crypto.decrypt_secret(CallbackSetting.objects.get(company=company).secret_encrypted)
    # A reload, or the settings page, shows it no more.
    reload = admin_client.get(reverse("callback_secret"), follow=True)
    assert reload.redirect_chain == [(reverse("callback_settings"), 302)]
    assert secret not in reload.content.decode() and "shown only once" in reload.content.decode()
    assert secret not in admin_client.get(reverse("callback_settings")).content.decode()
    assert CallbackSetting.objects.get(company=company).url == "https://erp.example.co.id/kopra"


def test_rotating_the_callback_secret_shows_the_new_one_once(admin_client, company):
    _setting, old = callbacks.callback_setting_save(company=company, url="https://erp.example.co.id/kopra")
    response = admin_client.post(reverse("callback_rotate"))
    assert response["Location"] == reverse("callback_secret")
    secret = admin_client.get(reverse("callback_secret")).context["secret"]
    assert secret != old
    assert secret == crypto.decrypt_secret(CallbackSetting.objects.get(company=company).secret_encrypted)
    assert admin_client.get(reverse("callback_secret")).status_code == 302


def test_an_empty_post_of_the_callback_form_says_the_url_is_missing(admin_client, company):
    response = admin_client.post(reverse("callback_settings"), {})
    assert response.status_code == 200
    assert "url" in response.context["form"].errors
    assert not CallbackSetting.objects.filter(company=company).exists()


def test_the_payer_page_shows_the_bill_and_pays_it(client, make_bill, django_capture_on_commit_callbacks):
    bill = make_bill()
    run_scheduler()
    page = client.get(reverse("livin_phone", args=[USER_PHONE])).content.decode()
    assert bill.bill_key in page
    assert "Rp\u00a0150.000" in page

    wrong = client.post(reverse("livin_pay", args=[USER_PHONE, bill.reference_no]),
                        {"amount": "150.001", "channel": "MBP"}, follow=True)
    assert "exactly" in wrong.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        paid = client.post(reverse("livin_pay", args=[USER_PHONE, bill.reference_no]),
                           {"amount": "150.000", "channel": "MBP"}, follow=True)
    assert "Payment successful" in paid.content.decode()
    bill.refresh_from_db()
    assert bill.status == "PAID"


def test_bank_staff_switch_a_sandbox_fault_from_the_admin(client):
    from livin.models import Fault
    from tests.factories import StaffFactory

    staff = StaffFactory(user_id="bankops")
    sign_in(client, staff)
    response = client.post(reverse("admin:livin_fault_add"), {"operation": "push", "error_rate": "0.5",
                                                              "latency_ms": "100"})
    assert response.status_code == 302, response.content.decode()[:500]
    fault = Fault.objects.get(operation="push")
    assert (fault.error_rate, fault.latency_ms, fault.outage) == (0.5, 100, False)
