"""Without a Livin' gateway (LIVIN_GATEWAY empty, as with the sandbox removed) bills are kept,
never checked or pushed, and every page and the log say which setting is missing."""

import datetime as dt
import logging

import pytest
from django.utils import timezone

from notifications import services, tasks
from reminders.models import Bill, BillStatus
from tests.factories import make_bill, registered_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def bill(company):
    registration = registered_code(company, quota=100, code="89123")
    return make_bill(registration, start_at=timezone.now() - dt.timedelta(minutes=1))


def test_without_a_livin_gateway_bills_wait_and_the_log_names_the_setting_once_a_minute(
        settings, bill, caplog, monkeypatch):
    settings.LIVIN_GATEWAY = ""
    monkeypatch.setattr(services, "_unconfigured_said_at", 0.0)
    with caplog.at_level(logging.ERROR, logger="notifications.services"):
        assert tasks.directory_sweep() == 0
        assert tasks.dispatch_due_bills() == 0
    bill.refresh_from_db()
    assert bill.status == BillStatus.RECEIVED and bill.lease_until is None
    said = [r for r in caplog.records if "no Livin' gateway is configured (setting LIVIN_GATEWAY)" in r.getMessage()]
    assert len(said) == 1  # two sweeps, one line


def test_once_a_gateway_is_named_the_waiting_bills_are_checked(settings, bill):
    settings.LIVIN_GATEWAY = ""
    tasks.directory_sweep()
    settings.LIVIN_GATEWAY = "tests.notifications.test_without_gateway.NobodyHasLivin"
    assert tasks.directory_sweep() == 1
    assert Bill.objects.get(pk=bill.pk).status == BillStatus.NOT_LIVIN_USER


class NobodyHasLivin:
    """A bank's directory in which no phone has Livin'."""

    def lookup_users(self, phones):
        return {phone: False for phone in phones}


def test_every_console_page_says_bills_are_not_shown_until_the_gateway_is_configured(settings, admin_client):
    settings.LIVIN_GATEWAY = ""
    page = admin_client.get("/").content.decode()
    assert "not connected to Livin' yet (setting LIVIN_GATEWAY)" in page
    settings.LIVIN_GATEWAY = "tests.notifications.test_without_gateway.NobodyHasLivin"
    assert "not connected to Livin'" not in admin_client.get("/").content.decode()
