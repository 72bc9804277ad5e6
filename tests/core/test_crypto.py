from types import SimpleNamespace

import pytest

from core.crypto import (
    SecretDecryptionError,
    configured_keys,
    decrypt_secret,
    derive_fernet_key,
    encrypt_secret,
    reencrypt_secret,
)

OLD_KEY = "old-field-key-2025"
NEW_KEY = "new-field-key-2026"
SECRET = "cs_9f8e7d6c5b4a-ünïcode"


def test_secret_round_trips():
    token = encrypt_secret(SECRET, [NEW_KEY])
    assert decrypt_secret(token, [NEW_KEY]) == SECRET


def test_stored_token_does_not_contain_the_secret_and_differs_each_time():
    first, second = encrypt_secret("cs_plain", [NEW_KEY]), encrypt_secret("cs_plain", [NEW_KEY])
    assert "cs_plain" not in first
    assert first != second


def test_after_rotation_a_secret_stored_with_the_old_key_still_decrypts():
    stored_before_rotation = encrypt_secret(SECRET, [OLD_KEY])
    assert decrypt_secret(stored_before_rotation, [NEW_KEY, OLD_KEY]) == SECRET


def test_after_rotation_new_secrets_are_encrypted_with_the_new_key():
    stored_after_rotation = encrypt_secret(SECRET, [NEW_KEY, OLD_KEY])
    assert decrypt_secret(stored_after_rotation, [NEW_KEY]) == SECRET
    with pytest.raises(SecretDecryptionError):
        decrypt_secret(stored_after_rotation, [OLD_KEY])


def test_reencrypting_moves_a_secret_to_the_new_key_so_the_old_key_can_be_dropped():
    stored = encrypt_secret(SECRET, [OLD_KEY])
    moved = reencrypt_secret(stored, [NEW_KEY, OLD_KEY])
    assert decrypt_secret(moved, [NEW_KEY]) == SECRET


def test_tampered_token_raises_a_clear_error():
    token = encrypt_secret(SECRET, [NEW_KEY])
    tampered = token[:20] + ("A" if token[20] != "A" else "B") + token[21:]
    with pytest.raises(SecretDecryptionError, match="corrupt.*FIELD_ENCRYPTION_KEYS"):
        decrypt_secret(tampered, [NEW_KEY])


@pytest.mark.parametrize("token", ["", "not a token", "ünï"], ids=["empty", "words", "non-ascii"])
def test_garbage_token_raises_the_same_clear_error(token):
    with pytest.raises(SecretDecryptionError, match="Cannot decrypt the stored secret"):
        decrypt_secret(token, [NEW_KEY])


def test_decryption_error_is_a_value_error():
    with pytest.raises(ValueError):
        decrypt_secret("nope", [NEW_KEY])


def test_secret_encrypted_with_an_unknown_key_cannot_be_read():
    with pytest.raises(SecretDecryptionError):
        decrypt_secret(encrypt_secret(SECRET, ["someone-else"]), [NEW_KEY])


def test_empty_key_list_is_refused():
    with pytest.raises(ValueError, match="At least one encryption key"):
        encrypt_secret(SECRET, [])


def test_any_key_string_is_derived_into_a_valid_fernet_key():
    assert len(derive_fernet_key("short")) == 44
    assert derive_fernet_key("a") != derive_fernet_key("b")
    with pytest.raises(ValueError, match="empty"):
        derive_fernet_key("")


def test_configured_keys_come_from_field_encryption_keys_newest_first():
    settings = SimpleNamespace(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY], SECRET_KEY="sk")
    assert configured_keys(settings) == [NEW_KEY, OLD_KEY]


def test_configured_keys_accept_a_comma_separated_string():
    settings = SimpleNamespace(FIELD_ENCRYPTION_KEYS=f" {NEW_KEY}, {OLD_KEY} ,", SECRET_KEY="sk")
    assert configured_keys(settings) == [NEW_KEY, OLD_KEY]


def test_configured_keys_fall_back_to_the_secret_key():
    assert configured_keys(SimpleNamespace(FIELD_ENCRYPTION_KEYS=[], SECRET_KEY="sk")) == ["sk"]
    assert configured_keys(SimpleNamespace(SECRET_KEY="sk")) == ["sk"]


def test_configured_keys_refuse_settings_without_any_key():
    with pytest.raises(ValueError, match="FIELD_ENCRYPTION_KEYS"):
        configured_keys(SimpleNamespace(FIELD_ENCRYPTION_KEYS=[], SECRET_KEY=""))


def test_the_derived_key_never_changes_so_stored_secrets_still_decrypt():
    # A renamed HKDF info string (or algorithm) would change every derived key silently.
    assert derive_fernet_key("a key of an existing installation") == b"SJjILKmzxV5EMWCxz12rD0wO-pXmPqpsPAUOBrpWwoM="
