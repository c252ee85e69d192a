"""Who sees which victim, and which of its personal fields (see victims.access)."""

from __future__ import annotations

import pytest

from cases.constants import ShareLevel
from cases.grants import sync_case_grants
from liaison_offices import services as office_services
from liaison_offices.access import scope_of
from liaison_offices.constants import VIEW_CASES, Service
from tests.victims.conftest import fresh, make_case, share
from victims import services
from victims.access import allowed_personal_fields, personal_data_allowed, personal_fields_of
from victims.constants import ALL_PERSONAL_FIELDS, ConsentPurpose
from victims.models import Victim

EVERYTHING = frozenset(ALL_PERSONAL_FIELDS)


def visible_codes(user) -> set[str]:
    return set(Victim.objects.visible_to(user).values_list("code", flat=True))


@pytest.mark.django_db
def test_it_hides_uk_victims_from_the_italy_office(cast, victim):
    assert visible_codes(cast.uk) == {victim.code}
    assert visible_codes(cast.hq) == {victim.code}
    assert visible_codes(cast.italy) == set()
    assert visible_codes(cast.focal_point) == set()
    assert visible_codes(cast.provider) == set()
    assert allowed_personal_fields(cast.italy, victim) == frozenset()


@pytest.mark.django_db
def test_the_lead_office_and_hq_see_every_personal_field(cast, victim):
    assert allowed_personal_fields(cast.uk, victim) == EVERYTHING
    assert allowed_personal_fields(cast.hq, victim) == EVERYTHING


@pytest.mark.django_db
def test_the_lead_office_of_any_linked_case_sees_personal_data(cast, victim):
    spanish_case = make_case(cast.offices["ESP"])
    share(spanish_case, office=cast.offices["GBR"], level=ShareLevel.SUMMARY)
    assert not personal_data_allowed(cast.spain, victim)
    services.victim_link_case(acting_user=cast.uk, victim=victim, case=spanish_case)
    assert visible_codes(cast.spain) == {victim.code}
    assert allowed_personal_fields(cast.spain, victim) == EVERYTHING


@pytest.mark.django_db
def test_a_granted_colleague_sees_what_the_desk_sees(cast, victim):
    office_services.office_permission_grant(
        acting_user=cast.hq,
        office=cast.offices["GBR"],
        permission=VIEW_CASES,
        user=cast.italy,
        reason="Joint investigation",
    )
    italy = fresh(cast.italy)
    assert visible_codes(italy) == {victim.code}
    assert allowed_personal_fields(italy, victim) == EVERYTHING


@pytest.mark.django_db
@pytest.mark.parametrize("level", [ShareLevel.SUMMARY, ShareLevel.FULL])
def test_a_share_below_full_with_victims_shows_no_victim_even_with_consent(
    cast, victim, uk_case, level
):
    # Summary and full shares show the case; its victims come only with "full with victims",
    # on every door (pages, API, exports) alike.
    share(uk_case, partner=cast.partners["BHC"], level=level)
    services.consent_record(
        acting_user=cast.uk,
        victim=victim,
        purpose=ConsentPurpose.SHARING,
        partner=cast.partners["BHC"],
    )
    assert visible_codes(cast.focal_point) == set()
    assert allowed_personal_fields(cast.focal_point, victim) == frozenset()


@pytest.mark.django_db
def test_full_with_victims_without_consent_shows_the_code_only(cast, victim, uk_case):
    share(uk_case, partner=cast.partners["BHC"])
    assert visible_codes(cast.focal_point) == {victim.code}
    assert not personal_data_allowed(cast.focal_point, victim)


@pytest.mark.django_db
def test_full_with_victims_and_consent_to_that_organisation_shows_personal_data(
    cast, victim, uk_case
):
    share(uk_case, partner=cast.partners["BHC"])
    share(uk_case, office=cast.offices["ITA"])
    services.consent_record(
        acting_user=cast.uk,
        victim=victim,
        purpose=ConsentPurpose.SHARING,
        partner=cast.partners["BHC"],
    )
    assert allowed_personal_fields(cast.focal_point, victim) == EVERYTHING
    # The consent names the High Commission, not the Italy office sharing the same case.
    assert visible_codes(cast.italy) == {victim.code}
    assert not personal_data_allowed(cast.italy, victim)


@pytest.mark.django_db
def test_withdrawing_consent_to_share_hides_personal_data_from_the_partner_at_once(
    cast, victim, uk_case
):
    share(uk_case, partner=cast.partners["BHC"])
    consent = services.consent_record(
        acting_user=cast.uk,
        victim=victim,
        purpose=ConsentPurpose.SHARING,
        partner=cast.partners["BHC"],
    )
    assert personal_data_allowed(cast.focal_point, victim)
    services.consent_withdraw(acting_user=cast.uk, consent=consent)
    assert not personal_data_allowed(cast.focal_point, victim)
    assert visible_codes(cast.focal_point) == {victim.code}  # the case share still stands


@pytest.mark.django_db
def test_a_revoked_share_hides_the_victim_and_its_personal_data(cast, victim, uk_case):
    granted = share(uk_case, partner=cast.partners["BHC"])
    services.consent_record(
        acting_user=cast.uk,
        victim=victim,
        purpose=ConsentPurpose.SHARING,
        partner=cast.partners["BHC"],
    )
    granted.revoked_at = granted.created_at
    granted.save()
    sync_case_grants(uk_case)  # as share_revoke does (another app's service)
    assert visible_codes(cast.focal_point) == set()
    assert not personal_data_allowed(cast.focal_point, victim)


@pytest.mark.django_db
def test_a_provider_sees_only_victims_referred_to_it_and_only_what_the_service_needs(
    cast, register, shelter_consent, referral
):
    victim = referral.victim
    other = register(full_name="Someone Else", passport_number="ZZ999", cnic_number="").victim
    assert visible_codes(cast.provider) == {victim.code}
    assert other.code not in visible_codes(cast.provider)
    # Pending: the provider decides on the facts, without the identity.
    assert allowed_personal_fields(cast.provider, victim) == frozenset()
    services.referral_accept(acting_user=cast.provider, referral=referral)
    assert allowed_personal_fields(cast.provider, victim) == {
        "full_name",
        "date_of_birth",
        "phone",
    }
    # A case share to another partner never opens anything to the provider.
    assert allowed_personal_fields(cast.provider, other) == frozenset()


@pytest.mark.django_db
def test_withdrawing_referral_consent_hides_personal_data_from_the_provider(
    cast, shelter_consent, referral
):
    services.referral_accept(acting_user=cast.provider, referral=referral)
    assert personal_data_allowed(cast.provider, referral.victim)
    services.consent_withdraw(acting_user=cast.uk, consent=shelter_consent)
    assert not personal_data_allowed(cast.provider, referral.victim)
    assert referral.victim.code in visible_codes(cast.provider)
    assert referral.updates.filter(body__icontains="withdrew").exists()


@pytest.mark.django_db
def test_a_finished_referral_stops_showing_personal_data(cast, referral):
    services.referral_accept(acting_user=cast.provider, referral=referral)
    services.referral_progress(acting_user=cast.provider, referral=referral, note="Placed")
    assert personal_data_allowed(cast.provider, referral.victim)
    services.referral_complete(acting_user=cast.provider, referral=referral)
    assert not personal_data_allowed(cast.provider, referral.victim)


@pytest.mark.django_db
def test_a_return_referral_shows_travel_documents(cast, victim):
    services.consent_record(
        acting_user=cast.uk,
        victim=victim,
        purpose=ConsentPurpose.REFERRAL,
        partner=cast.partners["IOM"],
        service=Service.RETURN,
    )
    referral = services.referral_create(
        acting_user=cast.uk, victim=victim, partner=cast.partners["IOM"], service=Service.RETURN
    )
    services.referral_accept(acting_user=cast.provider, referral=referral)
    assert allowed_personal_fields(cast.provider, victim) == EVERYTHING


@pytest.mark.django_db
def test_the_list_annotation_agrees_with_the_single_record_rule(cast, register, uk_case):
    share(uk_case, partner=cast.partners["BHC"])
    with_consent = register(full_name="One Person", passport_number="P1", cnic_number="").victim
    without = register(full_name="Two Person", passport_number="P2", cnic_number="").victim
    services.consent_record(
        acting_user=cast.uk,
        victim=with_consent,
        purpose=ConsentPurpose.SHARING,
        partner=cast.partners["BHC"],
    )
    rows = {
        v.code: personal_fields_of(v, cast.focal_point)
        for v in Victim.objects.visible_to(cast.focal_point).with_personal_access(cast.focal_point)
    }
    assert rows == {with_consent.code: EVERYTHING, without.code: frozenset()}
    for code, fields in rows.items():
        assert allowed_personal_fields(cast.focal_point, Victim.objects.get(code=code)) == fields
    # A row annotated for one user cannot answer for another.
    annotated = Victim.objects.with_personal_access(cast.uk).get(pk=without.pk)
    with pytest.raises(ValueError):
        personal_fields_of(annotated, cast.focal_point)
    assert allowed_personal_fields(cast.focal_point, annotated) == frozenset()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["uk", "focal_point", "provider", "hq", "italy"])
def test_the_victim_list_costs_the_same_queries_for_one_or_many_victims(
    cast, register, uk_case, assert_queries, who
):
    user = cast.users[who]
    share(uk_case, partner=cast.partners["BHC"])
    register()
    scope_of(user)  # the scope: one query per request, remembered on the user

    def listing():
        return list(Victim.objects.visible_to(user).with_personal_access(user).select_related())

    with assert_queries(1):  # the victims, with visibility and personal access in the SQL
        listing()
    for n in range(4):
        register(full_name=f"Person {n}", passport_number=f"X{n}", cnic_number="")
    with assert_queries(1):
        rows = listing()
    assert len(rows) == (0 if who in ("provider", "italy") else 5)
