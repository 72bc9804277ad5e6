"""The demo: a bank staff member, a company with a user per role, and what later parts add.

``seed_demo`` is idempotent: a second run keeps every row and secret of the first, and
writes the same ``var/demo/credentials.json``.
"""

import base64
import json
import os
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from billers.models import Company, User

DEMO_COMPANY_ID = "DEMO01"
DEMO_COMPANY_NAME = "PT Air Bersih Nusantara (demo)"
STAFF = {"user_id": "bankadmin", "password": "Bank-Admin-Demo-2026", "full_name": "Bank Staff (demo)"}
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
        user = User(company=company, user_id=spec["user_id"], full_name=spec["full_name"], **flags)
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
        "api": None,
        "biller_codes": [],
        "livin": {"users": [], "non_users": []},
    }


def write_credentials(data: dict) -> Path:
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
    path.chmod(0o600)
    return path
