"""Victim pages: list, register (with consent and duplicate hints), the victim page by code,
reveal (recorded), edit, consent withdrawal — who sees what, form errors and query counts.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from cases.constants import HandlingCode, ShareLevel
from glo_act import pages
from glo_act.submit_once import new_token
from liaison_offices.constants import Service
from tests.two_factor import REVEAL
from tests.victims.conftest import ALICE, PROCESSING, fresh, make_case, share
from victims import services
from victims.constants import AccessDoor, ConsentPurpose
from victims.models import Consent, PersonalDataAccess, Victim

pytestmark = pytest.mark.django_db
NAME = ALICE["full_name"]


def detail(victim) -> str:
    return reverse("victims:detail", kwargs={"code": victim.code})


def text(response) -> str:
    return response.content.decode()


def registration_data(case, **extra) -> dict:
    data = {
        "form_token": new_token(),
        "case": case.reference,
        "full_name": "Nadia Invented",
        "date_of_birth": "2001-02-03",
        "passport_number": "ZX9876543",
        "sex": "female",
        "identified_on": "2026-01-15",
        "identification_status": "possible",
        "migration_status": "unknown",
        "forms_of_exploitation": ["domestic_servitude"],
        "languages": "Urdu, English",
        "nationality": "PAK",
        "consent-data_processing": "on",
    }
    data.update(extra)
    return data


# --- seeing a victim ----------------------------------------------------------------------------


def test_the_victim_page_shows_the_code_and_no_personal_data_until_revealed(cast, login, victim):
    response = login(cast.uk).get(detail(victim))
    html = text(response)
    assert response.status_code == 200
    assert victim.code in html
    assert NAME not in html and ALICE["passport_number"] not in html
    assert "Reveal personal data" in html
    assert not PersonalDataAccess.objects.exists()


def test_revealing_shows_the_data_records_the_read_and_is_not_cached(cast, login, victim):
    client = login(cast.uk)
    response = client.post(reverse("victims:reveal", kwargs={"code": victim.code}), REVEAL)
    html = text(response)
    assert NAME in html and ALICE["passport_number"] in html and "14 Mar 1999" in html
    assert "no-store" in response["Cache-Control"]
    record = PersonalDataAccess.objects.get()
    assert (record.user, record.victim, record.door) == (cast.uk, victim, AccessDoor.PAGE)
    assert set(record.fields) == set(ALICE)
    # The data lives in that response only: the page shows the code again afterwards.
    assert NAME not in text(client.get(detail(victim)))


def test_reveal_with_htmx_swaps_only_the_personal_data_panel(cast, login, victim):
    response = login(cast.uk).post(
        reverse("victims:reveal", kwargs={"code": victim.code}), REVEAL, HTTP_HX_REQUEST="true"
    )
    html = text(response)
    assert html.lstrip().startswith('<section class="card personal-data" id="personal"')
    assert NAME in html and "<html" not in html


def test_revealing_by_get_is_not_allowed(cast, login, victim):
    response = login(cast.uk).get(reverse("victims:reveal", kwargs={"code": victim.code}))
    assert response.status_code == 405
    assert not PersonalDataAccess.objects.exists()


@pytest.mark.parametrize("url_name", ["detail", "reveal", "edit", "refer", "consent_record"])
def test_italy_gets_404_on_every_page_of_a_uk_victim(cast, login, victim, url_name):
    url = reverse(f"victims:{url_name}", kwargs={"code": victim.code})
    unknown = reverse(f"victims:{url_name}", kwargs={"code": "V-GBR-2026-9999"})
    client = login(cast.italy)
    for method in ("get", "post"):
        status = getattr(client, method)(url, {"full_name": "x"}).status_code
        # Exactly what a code that does not exist gets (404; 405 where the method is wrong).
        assert status == getattr(client, method)(unknown, {"full_name": "x"}).status_code
        assert status in (404, 405)
    assert client.get(url).status_code == (405 if url_name == "reveal" else 404)
    assert not PersonalDataAccess.objects.exists()


def test_italy_gets_404_on_a_uk_consent_withdrawal(cast, login, victim, shelter_consent):
    url = reverse(
        "victims:consent_withdraw", kwargs={"code": victim.code, "pk": shelter_consent.pk}
    )
    assert (
        login(cast.italy).post(url, {"form_token": new_token(), "confirm": "on"}).status_code == 404
    )
    shelter_consent.refresh_from_db()
    assert shelter_consent.withdrawn_at is None


def test_a_share_without_consent_shows_the_code_only(cast, login, victim, uk_case):
    share(uk_case, office=cast.offices["ITA"], level=ShareLevel.FULL_WITH_VICTIMS)
    client = login(fresh(cast.italy))
    html = text(client.get(detail(victim)))
    assert victim.code in html and NAME not in html
    assert "Reveal personal data" not in html
    assert "Edit" not in html and "Refer to a service" not in html
    reveal = reverse("victims:reveal", kwargs={"code": victim.code})
    assert client.post(reveal, REVEAL).status_code == 403
    assert not PersonalDataAccess.objects.exists()


def test_consent_to_share_with_italy_opens_the_reveal_button_to_italy(cast, login, victim, uk_case):
    share(uk_case, office=cast.offices["ITA"], level=ShareLevel.FULL_WITH_VICTIMS)
    services.consent_record(
        acting_user=cast.uk,
        victim=victim,
        purpose=ConsentPurpose.SHARING,
        office=cast.offices["ITA"],
    )
    client = login(fresh(cast.italy))
    assert "Reveal personal data" in text(client.get(detail(victim)))
    assert NAME in text(
        client.post(reverse("victims:reveal", kwargs={"code": victim.code}), REVEAL)
    )


def test_a_focal_point_with_a_summary_share_learns_nothing_personal(cast, login, victim, uk_case):
    share(uk_case, partner=cast.partners["BHC"], level=ShareLevel.SUMMARY)
    html = text(login(fresh(cast.focal_point)).get(detail(victim)))
    assert NAME not in html and "Reveal personal data" not in html


# --- the list -----------------------------------------------------------------------------------


def test_the_list_shows_codes_of_visible_victims_only(cast, login, register):
    uk_victim = register().victim
    italy_case = make_case(cast.offices["ITA"])
    italy_victim = services.victim_register(
        acting_user=cast.italy, case=italy_case, full_name="Other Person", consents=[PROCESSING]
    ).victim
    html = text(login(cast.uk).get(reverse("victims:list")))
    assert uk_victim.code in html and italy_victim.code not in html
    assert NAME not in html
    html = text(login(cast.hq).get(reverse("victims:list")))
    assert uk_victim.code in html and italy_victim.code in html


def test_the_list_filters_children(cast, login, register):
    child = register(full_name="A Child", date_of_birth=None, age_at_identification=12).victim
    adult = register(full_name="An Adult", date_of_birth=None, age_at_identification=40).victim
    html = text(login(cast.uk).get(reverse("victims:list"), {"child": "child"}))
    assert child.code in html and adult.code not in html


@pytest.mark.parametrize("n", [1, 8])
def test_the_victim_list_query_count_does_not_grow(cast, login, register, assert_queries, n):
    for i in range(n):
        register(full_name=f"Person {i}", passport_number=f"P{i:07d}")
    client = login(cast.uk)
    # 1 session, 2 user, 3 scope, 4 bounded count, 5 the page (office and nationality
    # joined), 6 unread badge.
    with assert_queries(6):
        response = client.get(reverse("victims:list"))
    assert text(response).count('data-label="Code"') == min(n, pages.PAGE_SIZE)


@pytest.mark.parametrize("n", [1, 6])
def test_the_victim_page_query_count_does_not_grow(cast, login, register, assert_queries, n):
    victim = register().victim
    for service in [Service.SHELTER, Service.RETURN, Service.REINTEGRATION][: min(n, 3)]:
        services.consent_record(
            acting_user=cast.uk,
            victim=victim,
            purpose=ConsentPurpose.REFERRAL,
            partner=cast.partners["IOM"],
            service=service,
        )
        services.referral_create(
            acting_user=cast.uk, victim=victim, partner=cast.partners["IOM"], service=service
        )
    for _ in range(n):
        services.victim_link_case(
            acting_user=cast.uk, victim=victim, case=make_case(cast.offices["GBR"])
        )
    client = login(cast.uk)
    # 1 session, 2 user, 3 scope, 4 the victim (visibility, may-change and personal-data
    # rule in one query), 5 linked cases, 6 consents, 7 referrals, 8 the victim's documents
    # (evidence/panels.py), 9 unread badge.
    with assert_queries(9):
        assert client.get(detail(victim)).status_code == 200


# --- registering --------------------------------------------------------------------------------


def test_the_register_link_preselects_the_case(cast, login, uk_case):
    html = text(login(cast.uk).get(reverse("victims:register"), {"case": uk_case.reference}))
    assert f'value="{uk_case.reference}"' in html
    assert uk_case.title in html
    # Each purpose is its own explicit choice, organisations and services named.
    for label in (
        "Processing of personal data",
        "Use in statistics",
        "Sharing with a named organisation",
        "International Organization for Migration",
        "IOM — Shelter",
        "IOM — Return / repatriation",
    ):
        assert label in html


def test_the_case_page_links_to_registration(cast, login, uk_case):
    html = text(login(cast.uk).get(uk_case.get_absolute_url()))
    assert f"{reverse('victims:register')}?case={uk_case.reference}" in html
    html = text(login(cast.hq).get(uk_case.get_absolute_url()))
    assert "Register a victim" in html


def test_registering_records_the_victim_and_each_consent(cast, login, uk_case):
    iom = cast.partners["IOM"]
    data = registration_data(
        uk_case,
        **{
            "consent-data_processing": "on",
            "consent-statistics": "on",
            "consent-sharing": [f"partner:{iom.pk}"],
            "consent-referral": [f"{iom.pk}:shelter"],
            "consent-note": "In writing, Urdu interpreter",
        },
    )
    response = login(cast.uk).post(reverse("victims:register"), data, follow=True)
    victim = Victim.objects.get()
    assert response.redirect_chain[-1][0] == detail(victim)
    html = text(response)
    assert f"Victim {victim.code} registered on {uk_case.reference}." in html
    assert "Nadia Invented" not in html  # the page shows the code
    assert victim.cases.get() == uk_case
    consents = {
        (c.purpose, c.partner_id, c.service, c.note) for c in Consent.objects.filter(victim=victim)
    }
    note = "In writing, Urdu interpreter"
    assert consents == {
        (ConsentPurpose.DATA_PROCESSING, None, "", note),
        (ConsentPurpose.STATISTICS, None, "", note),
        (ConsentPurpose.SHARING, iom.pk, "", note),
        (ConsentPurpose.REFERRAL, iom.pk, Service.SHELTER, note),
    }
    assert victim.languages == ["Urdu", "English"] and victim.nationality_id == "PAK"


def test_registering_without_any_consent_records_none(cast, login, uk_case):
    data = registration_data(uk_case, full_name="", date_of_birth="", passport_number="")
    del data["consent-data_processing"]
    login(cast.uk).post(reverse("victims:register"), data)
    assert Victim.objects.count() == 1 and not Consent.objects.exists()


def test_a_case_the_user_cannot_see_is_a_form_error_not_a_leak(cast, login):
    italy_case = make_case(cast.offices["ITA"], title="Italian secret")
    response = login(cast.uk).post(reverse("victims:register"), registration_data(italy_case))
    html = text(response)
    assert response.status_code == 200
    assert f"No case {italy_case.reference} that you can see." in html
    assert "Italian secret" not in html
    assert not Victim.objects.exists()


def test_service_refusals_show_on_their_field(cast, login, uk_case):
    # An actual victim needs who decided it: the service says so, on that field.
    response = login(cast.uk).post(
        reverse("victims:register"),
        registration_data(uk_case, identification_status="actual"),
    )
    html = text(response)
    assert "Say who decided the identification status" in html
    assert 'href="#id_identified_by"' in html
    assert 'value="Nadia Invented"' in html  # the input is kept
    assert not Victim.objects.exists()


def test_form_errors_are_listed_and_linked(cast, login, uk_case):
    response = login(cast.uk).post(
        reverse("victims:register"),
        registration_data(uk_case, date_of_birth="2999-01-01", age_at_identification="130"),
    )
    html = text(response)
    assert "There is a problem" in html
    assert "The date of birth cannot be in the future" in html
    assert 'href="#id_age_at_identification"' in html
    assert not Victim.objects.exists()


def test_the_duplicate_hint_names_the_office_and_the_matched_fields_only(cast, login, victim):
    italy_case = make_case(cast.offices["ITA"])
    data = registration_data(
        italy_case, full_name="Someone Else", passport_number=ALICE["passport_number"]
    )
    response = login(cast.italy).post(reverse("victims:register"), data, follow=True)
    html = text(response)
    assert (
        "Possible duplicate: Office GBR (GBR) has recorded someone with the same passport "
        "number. Contact that office before going further."
    ) in html
    assert victim.code not in html and NAME not in html


def test_service_providers_cannot_register_victims(cast, login):
    assert login(cast.provider).get(reverse("victims:register")).status_code == 403


# --- editing and consent ------------------------------------------------------------------------


def test_editing_shows_personal_data_records_it_and_saves(cast, login, victim):
    client = login(cast.uk)
    url = reverse("victims:edit", kwargs={"code": victim.code})
    html = text(client.get(url))
    assert f'value="{NAME}"' in html
    record = PersonalDataAccess.objects.get()
    assert record.reason == "Opened the edit form" and record.door == AccessDoor.PAGE
    data = registration_data(
        victim.cases.get(), full_name="Zarmina Renamed", sex="female", version=victim.version
    )
    del data["case"]
    response = client.post(url, data)
    assert response.status_code == 302
    victim = Victim.objects.get(pk=victim.pk)
    assert victim.full_name.reveal() == "Zarmina Renamed"
    assert victim.forms_of_exploitation == ["domestic_servitude"]


def test_only_the_recording_office_may_edit(cast, login, victim, uk_case):
    share(uk_case, office=cast.offices["ITA"], level=ShareLevel.FULL_WITH_VICTIMS)
    url = reverse("victims:edit", kwargs={"code": victim.code})
    assert login(fresh(cast.italy)).get(url).status_code == 403
    assert not PersonalDataAccess.objects.exists()


def test_recording_consent_offers_only_what_is_not_yet_given(cast, login, victim, shelter_consent):
    client = login(cast.uk)
    url = reverse("victims:consent_record", kwargs={"code": victim.code})
    html = text(client.get(url))
    iom = cast.partners["IOM"]
    assert f'value="{iom.pk}:return"' in html
    assert f'value="{iom.pk}:shelter"' not in html  # already given
    assert "Tick at least one thing" in text(
        client.post(
            url,
            {"form_token": new_token()},
        )
    )
    response = client.post(
        url, {"form_token": new_token(), "statistics": "on", "referral": [f"{iom.pk}:return"]}
    )
    assert response.status_code == 302
    assert set(Consent.objects.live().filter(victim=victim).values_list("purpose", "service")) == {
        (ConsentPurpose.DATA_PROCESSING, ""),
        (ConsentPurpose.REFERRAL, Service.SHELTER),
        (ConsentPurpose.REFERRAL, Service.RETURN),
        (ConsentPurpose.STATISTICS, ""),
    }


def test_withdrawing_consent_asks_for_confirmation(cast, login, victim, shelter_consent):
    client = login(cast.uk)
    url = reverse(
        "victims:consent_withdraw", kwargs={"code": victim.code, "pk": shelter_consent.pk}
    )
    html = text(client.get(url))
    assert "Withdraw this consent?" in html and "Referral to IOM for shelter" in html
    assert "Tick the box to confirm." in text(
        client.post(
            url,
            {"form_token": new_token()},
        )
    )
    shelter_consent.refresh_from_db()
    assert shelter_consent.withdrawn_at is None
    response = client.post(url, {"form_token": new_token(), "confirm": "on"}, follow=True)
    shelter_consent.refresh_from_db()
    assert shelter_consent.withdrawn_at is not None
    assert "Consent withdrawn: Referral to IOM for shelter." in text(response)
    assert re.search(r"Withdrawn \d", text(response))
    # A withdrawn consent is not withdrawn twice: its page goes back to the victim, saying so,
    # and a post (a page opened before) is refused without a change.
    again = client.get(url)
    assert again.status_code == 302 and again["Location"] == victim.get_absolute_url()
    refused = client.post(url, {"form_token": new_token(), "confirm": "on"})
    assert refused.status_code == 200 and "This consent was already withdrawn." in text(refused)
    withdrawn_at = shelter_consent.withdrawn_at
    shelter_consent.refresh_from_db()
    assert shelter_consent.withdrawn_at == withdrawn_at and shelter_consent.version == 2


def test_a_withdrawn_consent_is_no_longer_a_referral_option(cast, login, victim, shelter_consent):
    services.consent_withdraw(acting_user=cast.uk, consent=shelter_consent)
    html = text(login(cast.uk).get(reverse("victims:refer", kwargs={"code": victim.code})))
    assert "There is nothing to refer to" in html


def test_override_holders_may_refer_without_consent_with_a_reason(cast, login, victim):
    permission = Permission.objects.get(codename="override_referral_consent")
    cast.uk.user_permissions.add(permission)
    client = login(fresh(cast.uk))
    url = reverse("victims:refer", kwargs={"code": victim.code})
    iom = cast.partners["IOM"]
    assert "IOM — Shelter (no consent: override)" in text(client.get(url))
    html = text(client.post(url, {"form_token": new_token(), "target": f"{iom.pk}:shelter"}))
    assert "give the reason for the override" in html
    response = client.post(
        url,
        {
            "form_token": new_token(),
            "target": f"{iom.pk}:shelter",
            "override_reason": "Child in immediate danger",
        },
    )
    assert response.status_code == 302
    referral = victim.referrals.get()
    assert referral.consent is None and referral.override_reason == "Child in immediate danger"


def test_statistics_consent_is_shown_on_the_victim_page(cast, login, victim):
    services.consent_record(acting_user=cast.uk, victim=victim, purpose=ConsentPurpose.STATISTICS)
    html = text(login(cast.uk).get(detail(victim)))
    assert "Use in statistics" in html and "Withdraw…" in html


def test_a_case_shared_at_summary_does_not_show_italy_a_register_link(cast, login, uk_case):
    share(uk_case, office=cast.offices["ITA"], level=ShareLevel.SUMMARY)
    html = text(login(fresh(cast.italy)).get(uk_case.get_absolute_url()))
    assert "Register a victim" not in html
    assert HandlingCode.H0 in html


def test_a_provider_sees_what_its_service_needs_only_while_working_it(cast, login, referral):
    victim = referral.victim
    client = login(cast.provider)
    reveal = reverse("victims:reveal", kwargs={"code": victim.code})
    # Pending: the code only.
    assert "Reveal personal data" not in text(client.get(detail(victim)))
    assert client.post(reveal, REVEAL).status_code == 403
    services.referral_accept(acting_user=cast.provider, referral=referral)
    html = text(client.post(reveal, REVEAL))
    # Shelter needs the name, date of birth and phone: not the passport, CNIC or address.
    assert NAME in html and ALICE["phone"] in html and "14 Mar 1999" in html
    assert ALICE["passport_number"] not in html and ALICE["cnic_number"] not in html
    assert "Slough" not in html
    record = PersonalDataAccess.objects.get(user=cast.provider)
    assert set(record.fields) == {"full_name", "date_of_birth", "phone"}
