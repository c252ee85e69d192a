"""The CTDC-shaped anonymised export: k is recomputed from the file itself."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.constants import AgeBand, Exploitation, RouteStage, Sex
from cases.models import RouteLeg
from liaison_offices.models import Country
from tests.victims.conftest import make_case
from victims import services
from victims.constants import ConsentPurpose
from victims.ctdc import FIELDS, anonymise

URL = reverse("ctdc_export")
STATS = {"purpose": ConsentPurpose.STATISTICS}


def read(content: str):
    lines = content.splitlines()
    notes = [line for line in lines if line.startswith("#")]
    rows = list(csv.reader(io.StringIO("\n".join(x for x in lines if not x.startswith("#")))))
    return notes, rows[0], [tuple(r) for r in rows[1:]]


def k_of(rows) -> int:
    counts = Counter(rows)
    return min(counts.values()) if counts else 0


@pytest.mark.django_db
def test_the_export_prints_the_k_the_file_itself_has(cast, login, settings):
    settings.STATS_MIN_CELL = 3
    case = make_case(cast.offices["GBR"])
    RouteLeg.objects.create(
        case=case, stage=RouteStage.EXPLOITATION, country=Country.objects.get(iso3="GBR")
    )
    people = [
        (Sex.FEMALE, 15, [Exploitation.SEXUAL_PROSTITUTION]),
        (Sex.FEMALE, 16, [Exploitation.SEXUAL_EXPLOITATION]),
        (Sex.FEMALE, 22, [Exploitation.DOMESTIC_SERVITUDE]),
        *[(Sex.MALE, 30 + i, [Exploitation.FORCED_LABOUR]) for i in range(6)],
        (Sex.MALE, 70, [Exploitation.FORCED_BEGGING]),
    ]
    for sex, age, forms in people:
        services.victim_register(
            acting_user=cast.uk,
            case=case,
            sex=sex,
            age_at_identification=age,
            nationality="PAK",
            forms_of_exploitation=forms,
            consents=[STATS],
        )
    services.victim_register(acting_user=cast.uk, case=case, sex=Sex.MALE)  # no consent
    response = login(cast.hq).get(URL)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    notes, header, rows = read(response.content.decode())
    assert header == FIELDS
    printed = int(re.search(r"k = (\d+)", notes[0]).group(1))
    assert printed == k_of(rows) >= 3
    published, withheld = map(int, re.search(r"(\d+) published, (\d+) withheld", notes[1]).groups())
    assert published == len(rows) and published + withheld == len(people)
    assert all(row[3] in ("PAK", "Southern Asia", "*") for row in rows)


@pytest.mark.django_db
def test_only_hq_downloads_it(cast, login):
    assert login(cast.uk).get(URL).status_code == 403
    assert login(cast.provider).get(URL).status_code == 403
    assert "ctdc-export" in login(cast.hq).get("/statistics/").content.decode()
    assert "ctdc-export" not in login(cast.uk).get("/statistics/").content.decode()


record = st.fixed_dictionaries(
    {
        "year": st.sampled_from([2019, 2023, 2024, 2025, 2026, None]),
        "sex": st.sampled_from([s.value for s in Sex]),
        "age_band": st.sampled_from(AgeBand.values),
        "citizenship": st.sampled_from(["PAK", "AFG", "IND", "GBR", "NGA", "XYZ", None]),
        "country_of_exploitation": st.sampled_from(["GBR", "ITA", "ARE", "OMN", None]),
        "forms_of_exploitation": st.lists(
            st.sampled_from(Exploitation.values), max_size=2, unique=True
        ),
        "means_of_control": st.lists(st.sampled_from(["threats", "debt_bondage"]), max_size=2),
        "recruiter_relation": st.sampled_from(["", "family", "agent", "stranger", "friend"]),
    }
)


@given(st.lists(record, max_size=120), st.sampled_from([2, 5, 11]))
@settings(max_examples=150, deadline=None)
def test_every_published_combination_occurs_at_least_k_times(records, k):
    export = anonymise(records, k)
    assert len(export.rows) + export.withheld == len(records)
    counts = Counter(export.rows)
    assert all(n >= k for n in counts.values())
    assert export.k_reached == (min(counts.values()) if counts else 0)
    # Few rows are withheld: fewer than k, or at most 5 %, unless every field is withheld.
    if export.withheld >= k and export.withheld > 0.05 * len(records):
        assert all(value == "*" for row in export.rows for value in row)
