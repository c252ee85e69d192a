"""The person index under the two keys: its part of `check_keys` and `reindex_blind_indexes`.

Identifiers are encrypted under FIELD_ENCRYPTION_KEYS and indexed under BLIND_INDEX_KEY, as
victims' personal data (docs/keys.md). `victims.keys` cannot import this app (arrows point
down), so this module registers an `IndexHolder` there when the app is ready: a sample of the
oldest and newest identifiers is decrypted and re-indexed by `check_keys` (and Django's
database check), and `reindex_blind_indexes` rebuilds every identifier's index.
"""

from __future__ import annotations

from victims.crypto import PersonalDataUnreadable
from victims.keys import HolderReport, IndexHolder, register_index_holder

LABEL = "identifier(s) of people of interest"


def check(size: int) -> HolderReport:
    from people.models import Identifier
    from people.services import expected_index

    report = HolderReport(label=LABEL)
    rows = Identifier.objects.order_by()  # every identifier: a key check reads no case
    oldest = list(rows.order_by("pk")[: (size + 1) // 2])
    newest = list(rows.exclude(pk__in=[i.pk for i in oldest]).order_by("-pk")[: size // 2])
    for identifier in oldest + newest:
        report.rows_sampled += 1
        report.values_checked += 1
        try:
            expected = expected_index(identifier)
        except PersonalDataUnreadable:
            report.values_unreadable += 1
            report.unreadable_ids.append(f"identifier {identifier.pk}")
            continue
        report.indexes_checked += 1
        if identifier.match_index != expected:
            report.indexes_wrong += 1
            report.wrong_index_ids.append(f"identifier {identifier.pk}")
    return report


def rebuild(*, batch_size: int = 500, dry_run: bool = False) -> tuple[int, int, int]:
    from people.services import identifiers_reindex

    report = identifiers_reindex(batch_size=batch_size, dry_run=dry_run)
    return report.checked, report.changed, report.unreadable


def register() -> None:
    register_index_holder(IndexHolder(label=LABEL, check=check, rebuild=rebuild))
