"""The demo: a bank staff member, a company with a user per role, and what later parts add.

``seed_demo`` is idempotent: a second run keeps every row and secret of the first, and
writes the same ``var/demo/credentials.json``.
"""

import base64
import json
import os
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from billers.models import BillerCode, CollectionAccount, Company, Registration, User

DEMO_COMPANY_ID = "DEMO01"
DEMO_COMPANY_NAME = "PT Air Bersih Nusantara (demo)"
STAFF = {"user_id": "bankadmin", "password": "Bank-Admin-Demo-2026", "full_name": "Bank Staff (demo)"}
# The collection account also exists in the sandbox core bank, with money for debit top-ups.
COLLECTION_ACCOUNT = "1230009876543"
CORE_BALANCE = Decimal("50000000.00")
BILLER_CODES = [
    # (code, name, payment mechanism, registered in the demo)
    ("89123", "Tagihan Air Bersih", BillerCode.PaymentMechanism.CLOSED, True),
    ("89124", "Tagihan Air Industri", BillerCode.PaymentMechanism.CLOSED, False),
    ("89125", "Donasi Air Bersih", BillerCode.PaymentMechanism.OPEN, False),
]
COMPANY_USERS = [
    {"user_id": "admin", "password": "Demo-Admin-2026!", "full_name": "Ayu Admin", "roles": ["admin"]},
    {"user_id": "maker", "password": "Demo-Maker-2026!", "full_name": "Made Maker", "roles": ["maker"]},
    {"user_id": "approver", "password": "Demo-Approver-2026!", "full_name": "Putri Approver", "roles": ["approver"]},
    {"user_id": "viewer", "password": "Demo-Viewer-2026!", "full_name": "Vino Viewer", "roles": ["viewer"]},
]


def credentials_path() -> Path:
    return settings.VAR_DIR / "demo" / "credentials.json"


def totp_secret(device: TOTPDevice) -> str:
    """The base32 secret an authenticator app (or pyotp/oathtool) takes."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def _confirmed_device(user: User) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="demo authenticator", confirmed=True)
    return device


def _user(company: Company | None, spec: dict, **flags) -> User:
    user = User.objects.filter(company=company, user_id=spec["user_id"]).first()
    if user is None:
        # Company users have an address, so the demo's staff e-mail lands in var/mail/.
        email = f"{spec['user_id']}@{company.company_id.lower()}.demo.example" if company else ""
        # The README prints these passwords as the demo's own: they count as chosen, not to be changed.
        user = User(company=company, user_id=spec["user_id"], full_name=spec["full_name"], email=email,
                    password_change_required=False, **flags)
        user.set_password(spec["password"])
        user.save()
    return user


@transaction.atomic
def seed() -> dict:
    """Creates (or finds) the demo rows and returns what credentials.json holds."""
    staff = _user(None, STAFF, is_staff=True, is_superuser=True)
    company, _ = Company.objects.get_or_create(
        company_id=DEMO_COMPANY_ID, defaults={"name": DEMO_COMPANY_NAME}
    )
    users = []
    for spec in COMPANY_USERS:
        flags = {f"is_{role}": True for role in spec["roles"]}
        user = _user(company, spec, **flags)
        users.append({
            "user_id": user.user_id,
            "password": spec["password"],
            "role": spec["roles"][0],
            "roles": spec["roles"],
            "totp_secret": totp_secret(_confirmed_device(user)),
        })
    biller_codes = _biller_codes(company, admin=User.objects.get(company=company, user_id="admin"))
    base_url = os.environ.get("KOPRA_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    return {
        "console_url": f"{base_url}/",
        "admin_url": f"{base_url}/admin/",
        "company_id": company.company_id,
        "company_name": company.name,
        "bank_staff": {
            "user_id": staff.user_id,
            "password": STAFF["password"],
            "totp_secret": totp_secret(_confirmed_device(staff)),
        },
        "users": users,
        "api": _api_credential(company, admin=User.objects.get(company=company, user_id="admin"),
                               base_url=base_url),
        "biller_codes": biller_codes,
        "livin": _livin_phones(),
    }


def _biller_codes(company: Company, *, admin: User) -> list[dict]:
    """A collection account, three registry codes (one registered, one open-payment), a tariff."""
    from billers.registrations import registration_create
    from livin.models import CoreAccount
    from quota.models import Agreement, Package
    from quota.selectors import quota_available

    account, _ = CollectionAccount.objects.get_or_create(account_number=COLLECTION_ACCOUNT,
                                                         defaults={"company": company})
    CoreAccount.objects.get_or_create(account_number=COLLECTION_ACCOUNT,
                                      defaults={"holder_name": company.name, "balance": CORE_BALANCE})
    if not Agreement.objects.filter(company=company).exists():
        agreement = Agreement.objects.create(
            company=company, unit_price=Decimal("350.00"), tax_rate=Decimal("0.11"), initial_quota=1000,
            minimum_topup=100, effective_from=company.created_at,
        )
        Package.objects.create(agreement=agreement, name="1,000 pushes", units=1000, price=Decimal("350000.00"))
        Package.objects.create(agreement=agreement, name="10,000 pushes", units=10000, price=Decimal("3250000.00"))
    codes = []
    for code, name, mechanism, registered in BILLER_CODES:
        biller_code, _ = BillerCode.objects.get_or_create(code=code, defaults={
            "company": company, "name": name, "collection_account": account, "payment_mechanism": mechanism,
        })
        registration = Registration.objects.filter(biller_code=biller_code).first()
        if registered and registration is None:
            registration = registration_create(company=company, biller_code=biller_code, actor=admin)
        codes.append({
            "code": code,
            "name": name,
            "payment": mechanism.value,
            "registered": registration is not None,
            "available_quota": quota_available(registration) if registration else None,
        })
    return codes


def write_credentials(data: dict) -> Path:
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
    path.chmod(0o600)
    return path


LIVIN_USERS = [("+6281234567890", "Budi Santoso"), ("+6281298765432", "Siti Rahma"), ("+6285712345678", "Andi Wijaya")]
LIVIN_NON_USERS = ["+6281399990000", "+6287800001111"]


def _livin_phones() -> dict:
    """Phones the sandbox directory knows as Livin' users, and some it does not."""
    from livin.models import LivinUser

    for phone, name in LIVIN_USERS:
        LivinUser.objects.get_or_create(phone=phone, defaults={"name": name})
    return {"users": [phone for phone, _name in LIVIN_USERS], "non_users": LIVIN_NON_USERS}


def _api_credential(company: Company, *, admin: User, base_url: str) -> dict:
    """The demo's Open API credential, with its private key in var/demo/ for the signing client."""
    from core import crypto, signing
    from snap import credentials
    from snap.models import ApiCredential

    key_path = credentials_path().parent / "api_private_key.pem"
    credential = ApiCredential.objects.filter(company=company, name="Demo billing system",
                                              status=ApiCredential.Status.ACTIVE).first()
    if credential is None or not key_path.exists():
        private_pem, public_pem = signing.generate_rsa_keypair()
        key_path.parent.mkdir(parents=True, exist_ok=True)
        key_path.write_text(private_pem)
        key_path.chmod(0o600)
        if credential is None:
            credential, _secret = credentials.credential_create(
                company=company, actor=admin, name="Demo billing system", public_key_pem=public_pem)
        else:
            credentials.credential_update(credential=credential, actor=admin, public_key_pem=public_pem)
    return {
        "base_url": base_url,
        "client_key": credential.client_key,
        "client_secret": crypto.decrypt_secret(credential.client_secret_encrypted),
        "private_key_path": os.path.relpath(key_path, Path.cwd()) if key_path.is_relative_to(Path.cwd())
        else str(key_path),
        "channel_id": "95221",
    }
