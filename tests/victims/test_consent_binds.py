"""Consent that binds: a withdrawn consent pauses the referral relying on it (the partner is told
and loses the personal fields at once) until a new consent or an override; personal data is
stored only on a consent to its processing or a recorded lawful basis."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from glo_act.errors import ConsentRequired, DomainError, PermissionDenied
from glo_act.submit_once import new_token
from liaison_offices.constants import EventKind, Service
from liaison_offices.models import NotificationEvent
from tests.api.conftest import api_client as api_client  # the API fixture, here too
from tests.two_factor import REVEAL
from tests.victims.conftest import ALICE, fresh, share
from tests.victims.test_referrals import grant_override
from victims import access, services
from victims.constants import ConsentPurpose, LawfulBasis, ReferralStatus, UpdateKind
from victims.models import Consent, Referral, Victim

pytestmark = pytest.mark.django_db
API = "/api/v1"
NAME = ALICE["full_name"]
NO_PERSONAL_DATA = {**dict.fromkeys(ALICE, ""), "date_of_birth": None}


def events(kind):
    return list(NotificationEvent.objects.filter(kind=kind).order_by("id"))


@pytest.fixture
def working(cast, referral):
    """The shelter referral, accepted by IOM: IOM sees the fields shelter needs."""
    return services.referral_accept(acting_user=cast.provider, referral=referral)


# --- withdrawal pauses the referral --------------------------------------------------------------


def test_withdrawing_the_consent_pauses_the_referral_and_the_partner_loses_the_fields(
    cast, victim, shelter_consent, working
):
    provider = fresh(cast.provider)
    assert access.allowed_personal_fields(provider, victim) == {
        "full_name",
        "date_of_birth",
        "phone",
    }
    services.consent_withdraw(acting_user=cast.uk, consent=shelter_consent)

    referral = Referral.objects.get(pk=working.pk)
    assert referral.paused_at is not None and referral.status == ReferralStatus.ACCEPTED
    assert access.allowed_personal_fields(fresh(cast.provider), victim) == frozenset()
    assert referral.updates.filter(kind=UpdateKind.PAUSED).count() == 1
    [event] = events(EventKind.REFERRAL_PAUSED)
    assert event.partner_ids == [cast.partners["IOM"].pk]
    assert event.payload["victim"] == victim.code and NAME not in str(event.payload)
    # The provider may not take it further, only end it.
    for move in (services.referral_progress, services.referral_complete):
        with pytest.raises(ConsentRequired, match="paused"):
            move(acting_user=cast.provider, referral=referral, note="done")
    assert Referral.objects.get(pk=working.pk).status == ReferralStatus.ACCEPTED


def test_a_pending_referral_paused_cannot_be_accepted(cast, victim, shelter_consent, referral):
    services.consent_withdraw(acting_user=cast.uk, consent=shelter_consent)
    with pytest.raises(ConsentRequired):
        services.referral_accept(acting_user=cast.provider, referral=referral)
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.PENDING
    # Declining stays possible.
    services.referral_decline(acting_user=cast.provider, referral=referral, reason="No consent")


def test_a_new_consent_resumes_the_referral_and_the_partner_is_told(
    cast, victim, shelter_consent, working
):
    services.consent_withdraw(acting_user=cast.uk, consent=shelter_consent)
    again = services.consent_record(
        acting_user=cast.uk,
        victim=victim,
        purpose=ConsentPurpose.REFERRAL,
        partner=cast.partners["IOM"],
        service=Service.SHELTER,
    )
    referral = Referral.objects.get(pk=working.pk)
    assert referral.paused_at is None and referral.consent == again
    assert access.allowed_personal_fields(fresh(cast.provider), victim) == {
        "full_name",
        "date_of_birth",
        "phone",
    }
    [event] = events(EventKind.REFERRAL_RESUMED)
    assert event.partner_ids == [cast.partners["IOM"].pk]
    services.referral_progress(acting_user=cast.provider, referral=referral, note="A bed found")


def test_an_override_resumes_only_with_the_permission_and_a_reason(
    cast, victim, shelter_consent, working
):
    services.consent_withdraw(acting_user=cast.uk, consent=shelter_consent)
    with pytest.raises(ConsentRequired):
        services.referral_resume(acting_user=cast.uk, referral=working)
    with pytest.raises(PermissionDenied):
        services.referral_resume(acting_user=cast.uk, referral=working, override_reason="Urgent")
    with pytest.raises(Exception):  # noqa: B017,PT011 -- 404 or 403: not the office's referral
        services.referral_resume(
            acting_user=grant_override(cast.italy), referral=working, override_reason="x"
        )
    officer = grant_override(cast.uk)
    services.referral_resume(
        acting_user=officer, referral=working, override_reason="The child is in danger tonight"
    )
    referral = Referral.objects.get(pk=working.pk)
    assert referral.paused_at is None and referral.consent is None
    assert referral.override_reason == "The child is in danger tonight"
    assert referral.overridden_by == cast.uk
    assert referral.updates.filter(kind=UpdateKind.CONSENT_OVERRIDE).exists()
    with pytest.raises(DomainError, match="not paused"):
        services.referral_resume(acting_user=officer, referral=referral, override_reason="x")


def test_withdrawing_a_consent_to_share_tells_the_recipient(cast, victim, uk_case):
    share(uk_case, office=cast.offices["ITA"])
    consent = services.consent_record(
        acting_user=cast.uk,
        victim=victim,
        purpose=ConsentPurpose.SHARING,
        office=cast.offices["ITA"],
    )
    assert access.allowed_personal_fields(fresh(cast.italy), victim)
    services.consent_withdraw(acting_user=cast.uk, consent=consent)
    assert access.allowed_personal_fields(fresh(cast.italy), victim) == frozenset()
    [event] = events(EventKind.SHARING_CONSENT_WITHDRAWN)
    assert event.office_ids == [cast.offices["ITA"].pk] and event.payload["victim"] == victim.code


# --- the pages -----------------------------------------------------------------------------------


def test_the_pages_show_the_pause_and_refuse_to_go_further(
    cast, login, victim, shelter_consent, working
):
    client = login(cast.uk)
    withdraw = reverse(
        "victims:consent_withdraw", kwargs={"code": victim.code, "pk": shelter_consent.pk}
    )
    assert client.post(withdraw, {"form_token": new_token(), "confirm": "on"}).status_code == 302

    page = reverse("victims:referral", kwargs={"pk": working.pk})
    provider = login(cast.provider)
    html = provider.get(page).content.decode()
    assert 'id="referral-paused"' in html and "withdrew the consent" in html
    assert "Report progress" not in html
    response = provider.post(
        reverse("victims:referral_action", kwargs={"pk": working.pk, "action": "progress"}),
        {"form_token": new_token(), "note": "Went on"},
    )
    assert "This referral is paused" in response.content.decode()
    assert Referral.objects.get(pk=working.pk).status == ReferralStatus.ACCEPTED
    victim_page = provider.post(reverse("victims:reveal", kwargs={"code": victim.code}), REVEAL)
    assert NAME not in victim_page.content.decode()

    officer = login(grant_override(cast.uk))
    html = officer.get(page).content.decode()
    assert "Resume…" in html
    resume = reverse("victims:referral_action", kwargs={"pk": working.pk, "action": "resume"})
    refused = officer.post(
        resume, {"form_token": new_token(), "override_reason": ""}
    ).content.decode()
    assert "has no live consent to this referral" in refused
    assert (
        officer.post(
            resume, {"form_token": new_token(), "override_reason": "Danger tonight"}
        ).status_code
        == 302
    )
    assert Referral.objects.get(pk=working.pk).paused_at is None


def test_the_api_shows_the_pause_and_refuses_to_go_further(
    cast,
    api_client,
    victim,
    shelter_consent,
    working,  # noqa: F811
):
    client = api_client(cast.provider)
    assert client.get(f"{API}/victims/{victim.code}/").json()["personal_data"]
    services.consent_withdraw(acting_user=cast.uk, consent=shelter_consent)
    assert client.get(f"{API}/victims/{victim.code}/").json()["personal_data"] is None
    body = client.get(f"{API}/referrals/{working.pk}/").json()
    assert body["paused_at"] is not None
    response = client.post(f"{API}/referrals/{working.pk}/progress/", {"note": "Went on"})
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert "paused" in response.json()["detail"]


# --- storing personal data needs a basis ---------------------------------------------------------


def test_personal_data_without_consent_or_basis_is_refused(cast, register):
    with pytest.raises(ConsentRequired) as caught:
        register(processing_consent=False)
    assert caught.value.field == "lawful_basis"
    assert not Victim.objects.exists()
    # Without personal data, no consent is needed (a pseudonymous record).
    bare = register(processing_consent=False, **NO_PERSONAL_DATA).victim
    assert bare.lawful_basis == ""


def test_a_lawful_basis_needs_its_reason(cast, register):
    with pytest.raises(DomainError) as caught:
        register(processing_consent=False, lawful_basis=LawfulBasis.LEGAL_OBLIGATION)
    assert caught.value.field == "lawful_basis_note"
    with pytest.raises(DomainError):
        register(processing_consent=False, lawful_basis=LawfulBasis.HELD_BEFORE_RULE)
    victim = register(
        processing_consent=False,
        lawful_basis=LawfulBasis.LEGAL_OBLIGATION,
        lawful_basis_note="Witness in FIR 12/2026",
    ).victim
    assert victim.lawful_basis == LawfulBasis.LEGAL_OBLIGATION
    assert victim.history.get().lawful_basis_note == "Witness in FIR 12/2026"


def test_adding_personal_data_later_needs_a_basis_and_clearing_it_does_not(cast, register):
    victim = register(processing_consent=False, **NO_PERSONAL_DATA)
    victim = victim.victim
    with pytest.raises(ConsentRequired):
        services.victim_update(acting_user=cast.uk, victim=victim, phone="+44 7700 900999")
    services.victim_update(acting_user=cast.uk, victim=victim, sex="female")  # facts: fine
    services.consent_record(
        acting_user=cast.uk, victim=victim, purpose=ConsentPurpose.DATA_PROCESSING
    )
    services.victim_update(acting_user=cast.uk, victim=victim, phone="+44 7700 900999")
    consent = Consent.objects.get(victim=victim, purpose=ConsentPurpose.DATA_PROCESSING)
    services.consent_withdraw(acting_user=cast.uk, consent=consent)
    with pytest.raises(ConsentRequired):
        services.victim_update(acting_user=cast.uk, victim=victim, phone="+44 7700 900000")
    services.victim_update(acting_user=cast.uk, victim=victim, phone="")  # clearing: fine


def test_the_register_page_says_what_is_missing_on_the_basis_field(cast, login, uk_case):
    from tests.victims.test_views import registration_data

    data = registration_data(uk_case)
    del data["consent-data_processing"]
    html = login(cast.uk).post(reverse("victims:register"), data).content.decode()
    assert "can be stored only with the victim&#x27;s consent" in html
    assert 'href="#id_lawful_basis"' in html
    assert not Victim.objects.exists()
    data["lawful_basis"] = LawfulBasis.VITAL_INTERESTS
    html = login(cast.uk).post(reverse("victims:register"), data).content.decode()
    assert "Say why this basis applies." in html and not Victim.objects.exists()
    data["lawful_basis_note"] = "Found injured at the border"
    assert login(cast.uk).post(reverse("victims:register"), data).status_code == 302
    assert Victim.objects.get().lawful_basis == LawfulBasis.VITAL_INTERESTS


def test_the_migration_marks_records_held_before_the_rule(cast, register):
    consented = register().victim
    held = register(processing_consent=False, lawful_basis="public_task", lawful_basis_note="x")
    held = held.victim
    Victim.objects.filter(pk=held.pk).update(lawful_basis="", lawful_basis_note="")
    bare = register(processing_consent=False, **NO_PERSONAL_DATA).victim
    migration = import_module("victims.migrations.0003_consent_binds")
    migration.mark_records_held_before_the_rule(django_apps, None)
    bases = dict(Victim.objects.values_list("pk", "lawful_basis"))
    assert bases == {consented.pk: "", held.pk: LawfulBasis.HELD_BEFORE_RULE, bare.pk: ""}
