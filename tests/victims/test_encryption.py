"""Personal data is encrypted at rest, survives key rotation, and never shows as ciphertext."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from tests.victims.conftest import ALICE
from victims import access, crypto, services
from victims.constants import AccessDoor
from victims.models import PersonalDataAccess, Victim

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
PLAINTEXTS = [
    "Zarmina",
    "Testwala",
    "AB1234567",
    "1234567",
    "7700 900123",
    "Imaginary",
    "1999-03-14",
]


def raw_row(table: str, victim_id: int, id_column: str = "id") -> str:
    """Everything PostgreSQL stores for the victim row, as one string."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT t::text FROM {table} t WHERE t.{id_column} = %s", [victim_id])
        return " ".join(row[0] for row in cursor.fetchall())


def raw_tokens(victim_id: int, *columns: str) -> tuple[str, ...]:
    """The stored values of the victim's columns, as PostgreSQL holds them."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM victims_victim WHERE id = %s", [victim_id]
        )
        return cursor.fetchone()


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_victims_table_holds_no_plaintext_name_or_document_number(cast, victim):
    row = raw_row("victims_victim", victim.pk)
    assert victim.code in row  # the query did read the row
    for plaintext in PLAINTEXTS:
        assert plaintext not in row
    full_name, passport = raw_tokens(victim.pk, "full_name", "passport_number")
    assert full_name.startswith("gAAAAA") and passport.startswith("gAAAAA")  # Fernet tokens


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_history_table_holds_ciphertext_only(cast, victim):
    services.victim_update(acting_user=cast.uk, victim=victim, phone="+44 7700 900999")
    rows = raw_row("victims_historicalvictim", victim.pk)
    assert rows.count(victim.code) == 2  # created, then changed
    for plaintext in [*PLAINTEXTS, "900999"]:
        assert plaintext not in rows
    # Blind indexes are not copied into history either.
    assert victim.passport_index and victim.passport_index not in rows


@pytest.mark.django_db
def test_a_loaded_victim_never_prints_personal_data(cast, victim):
    loaded = Victim.objects.get(pk=victim.pk)
    assert str(loaded) == loaded.code
    text = f"{loaded!r} {loaded.full_name} {loaded.full_name!r} {loaded.__dict__}"
    for plaintext in PLAINTEXTS:
        assert plaintext not in text
    # Only an explicit reveal decrypts.
    assert loaded.full_name.reveal() == ALICE["full_name"]
    assert loaded.date_of_birth.reveal() == dt.date(1999, 3, 14)


@pytest.mark.django_db
def test_data_under_the_old_key_reads_after_rotation_and_resaving_uses_the_new_key(cast, register):
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
        victim = register().victim
    (old_token,) = raw_tokens(victim.pk, "full_name")
    assert Fernet(OLD_KEY).decrypt(old_token.encode()) == ALICE["full_name"].encode()

    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        loaded = Victim.objects.get(pk=victim.pk)
        shown = access.reveal_personal_data(user=cast.uk, victim=loaded, door=AccessDoor.PAGE)
        assert shown.full_name == ALICE["full_name"]
        assert shown.passport_number == ALICE["passport_number"]

        services.victim_update(acting_user=cast.uk, victim=loaded, sex="female")

    tokens = raw_tokens(
        victim.pk,
        "full_name",
        "date_of_birth",
        "passport_number",
        "cnic_number",
        "phone",
        "address",
    )
    for token in tokens:
        # Every field was re-encrypted under the new key, which alone now opens it.
        Fernet(NEW_KEY).decrypt(token.encode())
        with pytest.raises(Exception):  # noqa: B017 -- cryptography's InvalidToken
            Fernet(OLD_KEY).decrypt(token.encode())
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
        again = Victim.objects.get(pk=victim.pk)
        assert again.cnic_number.reveal() == ALICE["cnic_number"]


@pytest.mark.django_db
def test_a_field_no_key_opens_raises_a_clear_error_and_records_no_read(cast, victim):
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
        loaded = Victim.objects.get(pk=victim.pk)
        with pytest.raises(crypto.PersonalDataUnreadable) as caught:
            access.reveal_personal_data(user=cast.uk, victim=loaded, door=AccessDoor.PAGE)
    message = str(caught.value)
    assert victim.code in message and "full_name" in message
    assert "FIELD_ENCRYPTION_KEYS" in message
    (token,) = raw_tokens(victim.pk, "full_name")
    assert token not in message and token[:20] not in message
    assert not PersonalDataAccess.objects.exists()


@pytest.mark.django_db
def test_saving_a_victim_keeps_a_field_whose_key_is_missing(cast, victim):
    """An update must not destroy a value whose old key may yet be restored."""
    before = raw_tokens(victim.pk, "address")
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
        services.victim_update(acting_user=cast.uk, victim=victim, sex="female")
    assert raw_tokens(victim.pk, "address") == before
    assert Victim.objects.get(pk=victim.pk).address.reveal() == ALICE["address"]


def test_blind_indexes_match_normalised_documents_and_names():
    assert crypto.document_index("passport", "ab 123-4567") == crypto.document_index(
        "passport", "AB1234567"
    )
    # Same digits, different kind of document: no match.
    assert crypto.document_index("passport", "12345") != crypto.document_index("cnic", "12345")
    born = dt.date(1999, 3, 14)
    assert crypto.name_dob_index("Zarmína  TESTWALA", born) == crypto.name_dob_index(
        "zarmina testwala", born
    )
    assert crypto.name_dob_index("Zarmina Testwala", born) != crypto.name_dob_index(
        "Zarmina Testwala", dt.date(1999, 3, 15)
    )
    assert crypto.name_dob_index("Zarmina Testwala", None) == ""
    with override_settings(BLIND_INDEX_KEY="another-key"):
        other = crypto.document_index("passport", "AB1234567")
    assert other != crypto.document_index("passport", "AB1234567")


@pytest.mark.django_db
def test_resealing_moves_victims_and_their_history_to_the_new_key(cast, register):
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
        victim = register().victim
        services.victim_update(acting_user=cast.uk, victim=victim, phone="+44 1")
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        out = io.StringIO()
        call_command("reseal_personal_data", stdout=out)
        assert "Re-encrypted 3 row(s)" in out.getvalue()  # the victim and two history rows
        call_command("reseal_personal_data", stdout=out)  # nothing left to do
        assert "Re-encrypted 0 row(s)" in out.getvalue()
    history_tokens = Victim.history.model.objects.filter(id=victim.pk)
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
        assert Victim.objects.get(pk=victim.pk).full_name.reveal() == ALICE["full_name"]
        phones = sorted(h.phone.reveal() for h in history_tokens)
        assert phones == ["+44 1", ALICE["phone"]]
    # No history row was added by re-sealing: a key change is not a change of the victim.
    assert history_tokens.count() == 2


@pytest.mark.django_db
def test_resealing_reports_fields_no_key_opens(cast, victim):
    with (
        override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]),
        pytest.raises(CommandError, match="could not be decrypted"),
    ):
        call_command("reseal_personal_data", stdout=io.StringIO())
