"""The person index under the two keys: check_keys samples identifiers, and
reindex_blind_indexes rebuilds their indexes (people/keys.py, docs/keys.md)."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from people.indexing import identifier_index
from people.models import Identifier
from victims.keys import check_keys

OTHER_INDEX_KEY = "another-blind-index-key-for-the-test"
OTHER_KEY = Fernet.generate_key().decode()


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_check_keys_covers_the_identifiers_and_reindex_repairs_them(cast, make_case, person_with):
    case = make_case("GBR")
    person_with(case, ("phone", "0300 1234567"), ("name", "محمد"))
    report = check_keys()
    [people] = report.others
    assert (people.rows_sampled, people.indexes_checked, people.indexes_wrong) == (2, 2, 0)
    out = run("check_keys")
    assert "2 blind index(es) of 2 identifier(s) of people of interest" in out
    assert "Both keys match the data." in out

    with override_settings(BLIND_INDEX_KEY=OTHER_INDEX_KEY):
        with pytest.raises(CommandError) as caught:
            run("check_keys")
        assert "BLIND_INDEX_KEY does not match 2 of 2 blind indexes of identifier(s)" in str(
            caught.value
        )
        dry = run("reindex_blind_indexes", "--dry-run")
        assert (
            "Checked 2 identifier(s) of people of interest; would change the indexes of 2." in dry
        )
        run("reindex_blind_indexes", "--batch-size", "1")
        assert "Both keys match the data." in run("check_keys")
        phone = identifier_index("phone", "+923001234567")
        assert Identifier.objects.filter(match_index=phone).exists()


@pytest.mark.django_db
def test_an_identifier_no_key_opens_is_reported_and_kept(cast, make_case, person_with):
    case = make_case("GBR")
    person = person_with(case, ("passport", "AB1234567"))
    before = person.identifiers.get().match_index
    with override_settings(FIELD_ENCRYPTION_KEYS=[OTHER_KEY]):
        with pytest.raises(CommandError) as caught:
            run("check_keys")
        assert "FIELD_ENCRYPTION_KEY does not open 1 of 1 identifier(s)" in str(caught.value)
        with pytest.raises(CommandError) as caught:
            run("reindex_blind_indexes")
        assert "1 identifier(s) of people of interest hold data no key" in str(caught.value)
    assert person.identifiers.get().match_index == before
