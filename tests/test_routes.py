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

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]  # top-ups are paid at the sandbox bank

# Routes anyone may reach, each for a reason.
PUBLIC = {
    "healthz", "readyz",  # probes
    "metrics",  # Prometheus, behind its own bearer token (tests/kopra/test_metrics.py)
    "login", "login_otp", "logout",  # signing in and out
    "set_language", "javascript-catalog",  # before and after sign-in alike
    "help", "guide",  # what the service is, whom to call, the guides of docs/: for anyone, signed in or not
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
        if any(f.name == "company" for f in model._meta.get_fields()) and model._meta.label != "core.AuditEvent":
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
    for name, route, _callback, converters in all_routes():
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
    from quota.topups import topup_request
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

    enabled = settings.SANDBOX_ENABLED
    settings.SANDBOX_ENABLED = False
    try:
        clear_url_caches()
        routes = importlib.reload(kopra.urls).urlpatterns
        assert not any("sandbox" in str(getattr(p, "pattern", "")) for p in routes)
    finally:
        settings.SANDBOX_ENABLED = enabled
        importlib.reload(kopra.urls)
        clear_url_caches()


# --- Company A's real identifiers, tried from company B; roles; mass assignment; the admin ---

ALL_ROLES = ("admin", "maker", "approver", "viewer")
A_PHONE = "+6281234567890"


def company_world(company, *, prefix: str, tmp_media) -> dict:
    """A company with something behind every kind of route: users, a registered code, a stop
    request, top-up orders, bills (one cancelled, so a callback exists), an upload, an API
    credential and a callback setting. Returns the rows and every identifier a URL may carry."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from billers.registrations import registration_create, service_change_request
    from core import signing
    from notifications import callbacks
    from quota.topups import topup_request
    from reminders import uploads
    from reminders.services import bill_cancel
    from snap import credentials
    from tests.factories import AgreementFactory, BillerCodeFactory

    admin = UserFactory(company=company, user_id=f"{prefix}-admin", is_admin=True, is_maker=True,
                        is_approver=True, is_viewer=True)
    authenticator(admin)
    maker = UserFactory(company=company, user_id=f"{prefix}-maker")
    AgreementFactory(company=company)
    code = BillerCodeFactory(company=company)
    registration = registration_create(company=company, biller_code=code, actor=admin)
    spare_code = BillerCodeFactory(company=company)  # registrable: registration_create's pk
    change = service_change_request(registration=registration, action="stop", actor=maker)
    order = topup_request(registration=registration, actor=maker, method="va", units=100)
    callbacks.callback_setting_save(company=company, url=f"https://{prefix}.example/callback")
    bills = [_bill(registration, f"{prefix}-K{i}", f"{prefix}-INV-{i}", actor=maker) for i in range(2)]
    bill_cancel(bill=bills[1], actor=maker, reason="to have a callback")
    _private, public_pem = signing.generate_rsa_keypair()
    credential, _secret = credentials.credential_create(company=company, actor=admin, name=f"{prefix} ERP",
                                                        public_key_pem=public_pem)
    upload = uploads.upload_receive(
        registration=registration, actor=maker,
        uploaded_file=SimpleUploadedFile(f"{prefix}.csv", b"bill_key,payer_phone,amount,end_date\n"
                                                          b"U1,081234567890,150000,31/12/2099\n"),
    )
    from notifications.models import CallbackEvent

    callback = CallbackEvent.objects.filter(company=company).first()
    assert callback is not None
    ints = {admin.pk, maker.pk, code.pk, spare_code.pk, registration.pk, change.pk, order.pk, credential.pk,
            upload.pk, callback.pk, registration.quota_account.pk, *(b.pk for b in bills)}
    strings = {b.reference_no for b in bills} | {b.partner_reference_no for b in bills} | {A_PHONE}
    return {"admin": admin, "maker": maker, "registration": registration, "bills": bills, "upload": upload,
            "credential": credential, "ints": sorted(ints), "strings": sorted(strings)}


def _bill(registration, key, partner_reference, *, actor):
    import datetime as dt

    from django.utils import timezone

    from tests.factories import make_bill

    return make_bill(registration, actor=actor, bill_key=key, partner_reference_no=partner_reference,
                     payer_phone=A_PHONE, end_at=timezone.now() + dt.timedelta(days=5))


def values_for(converters: dict, ints, strings):
    """Every way to fill a route's URL parameters from a company's identifiers."""
    names = list(converters)
    pools = [ints if type(converters[name]).__name__ == "IntConverter" else strings for name in names]
    longest = max(len(pool) for pool in pools)
    return [{name: pool[i % len(pool)] for name, pool in zip(names, pools)} for i in range(longest)]


HOSTILE_POST = {
    "active": "0", "password": "Takeover-Pass-99", "full_name": "pwned", "roles": ["viewer"], "threshold": "0",
    "units": "100", "method": "va", "confirm": "1", "reason": "pwned", "url": "https://evil.example/x",
    "name": "pwned", "public_key_pem": "-----BEGIN PUBLIC KEY-----", "require_two_factor": "", "bill_key": "X1",
}


@pytest.fixture
def a_world(company, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return company_world(company, prefix="a", tmp_media=settings.MEDIA_ROOT)


@pytest.fixture
def b_world(other_company, a_world, settings):
    return company_world(other_company, prefix="b", tmp_media=settings.MEDIA_ROOT)


def test_company_b_gets_404_for_each_real_identifier_of_company_a_in_every_route(client, company, other_company,
                                                                                a_world):
    a = a_world
    # Company B owns nothing but its admin, whose pk is none of A's: any 200 would be A's row.
    # (PostgreSQL's sequences go on across tests, so an earlier test may make a pk collide.)
    serial = 0
    while True:
        b_admin = UserFactory(company=other_company, user_id=f"b-admin-{serial}", is_admin=True, is_maker=True,
                              is_approver=True, is_viewer=True)
        if b_admin.pk not in a["ints"]:
            break
        serial += 1
    sign_in(client, b_admin)
    before = company_rows(company)

    tried = set()
    for name, route, _callback, converters in all_routes():
        if name in PUBLIC or not converters:
            continue
        for values in values_for(converters, a["ints"], a["strings"]):
            path = route_path(route, values)
            for method in ("get", "post"):
                response = getattr(client, method)(path, HOSTILE_POST)
                assert response.status_code in (404, 405), (method, path, response.status_code)
            tried.add(name)
    string_routes = {name for name, _r, _c, conv in all_routes()
                     if name not in PUBLIC and any(type(c).__name__ == "StringConverter" for c in conv.values())}
    assert string_routes and string_routes <= tried, "every route with a text identifier was tried"
    assert company_rows(company) == before, "company A's rows changed"


def _role_user(company, roles, serial):
    flags = {f"is_{role}": role in roles for role in ALL_ROLES}
    user = UserFactory(company=company, user_id=f"only-{serial}", **flags)
    authenticator(user)
    return user


def test_a_user_without_the_role_a_route_needs_is_refused_with_403(client_factory, company, a_world):
    a = a_world
    guarded = [(name, route, callback, converters) for name, route, callback, converters in all_routes()
               if name not in PUBLIC and getattr(callback, "company_roles", ())]
    assert guarded, "the decorator sets company_roles on every guarded view"

    clients = {}
    for _name, _route, callback, _conv in guarded:
        other_roles = tuple(sorted(set(ALL_ROLES) - set(callback.company_roles)))
        if other_roles and other_roles not in clients:
            clients[other_roles] = sign_in(client_factory(), _role_user(company, other_roles, len(clients)))
    before = company_rows(company)  # after sign-in, which stamps last_login

    checked = 0
    for name, route, callback, converters in guarded:
        other_roles = tuple(sorted(set(ALL_ROLES) - set(callback.company_roles)))
        if not other_roles:
            continue  # every role may enter
        client = clients[other_roles]
        values = values_for(converters, a["ints"], a["strings"])[0] if converters else {}
        path = route_path(route, values)
        for method in ("get", "post"):
            response = getattr(client, method)(path, HOSTILE_POST)
            assert response.status_code == 403, (name, method, path, other_roles, response.status_code)
            checked += 1
    assert checked >= 2 * 20
    assert company_rows(company) == before, "a refused request changed something"


# --- Mass assignment -------------------------------------------------------------------


def _escalation_fields(a_world) -> dict:
    """Fields no console form offers: the company, a status, quota, staff flags."""
    return {
        "company": a_world["admin"].company_id, "company_id": a_world["admin"].company_id,
        "status": "PAID", "quota": "999999", "balance": "999999", "reserved": "0", "is_staff": "on",
        "is_superuser": "on", "is_active": "on", "registration_id": a_world["registration"].pk,
        "uploaded_by": a_world["admin"].pk, "created_by": a_world["admin"].pk, "rate_limit_per_minute": "999999",
        "paid_at": "2026-01-01T00:00:00+07:00", "displayed_at": "2026-01-01T00:00:00+07:00",
    }


def _valid_posts(b_world, public_pem) -> dict:
    """A valid form for each route that creates or changes something, by route name."""
    import datetime as dt

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    end = (timezone.localtime() + dt.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    return {
        "user_create": {"user_id": "newbie", "full_name": "New Person", "password": "Quite-Long-Pass-2026",
                        "roles": ["viewer"]},
        "user_edit": {"full_name": "Renamed", "roles": ["maker"]},
        "company_settings": {"require_two_factor": "on", "approval_for_topup": "on"},
        "credential_create": {"name": "Second ERP", "public_key_pem": public_pem},
        "credential_edit": {"public_key_pem": public_pem, "ip_allowlist": ""},
        "bill_entry": {"registration": b_world["registration"].pk, "bill_key": "MASS1",
                       "payer_phone": "0812-3456-7890", "amount": "150000", "end_date": end},
        "topup_new": {"units": "100", "method": "va", "confirm": "1"},
        "quota_threshold": {"threshold": "5"},
        "callback_settings": {"url": "https://b.example/new-callback"},
        "upload_new": {"registration": b_world["registration"].pk,
                       "file": lambda: SimpleUploadedFile("mass.csv", b"bill_key,payer_phone,amount,end_date\n"
                                                                      b"M1,081234567890,150000,31/12/2099\n")},
        "service_stop_request": {"reason": "holiday"},
    }


def _nothing_escalated(company_a_before, company_a, company_b):
    from billers.models import Company, User
    from quota.selectors import ledger_mismatches
    from reminders.models import Bill

    assert not User.objects.filter(company__isnull=False, is_staff=True).exists()
    assert not User.objects.filter(is_superuser=True).exists()
    assert company_rows(company_a) == company_a_before, "company A's rows changed"
    b = Company.objects.get(pk=company_b.pk)
    assert (b.company_id, b.name, b.is_active) == (company_b.company_id, company_b.name, company_b.is_active)
    assert ledger_mismatches() == []
    assert not Bill.objects.filter(company=company_b, status__in=["PAID", "DISPLAYED"]).exists()


def test_fields_no_form_offers_are_ignored_by_every_console_route(client, company, other_company, a_world,
                                                                   b_world):
    from billers.models import User
    from core import signing
    from notifications.models import CallbackSetting
    from quota.models import QuotaAccount, TopUpOrder
    from reminders.models import Bill, Upload
    from snap.models import ApiCredential

    a, b = a_world, b_world
    sign_in(client, b["admin"])
    _private, public_pem = signing.generate_rsa_keypair()
    valid = _valid_posts(b, public_pem)
    hostile = _escalation_fields(a)
    a_before = company_rows(company)
    account = QuotaAccount.objects.get(registration=b["registration"])
    balance_before = account.balance

    posted = set()
    for name, route, callback, converters in all_routes():
        if name in PUBLIC or getattr(callback, "tenant_api", False):
            continue
        # Not the signed-in admin's own pk: a new password or fewer roles would end this session.
        own_ids = [pk for pk in b["ints"] if pk != b["admin"].pk]
        values = values_for(converters, own_ids, b["strings"]) if converters else [{}]
        for value in values[:3]:
            data = {**HOSTILE_POST, **{k: (v() if callable(v) else v) for k, v in valid.get(name, {}).items()},
                    **hostile}
            response = client.post(route_path(route, value), data)
            assert response.status_code < 500, (name, response.status_code)
            if response.status_code != 405:
                posted.add(name)
            _nothing_escalated(a_before, company, other_company)
    assert set(valid) <= posted, f"routes not reached: {set(valid) - posted}"

    # What the valid forms made belongs to company B, as the form says, whatever else was posted.
    newbie = User.objects.get(user_id="newbie")
    assert newbie.company == other_company and not (newbie.is_staff or newbie.is_superuser)
    assert newbie.roles == {"viewer"}
    bill = Bill.objects.get(bill_key="MASS1")
    assert (bill.company, bill.registration) == (other_company, b["registration"])
    assert bill.events.order_by("at", "id").first().to_status == "RECEIVED", "received, not PAID as posted"
    assert bill.created_by == b["admin"] and bill.paid_at is None and bill.displayed_at is None
    assert not TopUpOrder.objects.filter(company=other_company, status=TopUpOrder.Status.PAID,
                                         payment_reference="").exists()
    for order in TopUpOrder.objects.filter(company=other_company):
        assert order.registration.company == other_company
    credential = ApiCredential.objects.get(name="Second ERP")
    assert credential.company == other_company and credential.rate_limit_per_minute != 999999
    assert CallbackSetting.objects.get(company=other_company).url == "https://b.example/new-callback"
    assert CallbackSetting.objects.get(company=company).url == "https://a.example/callback"
    for upload in Upload.objects.filter(company=other_company):
        assert upload.uploaded_by.company == other_company
    account.refresh_from_db()
    assert account.balance <= balance_before or account.ledger_entries.filter(kind="topup").exists()


# --- The admin -------------------------------------------------------------------------


def admin_paths() -> list[str]:
    """The admin's index, each app index, and each model's list, add and history pages."""
    from django.contrib import admin

    paths = ["/admin/"]
    for model, _model_admin in admin.site._registry.items():
        meta = model._meta
        paths.append(f"/admin/{meta.app_label}/")
        paths.append(f"/admin/{meta.app_label}/{meta.model_name}/")
        paths.append(f"/admin/{meta.app_label}/{meta.model_name}/add/")
        first = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        if first is not None:
            paths.append(f"/admin/{meta.app_label}/{meta.model_name}/{first}/change/")
            paths.append(f"/admin/{meta.app_label}/{meta.model_name}/{first}/history/")
            paths.append(f"/admin/{meta.app_label}/{meta.model_name}/{first}/delete/")
    return sorted(set(paths))


def test_the_admin_sends_strangers_and_company_users_to_its_login(client_factory, company, a_world):
    a = a_world
    paths = admin_paths()
    assert len(paths) > 20
    stranger = client_factory()
    company_user = sign_in(client_factory(), a["admin"])
    # (A company user with the staff flag cannot exist: a CHECK constraint refuses it.)
    before = company_rows(company)
    for path in paths:
        for who, client in (("stranger", stranger), ("company user", company_user)):
            for method in ("get", "post"):
                response = getattr(client, method)(path, {"units": "5", "reason": "x", "post": "yes"})
                assert response.status_code == 302, (who, method, path, response.status_code)
                assert response["Location"].startswith("/admin/login/"), (who, method, path)
    assert company_rows(company) == before
