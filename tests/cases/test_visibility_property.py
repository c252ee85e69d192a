"""Property: `visible_to` and `restrict("change")` equal a plain-Python reading of the rule.

Hypothesis draws offices, partners (some inactive), users with office and partner memberships
(some ended), per-user office grants, cases, and shares to offices or partners that are live,
expired or revoked. Each example is built inside a savepoint that is rolled back afterwards, so
examples never see each other's rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cases.grants import sync_case_grants
from cases.models import Case, CaseShare
from liaison_offices import services as office_services
from liaison_offices.constants import CHANGE_CASES, HQ_CODE, VIEW_CASES, PartnerKind, Role
from liaison_offices.models import Country

N_OFFICES = 3
N_PARTNERS = 3


@dataclass(frozen=True)
class UserSpec:
    offices: frozenset[int]  # office memberships (officer)
    ended_offices: frozenset[int]  # memberships since ended
    partners: frozenset[int]  # partner memberships (focal point)
    view_grants: frozenset[int]
    change_grants: frozenset[int]
    hq: bool


@dataclass(frozen=True)
class ShareSpec:
    case: int
    office: int | None
    partner: int | None
    state: str  # live | expired | future | revoked


indices = st.frozensets(st.integers(0, N_OFFICES - 1), max_size=3)
user_specs = st.builds(
    UserSpec,
    offices=st.frozensets(st.integers(0, N_OFFICES - 1), max_size=2),
    ended_offices=st.frozensets(st.integers(0, N_OFFICES - 1), max_size=1),
    partners=st.frozensets(st.integers(0, N_PARTNERS - 1), max_size=2),
    view_grants=indices,
    change_grants=indices,
    hq=st.sampled_from([False, False, False, True]),  # HQ members are few
)


@st.composite
def worlds(draw):
    users = draw(st.lists(user_specs, min_size=1, max_size=4))
    leads = draw(st.lists(st.integers(0, N_OFFICES - 1), min_size=1, max_size=6))
    inactive_partners = draw(st.frozensets(st.integers(0, N_PARTNERS - 1), max_size=1))
    recipient = st.one_of(
        st.tuples(st.integers(0, N_OFFICES - 1), st.none()),
        st.tuples(st.none(), st.integers(0, N_PARTNERS - 1)),
    )
    raw = draw(
        st.lists(
            st.tuples(
                st.integers(0, len(leads) - 1),
                recipient,
                st.sampled_from(["live", "expired", "future", "revoked"]),
            ),
            max_size=12,
        )
    )
    # At most one unrevoked share per case and recipient (the partial unique index).
    shares, unrevoked = [], set()
    for case, (office, partner), state in raw:
        key = (case, office, partner)
        if state != "revoked" and key in unrevoked:
            state = "revoked"
        if state != "revoked":
            unrevoked.add(key)
        shares.append(ShareSpec(case, office, partner, state))
    return users, leads, inactive_partners, shares


def reference_policy(spec: UserSpec, leads, inactive_partners, shares) -> tuple[set, set]:
    """Which case indices the user sees and may change, by the rule, in plain Python."""
    if spec.hq:
        everything = set(range(len(leads)))
        return everything, everything
    member = spec.offices - spec.ended_offices
    desks = member | spec.view_grants
    # Change needs change_office_cases and a desk there (the scope intersects the two).
    workable = (member | spec.change_grants) & desks
    partners = spec.partners - inactive_partners
    seen = {i for i, lead in enumerate(leads) if lead in desks}
    for share in shares:
        if share.state not in ("live", "future"):
            continue
        if (share.office is not None and share.office in desks) or (
            share.partner is not None and share.partner in partners
        ):
            seen.add(share.case)
    changeable = {i for i, lead in enumerate(leads) if lead in workable}
    return seen, changeable


def build(users, leads, inactive_partners, shares):
    """Rows for one drawn world; returns the users and the cases, in drawn order."""
    pakistan = Country.objects.get(iso3="PAK")
    offices = [
        office_services.office_create(
            acting_user=None, code=f"O{i}", name=f"Office {i}", country=pakistan, city="-"
        )
        for i in range(N_OFFICES)
    ]
    partners = [
        office_services.partner_create(
            acting_user=None, name=f"Partner {i}", kind=PartnerKind.EMBASSY, country=pakistan
        )
        for i in range(N_PARTNERS)
    ]
    for i in inactive_partners:
        office_services.partner_update(acting_user=None, partner=partners[i], is_active=False)
    hq_office = None
    if any(spec.hq for spec in users):
        hq_office = office_services.office_create(
            acting_user=None, code=HQ_CODE, name="HQ", country=pakistan, city="Islamabad"
        )
    people = []
    for n, spec in enumerate(users):
        user = get_user_model().objects.create(username=f"user{n}")
        for i in spec.offices | spec.ended_offices:
            membership = office_services.membership_add(
                acting_user=None, user=user, role=Role.OFFICER, office=offices[i]
            )
            if i in spec.ended_offices:
                office_services.membership_end(acting_user=None, membership=membership)
        for i in spec.partners:
            office_services.membership_add(
                acting_user=None, user=user, role=Role.FOCAL_POINT, partner=partners[i]
            )
        for permission, grants in (
            (VIEW_CASES, spec.view_grants),
            (CHANGE_CASES, spec.change_grants),
        ):
            for i in grants:
                office_services.office_permission_grant(
                    acting_user=None,
                    office=offices[i],
                    permission=permission,
                    user=user,
                    reason="Joint investigation",
                )
        if spec.hq:
            office_services.membership_add(
                acting_user=None, user=user, role=Role.OFFICER, office=hq_office
            )
        people.append(get_user_model().objects.get(pk=user.pk))
    cases = Case.objects.bulk_create(
        [
            Case(reference=f"C{i}", kind="TIP", lead_office=offices[lead], title=f"Case {i}")
            for i, lead in enumerate(leads)
        ]
    )
    now = timezone.now()
    expiry = {
        "live": None,
        "future": now + dt.timedelta(hours=1),
        "expired": now - dt.timedelta(hours=1),
        "revoked": None,
    }
    CaseShare.objects.bulk_create(
        [
            CaseShare(
                case=cases[s.case],
                office=offices[s.office] if s.office is not None else None,
                partner=partners[s.partner] if s.partner is not None else None,
                level=1,
                handling_code="H0",
                expires_at=expiry[s.state],
                revoked_at=now if s.state == "revoked" else None,
            )
            for s in shares
        ]
    )
    sync_case_grants(cases)  # as the case services write them
    return people, cases


@pytest.mark.django_db
@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds())
# The corners of the rule, always tried whatever hypothesis draws:
@example(  # an expired share and a revoked one to the user's desk grant nothing
    world=(
        [UserSpec(frozenset({1}), frozenset(), frozenset(), frozenset(), frozenset(), False)],
        [0, 0, 0],
        frozenset(),
        [ShareSpec(0, 1, None, "expired"), ShareSpec(1, 1, None, "revoked")]
        + [ShareSpec(2, 1, None, "future")],
    )
)
@example(  # an inactive partner's members and an ended membership see nothing
    world=(
        [
            UserSpec(frozenset(), frozenset(), frozenset({0}), frozenset(), frozenset(), False),
            UserSpec(frozenset({0}), frozenset({0}), frozenset(), frozenset(), frozenset(), False),
        ],
        [0, 1],
        frozenset({0}),
        [ShareSpec(1, None, 0, "live")],
    )
)
@example(  # a change grant without a view grant changes nothing; a view grant changes nothing
    world=(
        [UserSpec(frozenset(), frozenset(), frozenset(), frozenset({1}), frozenset({2}), False)],
        [1, 2],
        frozenset(),
        [],
    )
)
def test_visible_to_and_restrict_equal_the_reference_policy(world):
    users, leads, inactive_partners, shares = world
    with transaction.atomic():
        people, cases = build(users, leads, inactive_partners, shares)
        index = {case.pk: i for i, case in enumerate(cases)}
        for spec, person in zip(users, people, strict=True):
            seen, changeable = reference_policy(spec, leads, inactive_partners, shares)
            visible = {
                index[pk] for pk in Case.objects.visible_to(person).values_list("pk", flat=True)
            }
            assert visible == seen, spec
            # Counted, whole or bounded: the same number, however a case is both led and
            # shared, or shared twice.
            assert Case.objects.visible_to(person).count() == len(seen), spec
            bounded = Case.objects.visible_to(person).order_by().values("pk")[:2]
            assert bounded.count() == min(2, len(seen)), spec
            change = {
                index[pk]
                for pk in Case.objects.restrict(person, "change").values_list("pk", flat=True)
            }
            assert change == changeable, spec
        transaction.set_rollback(True)
