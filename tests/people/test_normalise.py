"""Normalisation and the spelling key (people/normalise.py): what meets what."""

from __future__ import annotations

import pytest

from people.indexing import identifier_index
from people.normalise import InvalidIdentifier, match_key, name_key, phone_e164


@pytest.mark.parametrize("written", ["0300 1234567", "+92 300 1234567", "923001234567",
                                     "0092-300-1234567", "(0300) 123 4567"])  # fmt: skip
def test_a_pakistani_mobile_written_every_way_is_one_number(written):
    assert phone_e164(written) == "+923001234567"


def test_a_foreign_number_keeps_its_country_and_differs_from_a_pakistani_one():
    assert phone_e164("+98 912 345 6789") == "+989123456789"
    assert phone_e164("+44 7700 900123") != phone_e164("0300 1234567")


@pytest.mark.parametrize("written", ["", "call me", "12"])
def test_what_is_not_a_phone_number_is_refused(written):
    with pytest.raises(InvalidIdentifier):
        phone_e164(written)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Muhammad", "محمد"),
        ("Mohammad", "محمد"),
        ("Mohammed", "Muhammad"),
        ("مُحَمَّد", "Muhammad"),  # with its vowel marks and shadda
        ("Ahmed", "احمد"),
        ("Khan", "خان"),
        ("Fatima", "فاطمہ"),
        ("Ghulam", "غلام"),
        ("Waqas", "وقاص"),
        ("Yousaf", "یوسف"),
        ("Ramzan", "رمضان"),
        ("Muhammad Ali Khan", "خان محمد علی"),  # word order aside
        ("MUHAMMAD  ALÍ", "muhammad ali"),  # case, spaces and accents
    ],
)
def test_spellings_of_one_name_share_the_key(one, other):
    assert name_key(one) == name_key(other) != ""
    assert identifier_index("name", one) == identifier_index("name", other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Muhammad", "Ahmed"),
        ("Ali", "Alam"),
        ("Khan", "Kan"),
        ("Muhammad Ali", "Muhammad Asif"),
        ("Bilal", "Iqbal"),
        ("محمد", "احمد"),
    ],
)
def test_different_names_do_not(one, other):
    assert name_key(one) != name_key(other)


def test_the_documented_collision_is_a_possible_match_only():
    # A consonant skeleton cannot tell these apart (docs/people.md says so).
    assert name_key("Muhammad") == name_key("Mahmood")


def test_documents_and_references_ignore_spaces_dashes_and_case():
    assert match_key("cnic", "35202-1234567-1") == match_key("cnic", "3520212345671")
    assert match_key("passport", "ab 123 4567") == match_key("passport", "AB1234567")
    assert match_key("bank", "PK36 SCBL 0000") == match_key("bank", "pk36scbl0000")
    assert match_key("social", "@Ali.Recruits") == match_key("social", "ali.recruits")
    with pytest.raises(InvalidIdentifier):
        match_key("cnic", "12345")


def test_the_kinds_are_separate_domains():
    assert identifier_index("passport", "AB1234567") != identifier_index("bank", "AB1234567")
    assert identifier_index("phone", "0300 1234567") == identifier_index("phone", "923001234567")
