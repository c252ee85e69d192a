"""Encryption at rest and blind indexes for victims' personal data.

Personal fields are stored as Fernet tokens under `settings.FIELD_ENCRYPTION_KEYS` (newest
first): a `MultiFernet` decrypts with any listed key and always encrypts with the newest, so a
key is rotated by putting the new key first and re-saving (see `reseal`). A value that no listed
key decrypts is an error (`PersonalDataUnreadable`), never ciphertext passed off as a value.

Exact-match look-up (duplicate hints) uses keyed HMAC-SHA256 blind indexes of normalised values
under `settings.BLIND_INDEX_KEY`, so the database never holds a searchable plaintext.

`EncryptedTextField` / `EncryptedDateField` keep a `Sealed` value on the model instance once it
is loaded or saved: printing, logging or rendering a victim can never show personal data, and
only `Sealed.reveal()` (called by `victims.access`) decrypts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import unicodedata
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


class PersonalDataUnreadable(Exception):
    """A personal-data field that none of the configured keys decrypts."""

    def __init__(self, field: str, victim_code: str = ""):
        self.field = field
        self.victim_code = victim_code
        whose = f" of victim {victim_code}" if victim_code else ""
        super().__init__(
            f"The {field} field{whose} cannot be decrypted: the key that encrypted it is not "
            "among FIELD_ENCRYPTION_KEYS. Restore the old key (listed after the newest)."
        )


@lru_cache(maxsize=8)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError):
        # Never echo the key itself.
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key "
            "(32 url-safe base64-encoded bytes)."
        ) from None


def _keys() -> MultiFernet:
    # Keyed on the current setting, so override_settings and a rotation take effect at once.
    return _multifernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    """A Fernet token for `plaintext` under the newest key."""
    return _keys().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str, *, field: str = "personal data") -> str:
    """The plaintext of `token`; PersonalDataUnreadable when no configured key opens it."""
    try:
        return _keys().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError):
        raise PersonalDataUnreadable(field) from None


def is_under_newest_key(token: str) -> bool:
    """True when the newest key opens `token` (so re-saving need not re-encrypt it)."""
    try:
        Fernet(settings.FIELD_ENCRYPTION_KEYS[0]).decrypt(token.encode("ascii"))
    except (InvalidToken, ValueError):
        return False
    return True


def reseal(token: str) -> str:
    """`token` re-encrypted under the newest key; unchanged if it already is, or if no key
    opens it (saving a record must not destroy a value whose old key may yet be restored;
    reading it still fails loudly).
    """
    if is_under_newest_key(token):
        return token
    try:
        return _keys().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, ValueError):
        return token


# --- Blind indexes ------------------------------------------------------------------------------


def normalise_document(number: str) -> str:
    """Upper-case letters and digits only: 'ab 12-345' and 'AB12345' are the same document."""
    return re.sub(r"[^0-9A-Z]", "", unicodedata.normalize("NFKC", number).upper())


def normalise_name(name: str) -> str:
    """Case-folded, accents and punctuation dropped, words in order, single spaces."""
    decomposed = unicodedata.normalize("NFKD", name)
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = re.findall(r"\w+", letters.casefold())
    return " ".join(words)


def blind_index(domain: str, normalised: str) -> str:
    """Keyed HMAC-SHA256 of `domain:normalised` (hex); '' for an empty value.

    The domain keeps a passport number from matching the same digits as a CNIC number.
    """
    if not normalised:
        return ""
    key = settings.BLIND_INDEX_KEY.encode("utf-8")
    message = f"{domain}:{normalised}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def document_index(domain: str, number: str | None) -> str:
    return blind_index(domain, normalise_document(number or ""))


def name_dob_index(full_name: str | None, date_of_birth: dt.date | None) -> str:
    """Index of name + date of birth; '' unless both are known."""
    if not full_name or date_of_birth is None:
        return ""
    return blind_index("name_dob", f"{normalise_name(full_name)}|{date_of_birth.isoformat()}")


# --- Model fields -------------------------------------------------------------------------------


class Sealed:
    """An encrypted value as it sits on a model instance: opaque until `reveal()`."""

    __slots__ = ("token", "field")

    def __init__(self, token: str, field: models.Field):
        self.token = token
        self.field = field

    def reveal(self):
        """The plaintext, as the field's Python type (str or date)."""
        return self.field.from_plaintext(decrypt(self.token, field=self.field.name))

    def __eq__(self, other) -> bool:
        return isinstance(other, Sealed) and other.token == self.token

    def __hash__(self) -> int:
        return hash(self.token)

    def __str__(self) -> str:
        return "‹encrypted›"

    __repr__ = __str__


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token; the instance holds `Sealed`, or a str until saved.

    Not editable: a ModelForm would render the sealed value and write it back. Forms for
    personal data are built by hand and write through the victims services.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def to_plaintext(self, value) -> str:
        return str(value)

    def from_plaintext(self, text: str):
        return text

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return Sealed(value, self)

    def to_python(self, value):
        return value

    def seal(self, value) -> str | None:
        """The token to store for `value` (plaintext is encrypted; old tokens are re-keyed)."""
        if value is None or value == "":
            return None
        if isinstance(value, Sealed):
            return reseal(value.token)
        return encrypt(self.to_plaintext(value))

    def pre_save(self, model_instance, add):
        # Encrypt once per save and keep the sealed value on the instance, so the plaintext
        # does not linger on it and simple-history copies the very same token.
        token = self.seal(getattr(model_instance, self.attname))
        sealed = None if token is None else Sealed(token, self)
        setattr(model_instance, self.attname, sealed)
        return sealed

    def get_prep_value(self, value):
        if isinstance(value, Sealed):
            return value.token
        if value is None or value == "":
            return None
        return encrypt(self.to_plaintext(value))

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        return value.token if isinstance(value, Sealed) else self.get_prep_value(value)


class EncryptedDateField(EncryptedTextField):
    """A date stored as the Fernet token of its ISO form."""

    def to_plaintext(self, value) -> str:
        if isinstance(value, dt.datetime):
            value = value.date()
        if not isinstance(value, dt.date):
            value = dt.date.fromisoformat(str(value))
        return value.isoformat()

    def from_plaintext(self, text: str):
        return dt.date.fromisoformat(text)
