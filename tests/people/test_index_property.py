"""Property of the person index: for random worlds of cases, shares and identifiers, a user
learns a match's case content only for the cases visible to them, and of the others only the
lead office and the kind of identifier (docs/people.md).

The worlds are those of tests/cases/test_visibility_property.py (offices, partners, users with
memberships and grants, cases, live, expired and revoked shares), with identifiers drawn from a
small pool on the cases so that matches are frequent. Each example is rolled back.
"""

from __future__ import annotations

from dataclasses import fields

import pytest
from django.db import transaction
from django.template.loader import render_to_string
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.constants import AccessLevel
from cases.models import Case
from people.constants import PersonRole
from people.indexing import identifier_index
from people.matching import HiddenMatch, find_matches
from people.models import Identifier, PersonOfInterest
from people.presentation import case_people
from tests.cases.test_visibility_property import build, reference_policy, worlds

POOL = [
    ("phone", "0300 1234567"),
    ("phone", "+92 300 1234567"),  # the same number
    ("phone", "+98 912 345 6789"),
    ("name", "Muhammad"),
    ("name", "محمد"),  # the same name
    ("passport", "AB1234567"),
]


@st.composite
def worlds_with_identifiers(draw):
    world = draw(worlds())
    n_cases = len(world[1])
    identifiers = draw(
        st.lists(
            st.tuples(st.integers(0, n_cases - 1), st.integers(0, len(POOL) - 1)),
            min_size=1,
            max_size=10,
        )
    )
    return world, identifiers


def secret_of(i: int) -> tuple[str, str]:
    return f"REF-{i:03d}-Q", f"Title-{i:03d}-secret"


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=worlds_with_identifiers())
def test_matches_tell_content_only_of_visible_cases(drawn):
    (users, leads, inactive_partners, shares), identifiers = drawn
    with transaction.atomic():
        people, cases = build(users, leads, inactive_partners, shares)
        for i, case in enumerate(cases):
            reference, title = secret_of(i)
            Case.objects.filter(pk=case.pk).update(reference=reference, title=title)
        persons = PersonOfInterest.objects.bulk_create(
            PersonOfInterest(case=case, role=PersonRole.WITNESS, label=f"P{i}")
            for i, case in enumerate(cases)
        )
        held: dict[int, set[str]] = {}  # case index -> indexes held
        for case_i, pool_i in set(identifiers):
            kind, value = POOL[pool_i]
            index = identifier_index(kind, value)
            if index in held.setdefault(case_i, set()):
                continue
            held[case_i].add(index)
            Identifier.objects.create(
                person=persons[case_i],
                case=cases[case_i],
                kind=kind,
                value=value,
                match_index=index,
            )
        kind_of = {identifier_index(k, v): k for k, v in POOL}
        for spec, user in zip(users, people, strict=True):
            seen, _ = reference_policy(spec, leads, inactive_partners, shares)
            desks = (spec.offices - spec.ended_offices) | spec.view_grants
            for source in range(len(cases)):
                for index in held.get(source, ()):
                    holders = {i for i, indexes in held.items() if index in indexes} - {source}
                    matches = find_matches(user, [index], exclude_case_id=cases[source].pk)
                    visible = {m.case_id for m in matches.visible}
                    assert visible == {cases[i].pk for i in holders & seen}, spec
                    expected_hidden = set()
                    if spec.hq or desks:
                        expected_hidden = {
                            (cases[i].lead_office_id, kind_of[index]) for i in holders - seen
                        }
                    assert {(m.office_id, m.kind) for m in matches.hidden} == expected_hidden
                    # A hint holds an office and a kind, nothing of the case.
                    assert {f.name for f in fields(HiddenMatch)} == {
                        "office_id", "office_code", "office_name", "kind", "match_index"
                    }  # fmt: skip
            # What the case page's section shows, rendered: the references and titles of the
            # visible matching cases, never those of the others.
            for source in range(len(cases)):
                level = (
                    AccessLevel.HQ
                    if spec.hq
                    else (AccessLevel.LEAD_OFFICE if leads[source] in desks else 0)
                )
                if not level:
                    continue
                section = case_people(user, cases[source], level)
                html = render_to_string("people/_people.html", {"people_section": section})
                for i in range(len(cases)):
                    if i == source:
                        continue
                    reference, title = secret_of(i)
                    if i not in seen:
                        assert reference not in html and title not in html, spec
                    elif held.get(i, set()) & held.get(source, set()):
                        assert reference in html, spec
        transaction.set_rollback(True)
