"""HQ admin for victims: the code in lists, personal data only after an audited reveal."""

from __future__ import annotations

import pytest
from django.urls import reverse

from liaison_offices.constants import Service
from tests.victims.conftest import ALICE
from victims.constants import ConsentPurpose, ReferralStatus
from victims.models import Consent, PersonalDataAccess, Referral, Victim
from victims.services import consent_record


def plaintext_in(html: str) -> list[str]:
    return [value for value in map(str, ALICE.values()) if value in html]


@pytest.mark.django_db
def test_the_victim_list_and_form_show_the_code_and_no_personal_data(cast, login, victim):
    client = login(cast.hq)
    listing = client.get(reverse("admin:victims_victim_changelist"))
    assert listing.status_code == 200
    assert victim.code in listing.text and not plaintext_in(listing.text)
    page = client.get(reverse("admin:victims_victim_change", args=[victim.pk]))
    assert page.status_code == 200
    assert "Reveal personal data" in page.text and not plaintext_in(page.text)
    history = client.get(reverse("admin:victims_victim_history", args=[victim.pk]))
    assert history.status_code == 200 and not plaintext_in(history.text)
    assert not PersonalDataAccess.objects.exists()


@pytest.mark.django_db
def test_a_reveal_asks_why_then_shows_and_records_the_read(cast, login, victim):
    client = login(cast.hq)
    url = reverse("admin:victims_victim_reveal", args=[victim.pk])
    ask = client.get(url)
    assert ask.status_code == 200 and not plaintext_in(ask.text)
    refused = client.post(url, {"reason": " "})
    assert not plaintext_in(refused.text) and not PersonalDataAccess.objects.exists()

    shown = client.post(url, {"reason": "Checking a duplicate reported by Italy"})
    assert set(plaintext_in(shown.text)) >= {ALICE["full_name"], ALICE["passport_number"]}
    record = PersonalDataAccess.objects.get()
    assert (record.user, record.victim, record.door) == (cast.hq, victim, "admin")
    assert record.reason == "Checking a duplicate reported by Italy"
    assert record.fields == list(ALICE)
    log = client.get(reverse("admin:victims_personaldataaccess_changelist"))
    assert victim.code in log.text and not plaintext_in(log.text)


@pytest.mark.django_db
def test_hq_registers_a_victim_through_the_service(cast, login, uk_case):
    client = login(cast.hq)
    response = client.post(
        reverse("admin:victims_victim_add"),
        {
            "case": uk_case.pk,
            "full_name": "Invented Person",
            "passport_number": "QQ123",
            "sex": "female",
            "identified_on": "2026-01-05",
            "identification_status": "possible",
            "migration_status": "unknown",
            "languages": "[]",
            "age_at_identification": "16",
            "processing_consent": "on",
        },
    )
    assert response.status_code == 302, response.text
    victim = Victim.objects.get()
    assert victim.code.startswith("V-GBR-") and victim.is_child
    assert victim.cases.get() == uk_case
    assert victim.history.get().history_user == cast.hq


@pytest.mark.django_db
def test_a_referral_the_service_refuses_is_shown_as_a_message(cast, login, victim):
    client = login(cast.hq)
    response = client.post(
        reverse("admin:victims_referral_add"),
        {
            "victim": victim.pk,
            "partner": cast.partners["IOM"].pk,
            "service": Service.SHELTER,
            "note": "",
            "override_reason": "",
        },
        follow=True,
    )
    assert "has not consented" in response.text
    assert not Referral.objects.exists()


@pytest.mark.django_db
def test_hq_withdraws_consents_and_revokes_referrals_with_admin_actions(cast, login, victim):
    consent = consent_record(
        acting_user=cast.uk,
        victim=victim,
        purpose=ConsentPurpose.REFERRAL,
        partner=cast.partners["IOM"],
        service=Service.SHELTER,
    )
    client = login(cast.hq)
    client.post(
        reverse("admin:victims_referral_add"),
        {
            "victim": victim.pk,
            "partner": cast.partners["IOM"].pk,
            "service": Service.SHELTER,
            "note": "Needs a bed tonight",
            "override_reason": "",
        },
    )
    referral = Referral.objects.get()
    assert referral.consent == consent and referral.from_office == cast.offices["GBR"]
    client.post(
        reverse("admin:victims_referral_changelist"),
        {"action": "revoke", "_selected_action": [referral.pk]},
    )
    client.post(
        reverse("admin:victims_consent_changelist"),
        {"action": "withdraw", "_selected_action": [consent.pk]},
    )
    assert Referral.objects.get().status == ReferralStatus.REVOKED
    assert Consent.objects.get(pk=consent.pk).withdrawn_by == cast.hq


@pytest.mark.django_db
def test_the_victims_admin_is_closed_to_officers(cast, login, victim):
    cast.uk.is_staff = True
    cast.uk.save()
    response = login(cast.uk).get(reverse("admin:victims_victim_reveal", args=[victim.pk]))
    assert response.status_code == 302
    assert not PersonalDataAccess.objects.exists()
