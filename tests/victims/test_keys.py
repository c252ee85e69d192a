"""The keys against the data: `check_keys`, the database system check, the reindex command,
and what each door shows when a victim's personal data cannot be decrypted."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core import checks
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from tests.two_factor import REVEAL
from tests.victims.conftest import ALICE, make_case
from victims import services
from victims.keys import check_keys, keys_check
from victims.models import PersonalDataAccess, Victim

pytestmark = pytest.mark.django_db

OTHER_KEY = Fernet.generate_key().decode()
OTHER_INDEX_KEY = "a-blind-index-key-that-wrote-nothing"


def run(command: str, *args) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def indexes_of(victim) -> tuple[str, str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT passport_index, cnic_index, name_dob_index FROM victims_victim WHERE id = %s",
            [victim.pk],
        )
        return cursor.fetchone()


def test_the_right_keys_pass(cast, victim):
    report = check_keys()
    assert (report.victims_sampled, report.values_checked) == (1, 6)
    assert report.indexes_checked == 3  # passport, CNIC, name + date of birth
    assert report.problems() == []
    assert "Both keys match the data." in run("check_keys")
    assert keys_check(databases=["default"]) == []


def test_no_victim_yet_is_nothing_to_check(db):
    assert "nothing to check" in run("check_keys")


def test_a_wrong_encryption_key_is_an_error_that_names_it(cast, victim):
    with override_settings(FIELD_ENCRYPTION_KEYS=[OTHER_KEY]):
        with pytest.raises(CommandError) as caught:
            run("check_keys")
        found = keys_check(databases=["default"])
    message = str(caught.value)
    assert message.startswith("FIELD_ENCRYPTION_KEY does not open 6 of 6")
    assert victim.code in message and "Restore it" in message
    assert ALICE["full_name"] not in message
    assert [(m.level, m.id) for m in found] == [(checks.ERROR, "victims.E001")]


def test_an_old_key_dropped_from_the_list_is_a_warning_on_the_oldest_victims(cast, register):
    first = register().victim  # under the development key
    with override_settings(FIELD_ENCRYPTION_KEYS=[OTHER_KEY]):
        register(passport_number="ZZ7654321", cnic_number="", full_name="Another Person")
        report = check_keys()
        found = keys_check(databases=["default"])
    assert report.victims_sampled == 2
    assert report.values_unreadable == 6 and report.values_checked == 11
    assert report.unreadable_codes == [first.code]
    assert "missing from the list" in report.problems()[0]
    assert [(m.level, m.id) for m in found] == [(checks.WARNING, "victims.W001")]


def test_a_wrong_blind_index_key_is_reported_and_reindex_repairs_it(cast, victim):
    before = indexes_of(victim)
    with override_settings(BLIND_INDEX_KEY=OTHER_INDEX_KEY):
        with pytest.raises(CommandError) as caught:
            run("check_keys")
        assert [m.id for m in keys_check(databases=["default"])] == ["victims.W002"]
        # A duplicate registered under the new key finds no hint: the quiet failure.
        italian = make_case(cast.offices["ITA"])
        duplicate = services.victim_register(
            acting_user=cast.italy,
            case=italian,
            consents=[{"purpose": "data_processing"}],
            **ALICE,
        )
        assert duplicate.duplicate_hints == []

        dry = run("reindex_blind_indexes", "--dry-run")
        assert "Checked 2 victim(s); would change the indexes of 1." in dry
        assert indexes_of(victim) == before

        assert "changed the indexes of 1." in run("reindex_blind_indexes", "--batch-size", "1")
        assert "Both keys match the data." in run("check_keys")
        assert indexes_of(victim) != before
        assert indexes_of(victim) == indexes_of(duplicate.victim)
    message = str(caught.value)
    assert message.startswith("BLIND_INDEX_KEY does not match 3 of 3 blind indexes sampled")
    assert "reindex_blind_indexes" in message
    assert not Victim.history.filter(id=victim.pk, history_type="~").exists()


def test_reindex_leaves_a_victim_no_key_opens_and_says_so(cast, victim):
    before = indexes_of(victim)
    both_wrong = override_settings(
        FIELD_ENCRYPTION_KEYS=[OTHER_KEY], BLIND_INDEX_KEY=OTHER_INDEX_KEY
    )
    with both_wrong, pytest.raises(CommandError) as caught:
        run("reindex_blind_indexes")
    assert "1 victim(s) hold data no key" in str(caught.value)
    assert indexes_of(victim) == before


# --- the doors, when a value cannot be decrypted -------------------------------------------------


def test_the_reveal_page_says_the_data_cannot_be_read_instead_of_a_500(cast, login, victim):
    client = login(cast.uk)
    with override_settings(FIELD_ENCRYPTION_KEYS=[OTHER_KEY]):
        page = client.post(f"/victims/{victim.code}/reveal/", REVEAL)
        fragment = client.post(f"/victims/{victim.code}/reveal/", REVEAL, HTTP_HX_REQUEST="true")
    assert page.status_code == 200
    text = page.content.decode()
    assert "personal data cannot be read now" in text
    assert victim.code in text  # the rest of the victim page is there
    assert ALICE["full_name"] not in text
    assert fragment.status_code == 200
    assert "cannot be read now" in fragment.content.decode()
    assert not PersonalDataAccess.objects.exists()  # nothing shown, nothing recorded


def test_other_doors_answer_a_clear_503_not_a_500(cast, login, victim):
    from rest_framework.test import APIClient

    from liaison_offices.services import api_token_issue

    page_client = login(cast.uk)
    token, _ = api_token_issue(acting_user=None, user=cast.uk)
    with override_settings(FIELD_ENCRYPTION_KEYS=[OTHER_KEY]):
        edit = page_client.get(f"/victims/{victim.code}/edit/")
        api = APIClient().get(
            f"/api/v1/victims/{victim.code}/", HTTP_AUTHORIZATION=f"Token {token}"
        )
    assert edit.status_code == 503
    assert "personal data cannot be read now" in edit.content.decode()
    assert api.status_code == 503
    assert api["Content-Type"] == "application/problem+json"
    assert api.json()["type"].endswith("/personal-data-unreadable")
    assert not PersonalDataAccess.objects.exists()


def test_migrate_refuses_to_start_the_site_on_a_key_that_opens_nothing(cast, victim):
    """docker-compose's one-shot `migrate` runs the database checks: the web site, which waits
    for it, does not start writing new personal data under a key the old data does not share."""
    from django.core.management.base import SystemCheckError

    wrong = override_settings(FIELD_ENCRYPTION_KEYS=[OTHER_KEY])
    with wrong, pytest.raises(SystemCheckError) as caught:
        call_command("migrate", skip_checks=False, verbosity=0)
    assert "victims.E001" in str(caught.value)
    call_command("migrate", skip_checks=False, verbosity=0)  # the right key: it goes on
