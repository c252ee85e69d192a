"""offices_of / partners_of / is_hq: the access scope every visibility rule starts from."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from liaison_offices import access, services
from liaison_offices.constants import CHANGE_CASES, VIEW_CASES


def fresh(user):
    """The user as the next request would load it (no remembered scope)."""
    return get_user_model().objects.get(pk=user.pk)


@pytest.mark.django_db
def test_an_officer_sits_at_their_own_office_desk_only(cast):
    assert list(access.offices_of(cast.uk).values_list("code", flat=True)) == ["GBR"]
    assert not access.is_hq(cast.uk)
    assert access.can_work_office(cast.uk, cast.offices["GBR"].pk)
    assert not access.can_work_office(cast.uk, cast.offices["ITA"].pk)


@pytest.mark.django_db
def test_hq_sits_at_every_desk(cast):
    assert access.is_hq(cast.hq)
    assert set(access.offices_of(cast.hq).values_list("code", flat=True)) == {
        "HQ",
        "GBR",
        "ITA",
        "ESP",
    }


@pytest.mark.django_db
def test_a_granted_colleague_gains_the_office_and_loses_it_on_revoke(cast):
    uk_office = cast.offices["GBR"]
    services.office_permission_grant(
        acting_user=cast.hq,
        office=uk_office,
        permission=VIEW_CASES,
        user=cast.italy,
        reason="Joint investigation",
    )
    italy = fresh(cast.italy)
    assert set(access.offices_of(italy).values_list("code", flat=True)) == {"ITA", "GBR"}
    # A view grant alone does not let them work the UK cases.
    assert not access.can_work_office(italy, uk_office.pk)

    services.office_permission_revoke(
        acting_user=cast.hq, office=uk_office, permission=VIEW_CASES, user=cast.italy
    )
    assert list(access.offices_of(fresh(cast.italy)).values_list("code", flat=True)) == ["ITA"]


@pytest.mark.django_db
def test_a_group_grant_reaches_every_member_of_the_group(cast):
    services.office_permission_grant(
        acting_user=cast.hq,
        office=cast.offices["GBR"],
        permission=VIEW_CASES,
        group=cast.offices["ESP"].group,
        reason="Joint investigation",
    )
    services.office_permission_grant(
        acting_user=cast.hq,
        office=cast.offices["GBR"],
        permission=CHANGE_CASES,
        group=cast.offices["ESP"].group,
        reason="Joint investigation",
    )
    spain = fresh(cast.spain)
    assert access.can_work_office(spain, cast.offices["GBR"].pk)


@pytest.mark.django_db
def test_partners_of_lists_the_focal_points_organisation_and_no_office(cast):
    assert list(access.partners_of(cast.focal_point)) == [cast.partners["BHC"]]
    assert not access.offices_of(cast.focal_point).exists()


@pytest.mark.django_db
def test_the_scope_is_one_query(cast, assert_queries):
    user = fresh(cast.uk)
    with assert_queries(1):  # the UNION of grants, group grants, model-wide perms, partners
        access.scope_of(user)
        access.scope_of(user)  # remembered on the user for the rest of the request


@pytest.mark.django_db
def test_group_membership_follows_memberships(cast):
    membership = cast.uk.memberships.get()
    assert cast.uk.groups.filter(pk=cast.offices["GBR"].group_id).exists()
    services.membership_end(acting_user=cast.hq, membership=membership)
    assert not cast.uk.groups.filter(pk=cast.offices["GBR"].group_id).exists()
    assert not access.offices_of(fresh(cast.uk)).exists()


@pytest.mark.django_db
def test_scopes_remembered_in_one_batch_equal_one_by_one(cast, assert_queries):
    services.office_permission_grant(
        acting_user=cast.hq,
        office=cast.offices["GBR"],
        permission=VIEW_CASES,
        user=cast.italy,
        reason="Joint investigation",
    )
    keys = ["uk", "italy", "spain", "focal_point", "provider", "hq"]
    one_by_one = {key: access.scope_of(fresh(cast.users[key])) for key in keys}
    users = [fresh(cast.users[key]) for key in keys]
    with assert_queries(1):  # one UNION for all six
        access.remember_scopes(users)
        batched = {key: access.scope_of(user) for key, user in zip(keys, users, strict=True)}
    assert batched == one_by_one
    assert batched["italy"].view_office_ids == {cast.offices["ITA"].pk, cast.offices["GBR"].pk}
    assert batched["hq"].is_hq and batched["focal_point"].partner_ids
