"""Secrets at rest (API client secrets, callback secrets), encrypted with Fernet.

Keys come from `settings.FIELD_ENCRYPTION_KEYS` (newest first), or from SECRET_KEY when
that list is empty. The first key encrypts; every key decrypts, so a key is rotated by
putting the new one first and keeping the old ones until the stored values are
re-encrypted (`reencrypt_secret`).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Changing this string changes every derived key: stored secrets would no longer decrypt.
_HKDF_INFO = b"kopra.crypto.field-encryption.v1"  # named before the module moved to core


class SecretDecryptionError(ValueError):
    """A stored secret could not be decrypted (corrupt value or unknown key)."""


def derive_fernet_key(key_material: str | bytes) -> bytes:
    """A Fernet key derived from any key string with HKDF-SHA256."""
    raw = key_material.encode("utf-8") if isinstance(key_material, str) else key_material
    if not raw:
        raise ValueError("An encryption key cannot be empty.")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(raw)
    return base64.urlsafe_b64encode(derived)


def configured_keys(settings: Any = None) -> list[str]:
    """settings.FIELD_ENCRYPTION_KEYS (a list or a comma-separated string), else [SECRET_KEY]."""
    if settings is None:
        # Imported late: the module (and its tests) must work without configured Django.
        from django.conf import settings as django_settings

        settings = django_settings
    configured = getattr(settings, "FIELD_ENCRYPTION_KEYS", None) or []
    if isinstance(configured, str):
        configured = configured.split(",")
    keys = [key.strip() for key in configured if key and key.strip()]
    if keys:
        return keys
    secret_key = getattr(settings, "SECRET_KEY", "")
    if not secret_key:
        raise ValueError("Set FIELD_ENCRYPTION_KEYS (or at least SECRET_KEY) to store secrets.")
    return [secret_key]


@lru_cache(maxsize=8)
def _multi_fernet(keys: tuple[str | bytes, ...]) -> MultiFernet:
    if not keys:
        raise ValueError("At least one encryption key is needed.")
    return MultiFernet([Fernet(derive_fernet_key(key)) for key in keys])


def _fernet_for(keys: Iterable[str | bytes] | None) -> MultiFernet:
    return _multi_fernet(tuple(configured_keys() if keys is None else keys))


def encrypt_secret(plaintext: str, keys: Sequence[str | bytes] | None = None) -> str:
    """Encrypt plaintext with the first key; the token is URL-safe ASCII."""
    return _fernet_for(keys).encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt_secret(token: str, keys: Sequence[str | bytes] | None = None) -> str:
    """Decrypt a token made by encrypt_secret with any of the keys, else SecretDecryptionError."""
    try:
        return _fernet_for(keys).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, AttributeError) as exc:
        raise SecretDecryptionError(
            "Cannot decrypt the stored secret: it is corrupt, or it was encrypted with a key "
            "that is no longer in FIELD_ENCRYPTION_KEYS."
        ) from exc


def reencrypt_secret(token: str, keys: Sequence[str | bytes] | None = None) -> str:
    """Re-encrypt a token with the first key after a rotation, else SecretDecryptionError."""
    try:
        return _fernet_for(keys).rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError, AttributeError) as exc:
        raise SecretDecryptionError(
            "Cannot re-encrypt the stored secret: it is corrupt, or it was encrypted with a key "
            "that is no longer in FIELD_ENCRYPTION_KEYS."
        ) from exc
