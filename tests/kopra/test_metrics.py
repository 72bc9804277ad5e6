"""Prometheus metrics: protected, and reporting what operators alert on."""

import datetime as dt

import pytest
from django.utils import timezone

from notifications.models import DeliveryAttempt
from tests.conftest import sign_in
from tests.factories import StaffFactory, UserFactory
from tests.notifications.conftest import livin_users, make_bill, registration  # noqa: F401
from tests.notifications.test_delivery import run_scheduler

pytestmark = pytest.mark.django_db


def test_metrics_need_the_token(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token").status_code == 200


def test_a_company_user_cannot_read_metrics_but_bank_staff_can(client, company):
    sign_in(client, UserFactory(company=company, is_admin=True))
    assert client.get("/metrics").status_code == 401
    client.logout()
    sign_in(client, StaffFactory(user_id="ops"))
    assert client.get("/metrics").status_code == 200


def test_metrics_report_bills_push_delay_errors_backlog_callbacks_and_low_quota(
        client, settings, make_bill, registration):  # noqa: F811 fixtures imported from tests.notifications.conftest
    from livin import display

    settings.METRICS_TOKEN = "t"
    make_bill()
    run_scheduler()
    display.fault_set(operation="push", outage=True)
    make_bill()
    run_scheduler()
    registration.low_quota_threshold = 1000
    registration.save()

    text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()
    assert 'kopra_bills{status="DISPLAYED"} 1.0' in text
    assert 'kopra_bills{status="SCHEDULED"} 1.0' in text
    assert 'kopra_push_delay_seconds_count 1.0' in text
    assert 'kopra_gateway_errors_last_hour{operation="push"} 1.0' in text
    assert "kopra_delivery_backlog" in text
    assert "kopra_callbacks_pending 0.0" in text
    assert "kopra_quota_accounts_low 1.0" in text
    assert DeliveryAttempt.objects.filter(at__gte=timezone.now() - dt.timedelta(hours=1)).count() == 2
