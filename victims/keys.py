"""Do the configured keys match the data? Asked of a sample of victims, never of everyone.

Two keys protect victims' personal data, and a wrong one fails quietly:

- FIELD_ENCRYPTION_KEYS: a value no listed key opens cannot be shown (the reveal page says so);
  with a wrong key altogether, every new value would be written under a key the old data does
  not share.
- BLIND_INDEX_KEY: indexes computed under another key match nothing, so duplicate hints simply
  stop appearing.

`check_keys` decrypts a sample (the oldest and the newest victims, since a dropped old key
shows on the oldest) and recomputes their blind indexes. It is run by `manage.py check_keys`
and by Django's database checks (`manage.py check --database default`, and every
`manage.py migrate`: docker-compose's one-shot migrate refuses to let the site start on a key
that opens nothing). `victims.services.blind_indexes_rebuild` (`manage.py
reindex_blind_indexes`) recomputes every index after an intended change of BLIND_INDEX_KEY.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import DatabaseError, connection
from django.db.models import Q

from victims.crypto import (
    EncryptedTextField,
    PersonalDataUnreadable,
    Sealed,
    document_index,
    is_under_newest_key,
    name_dob_index,
)
from victims.models import Victim

SAMPLE = 50
ENCRYPTED = [f.attname for f in Victim._meta.fields if isinstance(f, EncryptedTextField)]


@dataclass
class KeyReport:
    victims_sampled: int = 0
    values_checked: int = 0
    values_unreadable: int = 0
    values_under_older_key: int = 0
    indexes_checked: int = 0
    indexes_wrong: int = 0
    unreadable_codes: list[str] = field(default_factory=list)
    wrong_index_codes: list[str] = field(default_factory=list)

    @property
    def encryption_key_wrong(self) -> bool:
        """Nothing sampled opens: the key is not the data's at all."""
        return self.values_checked > 0 and self.values_unreadable == self.values_checked

    def problems(self) -> list[str]:
        """One sentence per problem found, saying what is wrong and what to do."""
        found = []
        if self.values_unreadable:
            found.append(
                f"FIELD_ENCRYPTION_KEY does not open {self.values_unreadable} of "
                f"{self.values_checked} personal-data values sampled (victims "
                f"{_codes(self.unreadable_codes)}): "
                + (
                    "no listed key is the one the data was encrypted with. Restore it."
                    if self.encryption_key_wrong
                    else "the key they were encrypted with is missing from the list. Add it "
                    "after the newest, then run `manage.py reseal_personal_data`."
                )
            )
        if self.indexes_wrong:
            found.append(
                f"BLIND_INDEX_KEY does not match {self.indexes_wrong} of {self.indexes_checked} "
                f"blind indexes sampled (victims {_codes(self.wrong_index_codes)}): duplicate "
                "hints stay silent for them. Restore the key they were computed with, or run "
                "`manage.py reindex_blind_indexes` to recompute every index under this one."
            )
        return found


def _codes(codes: list[str]) -> str:
    return ", ".join(codes[:5]) + (" …" if len(codes) > 5 else "")


def expected_indexes(victim: Victim) -> dict[str, str]:
    """The blind indexes of `victim` under the current BLIND_INDEX_KEY, from its decrypted data
    (PersonalDataUnreadable when a value no key opens is needed)."""

    def plain(name):
        value = getattr(victim, name)
        return value.reveal() if isinstance(value, Sealed) else value

    return {
        "passport_index": document_index("passport", plain("passport_number")),
        "cnic_index": document_index("cnic", plain("cnic_number")),
        "name_dob_index": name_dob_index(plain("full_name"), plain("date_of_birth")),
    }


def sample(size: int = SAMPLE) -> list[Victim]:
    """The oldest and the newest victims holding any personal data, up to `size` in all."""
    holding = Victim.objects.filter(
        Q.create([(f"{name}__isnull", False) for name in ENCRYPTED], connector=Q.OR)
    ).order_by()
    oldest = list(holding.order_by("pk")[: (size + 1) // 2])
    newest = list(holding.exclude(pk__in=[v.pk for v in oldest]).order_by("-pk")[: size // 2])
    return oldest + newest


def check_keys(size: int = SAMPLE) -> KeyReport:
    report = KeyReport()
    for victim in sample(size):
        report.victims_sampled += 1
        readable = True
        for name in ENCRYPTED:
            value = getattr(victim, name)
            if value is None:
                continue
            report.values_checked += 1
            try:
                value.reveal()
            except PersonalDataUnreadable:
                report.values_unreadable += 1
                readable = False
                continue
            if not is_under_newest_key(value.token):
                report.values_under_older_key += 1
        if not readable:
            report.unreadable_codes.append(victim.code)
            continue
        wrong = False
        for name, expected in expected_indexes(victim).items():
            stored = getattr(victim, name)
            if not stored and not expected:
                continue
            report.indexes_checked += 1
            if stored != expected:
                report.indexes_wrong += 1
                wrong = True
        if wrong:
            report.wrong_index_codes.append(victim.code)
    return report


def keys_check(app_configs=None, databases=None, **kwargs):
    """Django system check (tag `database`): the keys against a sample of the data."""
    from django.core.checks import Error, Warning

    if not databases or "default" not in databases:
        return []
    try:
        if Victim._meta.db_table not in connection.introspection.table_names():
            return []  # before the first migrate: no data, nothing to match
        report = check_keys()
    except DatabaseError:
        return []  # an unreachable database is /readyz's and migrate's to report
    hint = "`manage.py check_keys` repeats this check; docs/keys.md says what to do."
    messages = []
    for problem in report.problems():
        if problem.startswith("BLIND_INDEX_KEY"):
            messages.append(Warning(problem, hint=hint, id="victims.W002"))
        elif report.encryption_key_wrong:
            messages.append(Error(problem, hint=hint, id="victims.E001"))
        else:
            messages.append(Warning(problem, hint=hint, id="victims.W001"))
    return messages
