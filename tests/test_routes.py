"""Every route, enumerated from the URL map: guarded, and blind to other companies.

A new console page that forgets its guard, or reads a row without the company scope,
fails here without anyone having to remember to write a test for it.
"""

import pytest
from django.apps import apps
from django.core import serializers
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import sign_in
from tests.factories import UserFactory, authenticator

pytestmark = pytest.mark.django_db

# Routes anyone may reach, each for a reason.
PUBLIC = {
    "healthz", "readyz",  # probes
    "metrics",  # Prometheus, behind its own bearer token (tests/kopra/test_metrics.py)
    "login", "login_otp", "logout",  # signing in and out
    "set_language", "javascript-catalog",  # before and after sign-in alike
    "help",  # what the service is and whom to call: for anyone, signed in or not
    "sandbox_pay",  # the sandbox bank's VA payment page: stands in for an ATM or teller, not the console
    "schema", "api_docs",  # the Open API's published contract
    "snap_access_token",  # how an integrator signs in (its own RSA check)
    # The sandbox Livin' app stands in for a payer's phone, and its API for the bank's
    # (signed with the bank's shared secret); both are off in production (SANDBOX_ENABLED).
    "livin_phones", "livin_phone", "livin_pay",
    "livin_api_lookup", "livin_api_push", "livin_api_withdraw",
}


def all_routes():
    """(name, pattern string, callback, converters) for every route outside the admin."""
    found = []

    def walk(patterns, prefix="", converters=None):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            conv = {**(converters or {}), **getattr(entry.pattern, "converters", {})}
            if isinstance(entry, URLResolver):
                if route.startswith("admin/"):
                    continue
                walk(entry.url_patterns, route, conv)
            elif isinstance(entry, URLPattern):
                found.append((entry.name, route, entry.callback, conv))

    walk(get_resolver().url_patterns)
    return found


def route_path(route: str, values: dict) -> str:
    import re

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)


def company_rows(company) -> str:
    """Everything company-owned, serialised, to prove nothing changed."""
    dumps = []
    for model in apps.get_models():
        if any(f.name == "company" for f in model._meta.get_fields()) and model._meta.label != "kopra.AuditEvent":
            dumps.append(serializers.serialize("json", model._default_manager.filter(company=company)))
    return "\n".join(dumps)


def test_every_console_route_is_guarded_by_the_company_scope():
    unguarded = [
        name for name, route, callback, _ in all_routes()
        if name not in PUBLIC and not hasattr(callback, "company_roles") and not getattr(callback, "tenant_api", False)
    ]
    assert unguarded == []


def test_every_guarded_route_sends_a_stranger_to_the_login_page(client):
    for name, route, callback, converters in all_routes():
        if name in PUBLIC:
            continue
        path = route_path(route, {key: 1 for key in converters})
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            if getattr(callback, "tenant_api", False):
                assert response.status_code == (401 if method == "post" else 405), (method, path)
            else:
                assert response.status_code in (302, 405), (method, path, response.status_code)
                if response.status_code == 302:
                    assert response["Location"].startswith("/login/"), (method, path)


def test_company_b_can_neither_read_nor_change_anything_of_company_a(client, company, other_company):
    a_users = [UserFactory(company=company, user_id=f"a{i}", is_admin=i == 0) for i in range(3)]
    for user in a_users:
        authenticator(user)
    b_admin = UserFactory(company=other_company, user_id="b-admin", is_admin=True, is_maker=True,
                          is_approver=True, is_viewer=True)
    sign_in(client, b_admin)
    a_ids = sorted({row.pk for row in a_users} | quota_rows_of(company, admin=a_users[0]))
    before = company_rows(company)

    checked = 0
    for name, route, callback, converters in all_routes():
        if name in PUBLIC or not converters:
            continue
        for pk in a_ids:
            path = route_path(route, {key: pk for key in converters})
            for method in ("get", "post"):
                response = getattr(client, method)(path, {"active": "0", "password": "Takeover-Pass-99",
                                                          "full_name": "pwned", "roles": ["viewer"],
                                                          "threshold": "0", "units": "100", "method": "va",
                                                          "confirm": "1", "reason": "pwned"})
                assert response.status_code in (404, 405), (method, path, response.status_code)
                checked += 1
    assert checked > 0
    assert company_rows(company) == before, "company A's rows changed"


def quota_rows_of(company, *, admin) -> set[int]:
    """Company A's registry code, registration, stop request and top-up orders: their pks to try."""
    from billers.registrations import registration_create, service_change_request
    from quota.services import topup_request
    from tests.factories import AgreementFactory, BillerCodeFactory

    AgreementFactory(company=company)
    code = BillerCodeFactory(company=company)
    registration = registration_create(company=company, biller_code=code, actor=admin)
    maker = UserFactory(company=company, user_id="a-maker")
    change = service_change_request(registration=registration, action="stop", actor=maker)
    pending = topup_request(registration=registration, actor=maker, method="va", units=100)
    paid = topup_request(registration=registration, actor=maker, method="va", units=100)
    paid.status = "paid"  # a receipt to try
    paid.paid_at, paid.payment_reference = paid.created_at, "SBX-A"
    paid.save()
    return {code.pk, registration.pk, change.pk, pending.pk, paid.pk}


def test_the_sandbox_bank_is_not_served_in_production(settings):
    import importlib

    from django.urls import clear_url_caches

    import kopra.urls

    settings.SANDBOX_ENABLED = False
    try:
        clear_url_caches()
        routes = importlib.reload(kopra.urls).urlpatterns
        assert not any("sandbox" in str(getattr(p, "pattern", "")) for p in routes)
    finally:
        settings.SANDBOX_ENABLED = True
        importlib.reload(kopra.urls)
        clear_url_caches()
