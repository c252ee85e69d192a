"""The data migration to statutes: existing provisions and links kept, each case's free-text
host-country law read into provisions, the text itself unchanged (docs/investigation.md)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cases.models import Case, LegalProvision

BEFORE = [("cases", "0008_flags_exports")]


def _executor() -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_existing_cases_keep_their_provisions_and_text_and_gain_the_cited_ones(cast):
    executor = _executor()
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    OldCase = old.get_model("cases", "Case")
    OldProvision = old.get_model("cases", "LegalProvision")
    ptpa3 = OldProvision.objects.get(act="PTPA_2018", section="3")
    texts = {
        "uk": "Modern Slavery Act 2015, ss.1-2",
        "gr": "Greek Criminal Code, arts. 323A and 351",
        "none": "",
    }
    ids = {}
    for n, (key, law) in enumerate(texts.items(), start=1):
        case = OldCase.objects.create(
            reference=f"GBR-TIP-2020-{n:04d}",
            kind="TIP",
            lead_office_id=cast.offices["GBR"].pk,
            title=f"Old case {key}",
            host_country_law=law,
        )
        case.legal_provisions.add(ptpa3)
        ids[key] = case.pk
    try:
        _executor().migrate(_executor().loader.graph.leaf_nodes())
        cited = {
            key: sorted(
                p.citation for p in Case.objects.get(pk=pk).legal_provisions.select_related("act")
            )
            for key, pk in ids.items()
        }
        assert cited == {
            "uk": ["Modern Slavery Act 2015 s.1", "Modern Slavery Act 2015 s.2", "PTPA 2018 s.3"],
            "gr": ["Greek Penal Code art. 323A", "PTPA 2018 s.3"],
            "none": ["PTPA 2018 s.3"],
        }
        assert {Case.objects.get(pk=pk).host_country_law for pk in ids.values()} == set(
            texts.values()
        )  # the text is kept as it was
        assert LegalProvision.objects.get(pk=ptpa3.pk).act_id == "PTPA_2018"  # same row, same id
    finally:
        executor = _executor()
        executor.migrate(executor.loader.graph.leaf_nodes())
