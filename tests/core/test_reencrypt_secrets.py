"""Rotating FIELD_ENCRYPTION_KEYS: put a new key first, re-encrypt, drop the old key."""

import pytest
from django.core.management import call_command

from core import crypto, signing
from notifications import callbacks
from notifications.models import CallbackSetting
from snap.credentials import client_secret, credential_create
from snap.models import ApiCredential

pytestmark = pytest.mark.django_db


def test_secrets_survive_a_key_rotation_once_reencrypted(company, settings):
    settings.FIELD_ENCRYPTION_KEYS = ["old-key-0123456789"]
    _private, public_pem = signing.generate_rsa_keypair()
    credential, secret = credential_create(company=company, actor=None, name="ERP", public_key_pem=public_pem)
    _setting, callback_secret = callbacks.callback_setting_save(company=company, url="https://erp.example/k")

    settings.FIELD_ENCRYPTION_KEYS = ["new-key-9876543210", "old-key-0123456789"]
    call_command("reencrypt_secrets")

    settings.FIELD_ENCRYPTION_KEYS = ["new-key-9876543210"]  # the old key is gone
    assert client_secret(ApiCredential.objects.get(pk=credential.pk)) == secret
    assert crypto.decrypt_secret(CallbackSetting.objects.get(company=company).secret_encrypted) == callback_secret
