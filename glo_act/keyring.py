"""Secrets other than victims' data, encrypted at rest with the same key ring.

The ring is `settings.FIELD_ENCRYPTION_KEYS` (newest first), the one victims' personal data
uses (victims/crypto.py): a value is encrypted under the newest key and decrypted by any listed
key, so a rotation covers these too. `glo_act` may not import `victims`, hence this small
module of its own.

`EncryptedSecretField` keeps a Fernet token in the database and the plaintext on the instance,
for the code that must use it (e.g. signing partners' webhooks), never for display.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

__all__ = ["EncryptedSecretField", "SecretUnreadable", "decrypt", "encrypt", "is_token"]


class SecretUnreadable(Exception):
    """A stored secret that no key of FIELD_ENCRYPTION_KEYS decrypts."""


@lru_cache(maxsize=8)
def _ring(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError):
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key."
        ) from None


def _keys() -> MultiFernet:
    return _ring(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return _keys().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _keys().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError):
        raise SecretUnreadable(
            "A stored secret cannot be decrypted: the key that encrypted it is not among "
            "FIELD_ENCRYPTION_KEYS."
        ) from None


def is_token(value: str) -> bool:
    """True when `value` is a Fernet token one of the keys opens (already encrypted)."""
    try:
        decrypt(value)
    except SecretUnreadable:
        return False
    return True


class EncryptedSecretField(models.TextField):
    """A secret stored as a Fernet token under FIELD_ENCRYPTION_KEYS; plaintext in Python."""

    def from_db_value(self, value, expression, connection):
        return None if value is None else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
