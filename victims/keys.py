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

Apps above this one that keep values under the same two keys (the person index of `people`)
register an `IndexHolder`: `check_keys` samples their rows too, and `reindex_blind_indexes`
rebuilds their indexes after the victims'.
"""

from __future__ import annotations

from collections.abc import Callable
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
class HolderReport:
    """What `check_keys` found in another app's rows (`IndexHolder.check`); ids, never data."""

    label: str  # "identifiers of people of interest"
    rows_sampled: int = 0
    values_checked: int = 0
    values_unreadable: int = 0
    indexes_checked: int = 0
    indexes_wrong: int = 0
    unreadable_ids: list[str] = field(default_factory=list)
    wrong_index_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class IndexHolder:
    """Another app's records encrypted under FIELD_ENCRYPTION_KEYS with blind indexes under
    BLIND_INDEX_KEY: `check(size)` samples them, `rebuild(batch_size=, dry_run=)` recomputes
    their indexes and returns (checked, changed, unreadable)."""

    label: str
    check: Callable[[int], HolderReport]
    rebuild: Callable[..., tuple[int, int, int]]


INDEX_HOLDERS: dict[str, IndexHolder] = {}


def register_index_holder(holder: IndexHolder) -> None:
    INDEX_HOLDERS[holder.label] = holder


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
    others: list[HolderReport] = field(default_factory=list)

    @property
    def rows_sampled(self) -> int:
        return self.victims_sampled + sum(other.rows_sampled for other in self.others)

    @property
    def encryption_key_wrong(self) -> bool:
        """Nothing sampled opens: the key is not the data's at all."""
        checked = self.values_checked + sum(o.values_checked for o in self.others)
        unreadable = self.values_unreadable + sum(o.values_unreadable for o in self.others)
        return checked > 0 and unreadable == checked

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
        for other in self.others:
            if other.values_unreadable:
                found.append(
                    f"FIELD_ENCRYPTION_KEY does not open {other.values_unreadable} of "
                    f"{other.values_checked} {other.label} sampled ({_codes(other.unreadable_ids)})"
                    ": restore the key they were encrypted with."
                )
            if other.indexes_wrong:
                found.append(
                    f"BLIND_INDEX_KEY does not match {other.indexes_wrong} of "
                    f"{other.indexes_checked} blind indexes of {other.label} sampled "
                    f"({_codes(other.wrong_index_ids)}): they match nothing. Restore the key "
                    "they were computed with, or run `manage.py reindex_blind_indexes`."
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
    report.others = [holder.check(size) for holder in INDEX_HOLDERS.values()]
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
