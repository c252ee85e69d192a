"""Lists newest first find their page by walking the user's grants (`newest_first_page`).

The walk must give exactly the rows, in exactly the order, of the plain
`ORDER BY updated_at DESC, id DESC LIMIT … OFFSET …` over the same visible cases — for every
user, filter and page — and each grant's copy of its case's `updated_at` must follow the case.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import services
from cases.constants import CaseStatus, HandlingCode, ShareLevel
from cases.grants import grant_drift
from cases.models import Case, CaseGrant, CaseShare
from cases.querysets import NEWEST_FIRST, newest_first_page
from liaison_offices import services as office_services
from liaison_offices.constants import VIEW_CASES
from tests.cases.conftest import fresh

pytestmark = pytest.mark.django_db


def plain_page(user, cases, offset, limit):
    return list(cases.order_by(*NEWEST_FIRST)[offset : offset + limit])


@pytest.fixture
def world(cast, make_case):
    """Cases of three offices with updates in an interleaved order, shares crossing offices,
    one to a partner, one expired, and a case Italy reaches twice (lead and share to a second
    desk HQ granted them)."""
    cases = []
    for i in range(9):
        cases.append(make_case(["GBR", "ITA", "ESP"][i % 3], title=f"Case {i}"))
    for case in cases[::2]:  # UK and Spain share some of theirs with Italy
        lead = case.lead_office.code
        if lead != "ITA":
            services.case_share(
                acting_user=cast.uk if lead == "GBR" else cast.spain,
                case=case,
                office=cast.offices["ITA"],
                level=ShareLevel.FULL,
                handling_code=HandlingCode.H1,
            )
    services.case_share(
        acting_user=cast.uk,
        case=cases[3],
        partner=cast.partners["BHC"],
        level=ShareLevel.SUMMARY,
        handling_code=HandlingCode.H0,
    )
    services.case_share(
        acting_user=cast.uk,
        case=cases[6],
        office=cast.offices["ESP"],
        level=ShareLevel.FULL,
        handling_code=HandlingCode.H2,
        expires_at=timezone.now() + dt.timedelta(seconds=1),
    )
    # Italy's officer also holds the Spain desk: Spain's cases shared to Italy reach them twice.
    office_services.office_permission_grant(
        acting_user=cast.hq,
        office=cast.offices["ESP"],
        permission=VIEW_CASES,
        user=cast.italy,
        reason="Leave cover",
    )
    # Edits reorder the cases: the oldest becomes the newest, and so on.
    for case in (cases[0], cases[4], cases[2]):
        case.refresh_from_db()
        services.case_update(
            acting_user=cast.users[
                {"GBR": "uk", "ITA": "italy", "ESP": "spain"}[case.lead_office.code]
            ],
            case=case,
            expected_version=case.version,
            summary=f"Updated {case.title}",
        )
    # The share's expiry passes (as time would have it: the share and its grant alike).
    passed = timezone.now() - dt.timedelta(seconds=1)
    CaseShare.objects.filter(case=cases[6], office=cast.offices["ESP"]).update(expires_at=passed)
    CaseGrant.objects.filter(case=cases[6], office=cast.offices["ESP"]).update(expires_at=passed)
    return cases


@pytest.mark.parametrize("who", ["uk", "italy", "spain", "focal_point", "provider", "hq"])
@pytest.mark.parametrize(("offset", "limit"), [(0, 4), (3, 4), (0, 50), (8, 3)])
def test_the_walk_gives_the_plain_querys_page(cast, world, who, offset, limit):
    user = fresh(cast.users[who])
    for cases in (
        Case.objects.visible_to(user),
        Case.objects.visible_to(user).filter(status=CaseStatus.REPORTED),
        Case.objects.visible_to(user).filter(title__in=["Case 0", "Case 5", "Case 6"]),
        Case.objects.visible_to(user, min_level=ShareLevel.FULL),
    ):
        ordered = cases.order_by(*NEWEST_FIRST)
        walked = [case.pk for case in newest_first_page(ordered, user, offset, limit)]
        assert walked == [case.pk for case in plain_page(user, cases, offset, limit)]
    # The list with no filter at all: the walks need no check against it.
    everything = Case.objects.visible_to(user).order_by(*NEWEST_FIRST)
    unchecked = newest_first_page(everything, user, offset, limit, filtered=False)
    assert [case.pk for case in unchecked] == [c.pk for c in everything[offset : offset + limit]]


def test_a_case_reached_through_two_desks_is_listed_once(cast, world):
    italy = fresh(cast.italy)
    reached_twice = [
        case
        for case in world
        if CaseGrant.objects.filter(
            case=case, office__in=[cast.offices["ITA"], cast.offices["ESP"]]
        ).count()
        == 2
    ]
    assert reached_twice  # the world has such a case
    page = newest_first_page(Case.objects.visible_to(italy).order_by(*NEWEST_FIRST), italy, 0, 50)
    ids = [case.pk for case in page]
    assert len(ids) == len(set(ids))
    assert {case.pk for case in reached_twice} <= set(ids)


def test_the_page_is_one_statement_and_values_rows_work(cast, world):
    italy = fresh(cast.italy)
    Case.objects.visible_to(italy).exists()  # the scope is remembered, as in a request
    rows = Case.objects.visible_to(italy).order_by(*NEWEST_FIRST).values("reference", "updated_at")
    with CaptureQueriesContext(connection) as queries:
        page = newest_first_page(rows, italy, 0, 5)
    assert len(queries) == 1
    assert [row["reference"] for row in page] == [row["reference"] for row in rows[:5]]
    if connection.vendor == "postgresql":
        assert "UNION ALL" in queries[0]["sql"]  # one walk per desk, merged


def test_another_order_is_not_walked(cast, world):
    italy = fresh(cast.italy)
    by_reference = Case.objects.visible_to(italy).order_by("reference")
    assert [c.pk for c in newest_first_page(by_reference, italy, 1, 3)] == [
        c.pk for c in by_reference[1:4]
    ]


def test_every_change_to_a_case_keeps_its_grants_copy_of_updated_at(cast, world):
    case = world[1]
    case.refresh_from_db()
    services.case_update(
        acting_user=cast.italy, case=case, expected_version=case.version, title="Renamed"
    )
    case.refresh_from_db()
    before = case.updated_at
    services.case_transition(
        acting_user=cast.italy,
        case=case,
        expected_version=case.version,
        to_status=CaseStatus.UNDER_INVESTIGATION,
    )
    case.refresh_from_db()
    assert case.updated_at > before
    assert set(CaseGrant.objects.filter(case=case).values_list("case_updated_at", flat=True)) == {
        case.updated_at
    }
    assert grant_drift() == []
    # A copy left behind is drift, which check_grants reports.
    Case.objects.filter(pk=case.pk).update(updated_at=timezone.now())
    assert [kind for kind, _ in grant_drift()] == ["missing", "unexpected"]


def test_a_user_with_many_desks_takes_the_plain_order(cast, world, monkeypatch):
    from cases import querysets

    italy = fresh(cast.italy)  # two desks: Italy, and Spain's by HQ's grant
    monkeypatch.setattr(querysets, "WALK_MAX_RECIPIENTS", 1)
    cases = Case.objects.visible_to(italy).order_by(*NEWEST_FIRST)
    with CaptureQueriesContext(connection) as queries:
        page = newest_first_page(cases, italy, 0, 5)
    assert "UNION ALL" not in queries[-1]["sql"]
    assert [c.pk for c in page] == [c.pk for c in plain_page(italy, cases, 0, 5)]


@pytest.mark.parametrize("who", ["uk", "italy", "spain", "focal_point", "provider", "hq"])
def test_the_grant_count_is_the_visible_count(cast, world, who):
    from cases.querysets import count_visible_cases

    user = fresh(cast.users[who])
    visible = Case.objects.visible_to(user).count()
    assert visible or who == "provider"  # a service provider sees referrals, not cases
    assert count_visible_cases(user, 1000) == visible
    assert count_visible_cases(user, 2) == min(2, visible)


def test_the_list_counts_filtered_cases_as_the_filter_says(cast, world, login):
    client = login(cast.italy)
    everything = client.get("/cases/")
    only_closed = client.get("/cases/", {"status": "closed"})
    assert everything.context["page"].count == Case.objects.visible_to(fresh(cast.italy)).count()
    assert only_closed.context["page"].count == 0
