"""Referrals: consent-gated, overridable only with the permission and a reason, a strict
status table, and each side acting only on its own part."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.http import Http404

from glo_act.errors import ConsentRequired, DomainError, InvalidTransition, PermissionDenied
from liaison_offices.constants import Service
from tests.victims.conftest import fresh
from victims import services
from victims.constants import ReferralStatus, UpdateKind
from victims.models import Referral


def grant_override(user):
    user.user_permissions.add(
        Permission.objects.get(
            codename="override_referral_consent", content_type__app_label="victims"
        )
    )
    return fresh(user)


@pytest.mark.django_db
def test_a_referral_without_consent_is_refused_with_a_clear_message(cast, victim):
    with pytest.raises(ConsentRequired) as caught:
        services.referral_create(
            acting_user=cast.uk,
            victim=victim,
            partner=cast.partners["IOM"],
            service=Service.SHELTER,
        )
    message = caught.value.message
    assert victim.code in message and "consent" in message and "IOM" in message
    assert not Referral.objects.exists()


@pytest.mark.django_db
def test_an_override_with_the_permission_and_a_reason_is_allowed_and_audited(cast, victim):
    officer = grant_override(cast.uk)
    referral = services.referral_create(
        acting_user=officer,
        victim=victim,
        partner=cast.partners["IOM"],
        service=Service.SHELTER,
        override_reason="Child found alone at night; no guardian can consent.",
    )
    assert referral.status == ReferralStatus.PENDING
    assert referral.consent is None
    assert referral.overridden_by == officer
    assert referral.override_reason.startswith("Child found alone")
    override = referral.updates.get(kind=UpdateKind.CONSENT_OVERRIDE)
    assert override.author == officer and override.body == referral.override_reason
    assert referral.history.get().history_user == officer


@pytest.mark.django_db
def test_an_override_without_the_permission_is_refused(cast, victim):
    with pytest.raises(PermissionDenied):
        services.referral_create(
            acting_user=cast.uk,
            victim=victim,
            partner=cast.partners["IOM"],
            service=Service.SHELTER,
            override_reason="Urgent",
        )
    assert not Referral.objects.exists()


@pytest.mark.django_db
def test_an_override_without_a_reason_is_refused_even_with_the_permission(cast, victim):
    with pytest.raises(ConsentRequired):
        services.referral_create(
            acting_user=grant_override(cast.uk),
            victim=victim,
            partner=cast.partners["IOM"],
            service=Service.SHELTER,
            override_reason="   ",
        )


@pytest.mark.django_db
def test_after_withdrawal_new_referrals_are_refused(cast, victim, shelter_consent):
    services.consent_withdraw(acting_user=cast.uk, consent=shelter_consent)
    with pytest.raises(ConsentRequired):
        services.referral_create(
            acting_user=cast.uk,
            victim=victim,
            partner=cast.partners["IOM"],
            service=Service.SHELTER,
        )


@pytest.mark.django_db
def test_consent_for_one_service_does_not_cover_another(cast, victim, shelter_consent):
    with pytest.raises(ConsentRequired):
        services.referral_create(
            acting_user=cast.uk, victim=victim, partner=cast.partners["IOM"], service=Service.RETURN
        )


@pytest.mark.django_db
def test_a_partner_is_referred_only_for_a_service_it_provides(cast, victim):
    with pytest.raises(DomainError, match="does not provide"):
        services.referral_create(
            acting_user=cast.uk,
            victim=victim,
            partner=cast.partners["IOM"],
            service=Service.LEGAL_AID,
        )


@pytest.mark.django_db
def test_the_full_path_to_completion(cast, referral):
    services.referral_accept(acting_user=cast.provider, referral=referral)
    services.referral_progress(acting_user=cast.provider, referral=referral, note="Bed found")
    services.referral_progress(acting_user=cast.provider, referral=referral, note="Week two")
    done = services.referral_complete(acting_user=cast.provider, referral=referral)
    assert done.status == ReferralStatus.COMPLETED and done.ended_at is not None
    assert [(u.status_from, u.status_to) for u in done.updates.filter(kind=UpdateKind.STATUS)] == [
        ("", "pending"),
        ("pending", "accepted"),
        ("accepted", "in_progress"),
        ("in_progress", "completed"),
    ]
    assert done.updates.filter(kind=UpdateKind.NOTE, body="Week two").exists()
    assert done.history.count() == 5


@pytest.mark.django_db
def test_decline_without_a_reason_is_refused(cast, referral):
    with pytest.raises(DomainError) as caught:
        services.referral_decline(acting_user=cast.provider, referral=referral, reason="  ")
    assert caught.value.field == "reason"
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PENDING
    declined = services.referral_decline(
        acting_user=cast.provider, referral=referral, reason="No shelter places this month"
    )
    assert declined.status == ReferralStatus.DECLINED
    assert declined.decline_reason == "No shelter places this month"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path, illegal",
    [
        ([], "complete"),  # pending → completed skips the work
        ([], "progress"),  # pending → in progress skips accepting
        (["decline"], "accept"),  # declined is final
        (["accept"], "complete"),  # accepted → completed skips the work
        (["accept", "progress", "complete"], "revoke"),  # completed cannot be revoked
        (["accept", "progress", "complete"], "close"),
        (["revoke"], "accept"),
    ],
)
def test_illegal_status_changes_are_refused(cast, referral, path, illegal):
    def act(step):
        if step == "accept":
            services.referral_accept(acting_user=cast.provider, referral=referral)
        elif step == "decline":
            services.referral_decline(acting_user=cast.provider, referral=referral, reason="Full")
        elif step == "progress":
            services.referral_progress(acting_user=cast.provider, referral=referral, note="Work")
        elif step == "complete":
            services.referral_complete(acting_user=cast.provider, referral=referral)
        elif step == "close":
            services.referral_close(acting_user=cast.provider, referral=referral)
        elif step == "revoke":
            services.referral_revoke(acting_user=cast.uk, referral=referral)

    for step in path:
        act(step)
    before = Referral.objects.get(pk=referral.pk).status
    with pytest.raises(InvalidTransition):
        act(illegal)
    assert Referral.objects.get(pk=referral.pk).status == before


@pytest.mark.django_db
def test_the_referring_office_may_revoke_until_completed_and_the_provider_may_not(cast, referral):
    with pytest.raises(PermissionDenied):
        services.referral_revoke(acting_user=cast.provider, referral=referral)
    services.referral_accept(acting_user=cast.provider, referral=referral)
    revoked = services.referral_revoke(acting_user=cast.uk, referral=referral, reason="Moved")
    assert revoked.status == ReferralStatus.REVOKED


@pytest.mark.django_db
def test_only_the_receiving_partner_answers_a_referral(cast, referral):
    with pytest.raises(PermissionDenied):
        services.referral_accept(acting_user=cast.uk, referral=referral)
    with pytest.raises(Http404):  # it does not even exist for them
        services.referral_accept(acting_user=cast.focal_point, referral=referral)
    with pytest.raises(Http404):
        services.referral_revoke(acting_user=cast.italy, referral=referral)


@pytest.mark.django_db
def test_a_service_provider_sees_only_its_referrals(cast, register, referral):
    assert set(Referral.objects.visible_to(cast.provider)) == {referral}
    assert set(Referral.objects.visible_to(cast.uk)) == {referral}
    assert set(Referral.objects.visible_to(cast.hq)) == {referral}
    assert not Referral.objects.visible_to(cast.focal_point).exists()
    assert not Referral.objects.visible_to(cast.italy).exists()


@pytest.mark.django_db
def test_another_office_cannot_refer_a_victim_it_does_not_work(cast, victim, shelter_consent):
    with pytest.raises(Http404):
        services.referral_create(
            acting_user=cast.italy,
            victim=victim,
            partner=cast.partners["IOM"],
            service=Service.SHELTER,
        )


@pytest.mark.django_db
def test_only_one_open_referral_per_partner_and_service(cast, victim, referral):
    with pytest.raises(DomainError, match="already has an open referral"):
        services.referral_create(
            acting_user=cast.uk,
            victim=victim,
            partner=cast.partners["IOM"],
            service=Service.SHELTER,
        )


@pytest.mark.django_db
def test_follow_ups_are_planned_and_scored_from_one_to_five(cast, referral):
    services.referral_accept(acting_user=cast.provider, referral=referral)
    today = dt.date.today()
    first, second = services.followup_schedule(
        acting_user=cast.uk,
        referral=referral,
        due_dates=[today + dt.timedelta(days=90), today + dt.timedelta(days=30)],
    )
    assert first.due_on < second.due_on
    with pytest.raises(DomainError, match="already planned"):
        services.followup_schedule(acting_user=cast.uk, referral=referral, due_dates=[first.due_on])
    with pytest.raises(DomainError, match="1 to 5"):
        services.followup_record(
            acting_user=cast.provider,
            followup=first,
            economic_score=6,
            social_score=3,
            psychosocial_score=3,
        )
    done = services.followup_record(
        acting_user=cast.provider,
        followup=first,
        economic_score=2,
        social_score=4,
        psychosocial_score=3,
        notes="Found work at a tailor's",
    )
    assert (done.economic_score, done.social_score, done.psychosocial_score) == (2, 4, 3)
    assert done.done_at is not None and done.done_by == cast.provider
    with pytest.raises(DomainError, match="already recorded"):
        services.followup_record(
            acting_user=cast.uk,
            followup=first,
            economic_score=1,
            social_score=1,
            psychosocial_score=1,
        )
    with pytest.raises(Http404):
        services.followup_record(
            acting_user=cast.italy,
            followup=second,
            economic_score=1,
            social_score=1,
            psychosocial_score=1,
        )


@pytest.mark.django_db
def test_follow_ups_are_not_planned_on_a_pending_referral(cast, referral):
    with pytest.raises(DomainError, match="accepted referrals"):
        services.followup_schedule(
            acting_user=cast.uk, referral=referral, due_dates=[dt.date.today()]
        )
