"""Small counts on the statistics page and in its CSVs: none below k but 0, none recoverable.

The check is independent of `cases.disclosure`: the tables are read back from the page and the
CSV downloads, their equations (rows and columns sum to the totals, panels to their age bands,
the two case tables share their totals) are written here from what the page shows, and a hidden
cell counts as recoverable when removing it from the hidden set lowers the rank of the system.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from fractions import Fraction

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases import disclosure
from cases import services as case_services
from cases.constants import AgeBand, CaseKind, Exploitation, Sex, age_band_for
from victims.constants import ConsentPurpose
from victims.models import Consent, Victim, VictimCaseLink

URL = "/statistics/"
K = 11
HIDDEN = disclosure.HIDDEN


def rank(rows: list[list[Fraction]]) -> int:
    rows = [list(r) for r in rows if any(r)]
    r = 0
    width = len(rows[0]) if rows else 0
    for col in range(width):
        pivot = next((i for i in range(r, len(rows)) if rows[i][col] != 0), None)
        if pivot is None:
            continue
        rows[r], rows[pivot] = rows[pivot], rows[r]
        for i in range(len(rows)):
            if i != r and rows[i][col] != 0:
                f = rows[i][col] / rows[r][col]
                rows[i] = [a - f * b for a, b in zip(rows[i], rows[r], strict=True)]
        r += 1
    return r


def recoverable(hidden: set, equations: list[list[tuple]]) -> set:
    """Hidden unknowns whose value the equations fix (rank drops without their column)."""
    order = sorted(hidden, key=repr)

    def matrix(columns):
        return [
            [Fraction(sum(c for key, c in eq if key == col)) for col in columns] for eq in equations
        ]

    full = rank(matrix(order)) if order else 0
    return {e for e in order if rank(matrix([c for c in order if c != e])) < full}


# --- the algorithm on random tables ---------------------------------------------------------


@given(
    st.integers(1, 5).flatmap(
        lambda n_rows: st.integers(1, 5).flatmap(
            lambda n_cols: st.lists(
                st.lists(
                    st.one_of(st.just(0), st.integers(1, 10), st.integers(11, 40)),
                    min_size=n_cols,
                    max_size=n_cols,
                ),
                min_size=n_rows,
                max_size=n_rows,
            )
        )
    )
)
@settings(max_examples=200, deadline=None)
def test_a_table_with_totals_hides_small_counts_and_what_would_give_them_away(matrix):
    values, equations = {}, []
    n_rows, n_cols = len(matrix), len(matrix[0])
    for i, row in enumerate(matrix):
        for j, v in enumerate(row):
            values[("c", i, j)] = v
        values[("r", i)] = sum(row)
        equations.append([*((("c", i, j), 1) for j in range(n_cols)), (("r", i), -1)])
    for j in range(n_cols):
        values[("k", j)] = sum(row[j] for row in matrix)
        equations.append([*((("c", i, j), 1) for i in range(n_rows)), (("k", j), -1)])
    values["g"] = sum(map(sum, matrix))
    equations.append([*((("r", i), 1) for i in range(n_rows)), ("g", -1)])
    equations.append([*((("k", j), 1) for j in range(n_cols)), ("g", -1)])

    hidden = disclosure.suppress(values, equations, K)

    for key, value in values.items():
        if key not in hidden:
            assert value == 0 or value >= K, (key, value)
    assert not recoverable(set(hidden), equations)


def test_zero_is_shown_and_a_table_of_large_counts_is_untouched():
    values = {"a": 0, "b": 12, "total": 12}
    assert disclosure.suppress(values, [[("a", 1), ("b", 1), ("total", -1)]], K) == frozenset()


def test_a_lone_small_cell_takes_its_smallest_neighbour_with_it():
    # Row: 3 + 20 + 40 = 63. Hiding 3 alone, 63 - 20 - 40 gives it back: 20 goes too.
    values = {"a": 3, "b": 20, "c": 40, "t": 63}
    hidden = disclosure.suppress(values, [[("a", 1), ("b", 1), ("c", 1), ("t", -1)]], K)
    assert hidden == {"a", "b"}


# --- the page and its downloads, on random victim populations ---------------------------------

FORMS = [
    Exploitation.FORCED_LABOUR,
    Exploitation.SEXUAL_PROSTITUTION,
    Exploitation.DOMESTIC_SERVITUDE,
    Exploitation.FORCED_BEGGING,
]
person = st.tuples(
    st.sampled_from([Sex.MALE, Sex.FEMALE, Sex.FEMALE, Sex.OTHER]),
    st.sampled_from([7, 15, 22, 30, 45, None]),
    st.lists(st.sampled_from(FORMS), min_size=1, max_size=2, unique=True),
    st.booleans(),  # a SOM case rather than TIP
)


def read_tables(html: str) -> dict[str, list[list[str]]]:
    """slug → rows of cell texts (header row excluded), from the rendered page."""
    tables = {}
    for slug, block in re.findall(r'id="table-([\w-]+)"(.*?)</table>', html, re.S):
        rows = []
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", block, re.S):
            if '<th scope="row">' not in row:
                continue
            label = re.search(r'<th scope="row">(.*?)</th>', row, re.S).group(1).strip()
            rows.append(
                [label, *(c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S))]
            )
        tables[slug] = rows
    return tables


def as_unknowns(tables: dict[str, list[list[str]]]):
    """Each published cell becomes a known value or a hidden unknown, plus the equations that
    hold between them whatever the data."""
    known, hidden, equations = {}, set(), []

    def cell(slug, i, j, text):
        key = (slug, i, j)
        if text == HIDDEN:
            hidden.add(key)
        else:
            known[key] = int(text)
        return key

    for slug, rows in tables.items():
        keys = [
            [cell(slug, i, j, text) for j, text in enumerate(row[1:])] for i, row in enumerate(rows)
        ]
        if rows and rows[-1][0] == "Total":  # a table with totals: last row and last column
            body, totals = keys[:-1], keys[-1]
            for row in body:
                equations.append([*((k, 1) for k in row[:-1]), (row[-1], -1)])
            for j in range(len(totals)):
                equations.append([*((row[j], 1) for row in body), (totals[j], -1)])
            equations.append([*((k, 1) for k in totals[:-1]), (totals[-1], -1)])
    # The two case tables count the same cases: the same totals.
    status, month = tables.get("cases-by-status-and-kind"), tables.get("cases-by-month")
    if status and month:
        for j in range(len(status[-1]) - 1):
            equations.append(
                [
                    (("cases-by-status-and-kind", len(status) - 1, j), 1),
                    (("cases-by-month", len(month) - 1, j), -1),
                ]
            )
    # A panel is the sum of its age bands.
    bands = [str(AgeBand(b).label) for b in AgeBand.values]
    for p, (sex, child) in enumerate(
        [("male", False), ("female", False), ("male", True), ("female", True)]
    ):
        slug = f"victims-{sex}-by-age-and-exploitation"
        if slug not in tables:
            continue
        rows = [
            i
            for i, b in enumerate(AgeBand.values)
            if b != AgeBand.UNKNOWN and (b in (AgeBand.A0_8, AgeBand.A9_17)) == child
        ]
        assert [tables[slug][i][0].replace(" (child)", "") for i in rows] == [
            bands[i] for i in rows
        ]
        for j in range(len(tables[slug][0]) - 1):
            equations.append(
                [
                    (("victims-by-group-and-exploitation", p, j), -1),
                    *(((slug, i, j), 1) for i in rows),
                ]
            )
    # Known cells move to the constant side: only the unknowns' coefficients matter.
    return known, hidden, [[(k, c) for k, c in eq if k in hidden] for eq in equations]


def csv_tables(client, html) -> dict[str, list[list[str]]]:
    tables = {}
    for slug in sorted(set(re.findall(r"csv=([\w-]+)", html))):
        rows = list(csv.reader(io.StringIO(client.get(URL, {"csv": slug}).content.decode())))
        tables[slug] = rows[1:]
    return tables


@pytest.mark.django_db
@given(st.lists(person, min_size=0, max_size=90))
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_published_count_is_small_or_recoverable(cast, client, people):
    Victim.objects.all().delete()
    from cases.models import Case

    Case.objects.all().delete()
    office = cast.offices["GBR"]
    cases = {
        kind: case_services.case_create(
            acting_user=cast.uk, lead_office=office, kind=kind, title=f"{kind} case"
        )
        for kind in (CaseKind.TIP, CaseKind.SOM)
    }
    today = timezone.localdate()
    victims = Victim.objects.bulk_create(
        Victim(
            code=f"V-GBR-{today.year}-{n:04d}",
            recorded_by_office=office,
            sex=sex,
            age_at_identification=age,
            age_band=age_band_for(age),
            is_child=age is not None and age < 18,
            forms_of_exploitation=list(forms),
            identified_on=today - dt.timedelta(days=n % 200),
        )
        for n, (sex, age, forms, _) in enumerate(people, start=1)
    )
    VictimCaseLink.objects.bulk_create(
        VictimCaseLink(victim=v, case=cases[CaseKind.SOM if som else CaseKind.TIP])
        for v, (_, _, _, som) in zip(victims, people, strict=True)
    )
    Consent.objects.bulk_create(
        Consent(victim=v, purpose=ConsentPurpose.STATISTICS)
        for v in victims[: len(victims) * 9 // 10]
    )
    # Cases of their own, enough that some counts are published.
    for n in range(len(people) // 3):
        case_services.case_create(
            acting_user=cast.uk, lead_office=office, kind=CaseKind.TIP, title=f"extra {n}"
        )

    client.force_login(cast.uk, backend="django.contrib.auth.backends.ModelBackend")
    html = client.get(URL).content.decode()
    assert "Small counts are not published." in html
    for tables in (read_tables(html), csv_tables(client, html)):
        assert tables
        known, hidden, equations = as_unknowns(tables)
        small = {key: v for key, v in known.items() if 0 < v < K}
        assert not small, small
        assert not recoverable(hidden, equations)
    # The sentences say no small number either.
    for sentence in re.findall(r"<p>(.*?)</p>", html, re.S):
        for number in re.findall(r"\b(\d+) (?:victim|case|referral)", sentence):
            assert int(number) == 0 or int(number) >= K, sentence


def test_one_girl_is_not_published(cast, login, settings):
    settings.STATS_MIN_CELL = K
    case = case_services.case_create(
        acting_user=cast.uk, lead_office=cast.offices["GBR"], kind=CaseKind.TIP, title="t"
    )
    from victims import services as victim_services

    victim_services.victim_register(
        acting_user=cast.uk,
        case=case,
        sex=Sex.FEMALE,
        age_at_identification=15,
        forms_of_exploitation=[Exploitation.SEXUAL_PROSTITUTION],
        consents=[{"purpose": ConsentPurpose.STATISTICS}],
    )
    client = login(cast.uk)
    html = client.get(URL).content.decode()
    girls = read_tables(html)["victims-by-group-and-exploitation"][3]
    assert girls[0] == "Girls (under 18)" and girls[2] == HIDDEN
    assert "Fewer than 11 victims identified in the period" in html
    assert "1 case" not in html
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(URL, {"csv": "victims-by-group-and-exploitation"}).content.decode()
            )
        )
    )
    assert rows[4][0] == "Girls (under 18)" and rows[4][2] == HIDDEN
    assert all(cell in ("0", HIDDEN) for row in rows[1:] for cell in row[1:])


test_one_girl_is_not_published = pytest.mark.django_db(test_one_girl_is_not_published)
