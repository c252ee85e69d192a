"""What listing visible cases costs: the same two queries for 1 or 40 desks, 0 or 500 shares."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from cases.constants import HandlingCode, ShareLevel
from cases.grants import sync_case_grants
from cases.models import Case, CaseShare
from liaison_offices import services as office_services
from liaison_offices.constants import VIEW_CASES
from liaison_offices.models import Country, LinkOffice
from tests.cases.conftest import fresh

pytestmark = pytest.mark.django_db


def extra_offices(count: int) -> list[LinkOffice]:
    """`count` more offices, created in bulk (their groups and permissions do not matter here)."""
    pakistan = Country.objects.get(iso3="PAK")
    groups = Group.objects.bulk_create([Group(name=f"office:X{i:02d}") for i in range(count)])
    return LinkOffice.objects.bulk_create(
        [
            LinkOffice(code=f"X{i:02d}", name=f"Office {i}", country=pakistan, city="-", group=g)
            for i, g in enumerate(groups)
        ]
    )


def cases_led_by(offices: list[LinkOffice], per_office: int) -> list[Case]:
    cases = Case.objects.bulk_create(
        [
            Case(reference=f"{o.code}-TIP-2026-{n:04d}", kind="TIP", lead_office=o, title="x")
            for o in offices
            for n in range(1, per_office + 1)
        ]
    )
    sync_case_grants(cases)  # as the case services write them
    return cases


def shares_to(cases: list[Case], *, office=None, partner=None) -> None:
    CaseShare.objects.bulk_create(
        [
            CaseShare(
                case=case,
                office=office,
                partner=partner,
                level=ShareLevel.SUMMARY,
                handling_code=HandlingCode.H0,
            )
            for case in cases
        ]
    )
    sync_case_grants(cases)


@pytest.mark.parametrize("desks", [1, 40])
@pytest.mark.parametrize("shares", [0, 500])
def test_listing_costs_the_scope_query_and_the_list_query(
    cast, assert_queries, make_case, desks, shares
):
    make_case("GBR")
    others = extra_offices(max(desks - 1, 0) + 10)
    granted, elsewhere = others[: desks - 1], others[desks - 1 :]
    for office in granted:
        office_services.office_permission_grant(
            acting_user=cast.hq,
            office=office,
            permission=VIEW_CASES,
            user=cast.uk,
            reason="Joint investigation",
        )
    cases_led_by(granted, per_office=2)
    shared = cases_led_by(elsewhere, per_office=60)[:shares]
    shares_to(shared, office=cast.offices["GBR"])
    hidden = cases_led_by([cast.offices["ESP"]], per_office=5)

    user = fresh(cast.uk)
    with assert_queries(2):  # 1. the user's scope (one UNION)  2. the page of cases
        page = list(Case.objects.visible_to(user).select_related("lead_office")[:25])
    expected_total = 1 + 2 * (desks - 1) + shares  # own case, granted desks' cases, shared
    assert len(page) == min(25, expected_total)
    assert not {c.pk for c in page} & {c.pk for c in hidden}
    assert Case.objects.visible_to(user).count() == expected_total


@pytest.mark.parametrize("shares", [0, 500])
def test_a_partners_listing_costs_the_same_two_queries(cast, assert_queries, make_case, shares):
    cases = cases_led_by(extra_offices(10), per_office=60)
    shares_to(cases[:shares], partner=cast.partners["BHC"])
    make_case("GBR")  # not shared with them
    user = fresh(cast.focal_point)
    with assert_queries(2):  # 1. scope  2. the page
        page = list(Case.objects.visible_to(user)[:25])
    assert len(page) == min(25, shares)
    assert Case.objects.visible_to(user).count() == shares
