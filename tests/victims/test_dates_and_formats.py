"""Dates and formats that make sense (glo_act/validation.py), refused by the services for every
door with the field named: route legs in order and not in the future, a victim's date of
identification not in the future, follow-ups planned today or later and in order, CNICs as
5-7-1 digits (stored with dashes), passport numbers in their country's shape. A record saved
before the rules still displays and can be edited; a refused input changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from cases import services as case_services
from cases.models import Case, RouteLeg
from glo_act.errors import DomainError
from glo_act.submit_once import new_token
from glo_act.validation import (
    check_cnic,
    check_date,
    check_in_order,
    check_not_future,
    check_passport,
)
from victims import services as victim_services
from victims.models import ReintegrationFollowUp, Victim

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
TOMORROW = TODAY + dt.timedelta(days=1)


# --- the checks themselves ------------------------------------------------------------------------
def test_a_cnic_is_5_7_1_digits_with_or_without_dashes_and_is_stored_with_them():
    assert check_cnic("35202-1234567-1") == "35202-1234567-1"
    assert check_cnic("3520212345671") == "35202-1234567-1"
    assert check_cnic(" 35202 1234567 1 ") == "35202-1234567-1"
    assert check_cnic("") == ""
    for wrong in ("abc", "35202-123456-1", "35202-12345678-1", "3520212345671-9"):
        with pytest.raises(DomainError) as refused:
            check_cnic(wrong)
        assert refused.value.field == "cnic_number"
        assert wrong not in refused.value.message  # personal data is not quoted back


def test_passport_numbers_follow_their_countrys_pattern_where_known():
    assert check_passport("ab 123 4567", "PAK") == "AB1234567"
    with pytest.raises(DomainError, match="AB1234567") as refused:
        check_passport("A1234567", "PAK")
    assert refused.value.field == "passport_number"
    assert check_passport("X12", "ITA") == "X12"  # a country without a known shape: free
    assert check_passport("X12", None) == "X12"
    with pytest.raises(DomainError):
        check_passport("X" * 21, "ITA")  # but bounded
    with pytest.raises(DomainError):
        check_passport("X1!", None)


def test_dates_in_the_future_and_out_of_order_are_named():
    with pytest.raises(DomainError, match="cannot be in the future") as refused:
        check_not_future(TOMORROW, field="identified_on", what="The date of identification")
    assert refused.value.field == "identified_on"
    check_in_order([dt.date(2024, 1, 1), None, dt.date(2024, 2, 1)], field="x", what="Legs")
    with pytest.raises(DomainError, match="number 2"):
        check_in_order([dt.date(2024, 3, 1), dt.date(2024, 2, 1)], field="x", what="Legs")
    with pytest.raises(DomainError, match="YYYY-MM-DD"):
        check_date("31/02/2024", field="x")


def test_messages_are_in_the_readers_language():
    with translation.override("ur"), pytest.raises(DomainError) as refused:
        check_cnic("abc")
    assert refused.value.message  # whatever the catalogue holds, a message


# --- route legs ---------------------------------------------------------------------------------
def test_a_route_leg_in_the_future_or_before_the_last_one_is_refused(cast, uk_case):
    case_services.route_leg_add(
        acting_user=cast.uk,
        case=uk_case,
        stage="recruitment",
        country="PAK",
        date=dt.date(2024, 3, 1),
    )
    version = Case.objects.get(pk=uk_case.pk).version
    with pytest.raises(DomainError, match="cannot be in the future") as future:
        case_services.route_leg_add(
            acting_user=cast.uk, case=uk_case, stage="transit", country="ARE", date=TOMORROW
        )
    assert future.value.field == "date"
    with pytest.raises(DomainError, match="order of time") as early:
        case_services.route_leg_add(
            acting_user=cast.uk,
            case=uk_case,
            stage="transit",
            country="ARE",
            date=dt.date(2024, 1, 1),
        )
    assert early.value.field == "date"
    assert RouteLeg.objects.filter(case=uk_case).count() == 1
    assert Case.objects.get(pk=uk_case.pk).version == version  # nothing changed


def test_a_whole_route_out_of_order_is_refused_but_an_old_one_stays_editable(cast, uk_case):
    legs = [
        {"stage": "recruitment", "country": "PAK", "date": "2024-03-01"},
        {"stage": "exploitation", "country": "GBR", "date": "2024-01-01"},
    ]
    with pytest.raises(DomainError, match="order of time") as refused:
        case_services.case_set_route(acting_user=cast.uk, case=uk_case, legs=legs)
    assert refused.value.field == "route_legs"
    assert not RouteLeg.objects.filter(case=uk_case).exists()
    # A route stored before the rule, out of order: an edit that leaves those legs as they are
    # is saved, and the route still displays.
    RouteLeg.objects.bulk_create(
        [
            RouteLeg(
                case=uk_case,
                position=0,
                stage="recruitment",
                country_id="PAK",
                date=dt.date(2024, 3, 1),
            ),
            RouteLeg(
                case=uk_case,
                position=1,
                stage="exploitation",
                country_id="GBR",
                date=dt.date(2024, 1, 1),
            ),
        ]
    )
    case_services.case_set_route(
        acting_user=cast.uk, case=uk_case, legs=[*legs, {"stage": "transit", "country": "ARE"}]
    )
    assert RouteLeg.objects.filter(case=uk_case).count() == 3


def test_the_route_page_shows_the_error_next_to_the_date_and_saves_nothing(cast, login, uk_case):
    response = login(cast.uk).post(
        reverse("cases:route_add", kwargs={"reference": uk_case.reference}),
        {
            "form_token": new_token(),
            "stage": "transit",
            "country": "ARE",
            "place": "Dubai",
            "date": "2031-03-03",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_date_error"' in html and "cannot be in the future" in html
    assert not RouteLeg.objects.filter(case=uk_case).exists()


# --- victims ------------------------------------------------------------------------------------
def test_a_victim_identified_tomorrow_is_refused(cast, register):
    with pytest.raises(DomainError, match="cannot be in the future") as refused:
        register(identified_on=TOMORROW)
    assert refused.value.field == "identified_on"
    assert not Victim.objects.exists()


def test_a_cnic_is_stored_normalised_and_abc_is_refused(cast, register):
    victim = register(cnic_number="3520212345671").victim
    assert Victim.objects.get(pk=victim.pk).cnic_number.reveal() == "35202-1234567-1"
    with pytest.raises(DomainError) as refused:
        register(cnic_number="abc")
    assert refused.value.field == "cnic_number"
    with pytest.raises(DomainError) as passport:
        register(nationality="PAK", passport_number="123")
    assert passport.value.field == "passport_number"
    assert Victim.objects.count() == 1


def test_a_victim_stored_before_the_rules_is_still_editable(cast, register):
    victim = register().victim
    # As a record from before the rules: a CNIC "abc" and an identification in the future.
    Victim.objects.filter(pk=victim.pk).update(identified_on=TOMORROW)
    stored = Victim.objects.get(pk=victim.pk)
    stored.cnic_number = "abc"
    stored.save()
    stored = Victim.objects.get(pk=victim.pk)
    updated = victim_services.victim_update(
        acting_user=cast.uk,
        victim=stored,
        cnic_number="abc",  # as it is stored: kept
        identified_on=TOMORROW,  # likewise
        sex="female",  # the change made
    )
    assert updated.sex == "female" and updated.cnic_number.reveal() == "abc"
    with pytest.raises(DomainError):
        victim_services.victim_update(acting_user=cast.uk, victim=updated, cnic_number="abd")


def test_the_register_page_shows_the_cnic_error_next_to_the_field(cast, login, uk_case):
    from tests.victims.test_views import registration_data

    response = login(cast.uk).post(
        reverse("victims:register"), registration_data(uk_case, cnic_number="abc")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_cnic_number_error"' in html and "5-7-1" in html
    assert not Victim.objects.exists()


def test_the_register_page_refuses_an_identification_in_the_future(cast, login, uk_case):
    from tests.victims.test_views import registration_data

    response = login(cast.uk).post(
        reverse("victims:register"),
        registration_data(uk_case, identified_on=TOMORROW.isoformat()),
    )
    html = response.content.decode()
    assert 'id="id_identified_on_error"' in html and "cannot be in the future" in html
    assert not Victim.objects.exists()


# --- follow-ups ---------------------------------------------------------------------------------
@pytest.fixture
def accepted_referral(cast, register):
    victim = register(
        consents=[{"purpose": "referral", "partner": cast.partners["IOM"], "service": "shelter"}]
    ).victim
    referral = victim_services.referral_create(
        acting_user=cast.uk, victim=victim, partner=cast.partners["IOM"], service="shelter"
    )
    return victim_services.referral_accept(acting_user=cast.provider, referral=referral)


def test_follow_ups_are_planned_today_or_later(cast, accepted_referral):
    later = TODAY + dt.timedelta(days=90)
    with pytest.raises(DomainError, match="cannot be in the past") as past:
        victim_services.followup_schedule(
            acting_user=cast.uk,
            referral=accepted_referral,
            due_dates=[TOMORROW, TODAY - dt.timedelta(days=1)],
        )
    assert past.value.field == "due_dates"
    assert not ReintegrationFollowUp.objects.exists()
    victim_services.followup_schedule(
        acting_user=cast.uk, referral=accepted_referral, due_dates=[later, TOMORROW]
    )
    assert list(ReintegrationFollowUp.objects.values_list("due_on", flat=True)) == [TOMORROW, later]


def test_the_follow_up_page_names_the_date_out_of_order(cast, login, accepted_referral):
    url = reverse("victims:followup_schedule", kwargs={"pk": accepted_referral.pk})
    response = login(cast.uk).post(
        url,
        {
            "form_token": new_token(),
            "first": (TODAY + dt.timedelta(days=180)).isoformat(),
            "second": (TODAY + dt.timedelta(days=90)).isoformat(),
        },
    )
    html = response.content.decode()
    assert 'id="id_second_error"' in html and "in order" in html
    assert 'id="id_first_error"' not in html
    assert not ReintegrationFollowUp.objects.exists()


# --- the API: per field, in problem+json, nothing changed --------------------------------------
def test_the_api_names_the_field_in_problem_json_and_changes_nothing(cast, uk_case):
    from rest_framework.test import APIClient

    from liaison_offices.services import api_token_issue

    token, _ = api_token_issue(acting_user=None, user=cast.uk, ttl=dt.timedelta(days=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    url = f"/api/v1/cases/{uk_case.reference}/"
    etag = client.get(url)["ETag"]
    response = client.patch(
        url,
        {"labour_sector": "piracy"},
        format="json",
        HTTP_IF_MATCH=etag,
        HTTP_ACCEPT_LANGUAGE="ur",
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert "labour_sector" in response.json()["errors"]
    assert Case.objects.get(pk=uk_case.pk).version == uk_case.version


def test_raw_values_do_not_show_on_the_victim_page(cast, login, register):
    victim = register(identification_status="actual", identified_by="ngo").victim
    html = login(cast.uk).get(victim.get_absolute_url()).content.decode()
    assert "decided by NGO" in html and "decided by ngo" not in html
