"""victims/, the victims of a case, and referrals/: pseudonymous by default, reads recorded,
actions only for the receiving organisation."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.constants import HandlingCode, ShareLevel
from liaison_offices.constants import Service
from tests.api.conftest import API
from victims import services
from victims.constants import ConsentPurpose, ReferralStatus
from victims.models import PersonalDataAccess, Referral, ReferralUpdate

pytestmark = pytest.mark.django_db

# Invented: no real person is meant.
ZARMINA = {
    "full_name": "Zarmina Testwala",
    "date_of_birth": dt.date(1999, 3, 14),
    "passport_number": "AB1234567",
    "cnic_number": "35202-1234567-1",
    "phone": "+44 7700 900123",
    "address": "12 Imaginary Road, Slough",
}


@pytest.fixture
def victim(cast, uk_case):
    return services.victim_register(
        acting_user=cast.uk,
        case=uk_case,
        sex="female",
        age_at_identification=24,
        consents=[{"purpose": "data_processing"}],
        **ZARMINA,
    ).victim


def consent(cast, victim, **target):
    return services.consent_record(acting_user=cast.uk, victim=victim, **target)


@pytest.fixture
def referral(cast, victim):
    consent(
        cast,
        victim,
        purpose=ConsentPurpose.REFERRAL,
        partner=cast.partners["IOM"],
        service=Service.SHELTER,
    )
    return services.referral_create(
        acting_user=cast.uk, victim=victim, partner=cast.partners["IOM"], service=Service.SHELTER
    )


def reads_of(victim) -> list[tuple[str, str, list[str]]]:
    return [
        (r.user.username, r.door, r.fields)
        for r in PersonalDataAccess.objects.filter(victim=victim).order_by("id")
    ]


# --- victims ------------------------------------------------------------------------------------


def test_the_lead_office_reads_personal_data_and_the_read_is_recorded(cast, api_client, victim):
    client = api_client(cast.uk)
    listing = client.get(f"{API}/victims/").json()["results"]
    assert [v["code"] for v in listing] == [victim.code]
    assert "personal_data" not in listing[0]
    assert listing[0]["personal_data_fields"] == list(ZARMINA)
    assert "Zarmina" not in str(listing)
    assert reads_of(victim) == []  # a list never carries personal data
    body = client.get(f"{API}/victims/{victim.code}/").json()
    assert body["personal_data"]["full_name"] == "Zarmina Testwala"
    assert body["personal_data"]["date_of_birth"] == "1999-03-14"
    assert body["cases"] == [victim.cases.get().reference]
    assert reads_of(victim) == [("uk.officer", "api", list(ZARMINA))]


def test_victims_are_hidden_from_those_who_do_not_see_the_case(cast, api_client, victim):
    for user in (cast.italy, cast.focal_point, cast.provider):
        client = api_client(user)
        assert client.get(f"{API}/victims/").json()["results"] == []
        assert client.get(f"{API}/victims/{victim.code}/").status_code == 404
    assert reads_of(victim) == []


@pytest.mark.parametrize("level", [ShareLevel.SUMMARY, ShareLevel.FULL])
def test_below_full_with_victims_the_case_has_no_victims_and_the_victim_no_identity(
    cast, api_client, uk_case, victim, share, level
):
    share(uk_case, partner="BHC", level=level)
    consent(cast, victim, purpose=ConsentPurpose.SHARING, partner=cast.partners["BHC"])
    client = api_client(cast.focal_point)
    assert "victims" not in client.get(f"{API}/cases/{uk_case.reference}/").json()
    # Below "full with victims" a share shows the case, not its victims: on every door.
    assert client.get(f"{API}/victims/{victim.code}/").status_code == 404
    assert victim.code not in str(client.get(f"{API}/victims/").json())
    assert reads_of(victim) == []


def test_full_with_victims_without_consent_is_pseudonymous(
    cast, api_client, uk_case, victim, share
):
    share(uk_case, partner="BHC", level=ShareLevel.FULL_WITH_VICTIMS, handling_code=HandlingCode.H2)
    client = api_client(cast.focal_point)
    case_body = client.get(f"{API}/cases/{uk_case.reference}/").json()
    assert [v["code"] for v in case_body["victims"]] == [victim.code]
    assert case_body["victims"][0]["personal_data"] is None
    assert case_body["victims"][0]["personal_data_fields"] == []
    assert case_body["victims"][0]["age_band"] == "24-26"
    detail = client.get(f"{API}/victims/{victim.code}/").json()
    assert detail["personal_data"] is None
    assert "Zarmina" not in str(case_body) + str(detail)
    assert reads_of(victim) == []


def test_full_with_victims_and_consent_shows_personal_data_and_records_it(
    cast, api_client, uk_case, victim, share
):
    share(uk_case, partner="BHC", level=ShareLevel.FULL_WITH_VICTIMS)
    given = consent(cast, victim, purpose=ConsentPurpose.SHARING, partner=cast.partners["BHC"])
    client = api_client(cast.focal_point)
    case_body = client.get(f"{API}/cases/{uk_case.reference}/").json()
    assert case_body["victims"][0]["personal_data"]["passport_number"] == "AB1234567"
    assert reads_of(victim) == [("bhc.focal", "api", list(ZARMINA))]
    # Withdrawal hides it at once.
    services.consent_withdraw(acting_user=cast.uk, consent=given)
    again = client.get(f"{API}/victims/{victim.code}/").json()
    assert again["personal_data"] is None
    assert len(reads_of(victim)) == 1


def test_a_provider_sees_what_its_service_needs_while_working_the_referral(
    cast, api_client, victim, referral
):
    client = api_client(cast.provider)
    pending = client.get(f"{API}/victims/{victim.code}/").json()
    assert pending["personal_data"] is None  # not before it accepts
    assert pending["cases"] == []  # the case is not shared with IOM
    assert client.post(f"{API}/referrals/{referral.pk}/accept/").status_code == 200
    working = client.get(f"{API}/victims/{victim.code}/").json()
    assert working["personal_data"] == {
        "full_name": "Zarmina Testwala",
        "date_of_birth": "1999-03-14",
        "phone": "+44 7700 900123",
    }
    assert reads_of(victim) == [("iom.caseworker", "api", ["full_name", "date_of_birth", "phone"])]


def test_the_victim_list_costs_the_same_queries_for_10_or_100_rows(
    cast, api_client, uk_case, assert_queries
):
    for i in range(105):
        services.victim_register(
            acting_user=cast.uk,
            case=uk_case,
            full_name=f"Person {i}",
            consents=[{"purpose": "data_processing"}],
        )
    for user in (cast.uk, cast.hq):
        client = api_client(user)
        for size in (10, 100):
            # 1 token, user and scope, 2 count, 3 the page (with the personal-access mask),
            # 4 the links to the cases the user sees
            with assert_queries(4):
                response = client.get(f"{API}/victims/", {"page_size": size})
            assert len(response.json()["results"]) == size
    assert not PersonalDataAccess.objects.exists()


def test_bad_victim_filters_are_a_400(cast, api_client, victim):
    client = api_client(cast.uk)
    for params in ({"is_child": "maybe"}, {"identification_status": "certain"}):
        response = client.get(f"{API}/victims/", params)
        assert response.status_code == 400
        assert set(params) <= set(response.json()["errors"])
    assert [
        v["code"] for v in client.get(f"{API}/victims/", {"is_child": "false"}).json()["results"]
    ] == [victim.code]


# --- referrals ----------------------------------------------------------------------------------


def test_referrals_are_seen_by_the_sender_and_the_receiver(cast, api_client, referral):
    for user in (cast.uk, cast.provider, cast.hq):
        rows = api_client(user).get(f"{API}/referrals/").json()["results"]
        assert [r["id"] for r in rows] == [referral.pk], user
    for user in (cast.italy, cast.focal_point):
        client = api_client(user)
        assert client.get(f"{API}/referrals/").json()["results"] == []
        assert client.get(f"{API}/referrals/{referral.pk}/").status_code == 404
    body = api_client(cast.provider).get(f"{API}/referrals/{referral.pk}/").json()
    assert body["victim"] == referral.victim.code
    assert body["partner"]["short_name"] == "IOM"
    assert body["sent_without_consent"] is False
    assert [u["status_to"] for u in body["updates"]] == ["pending"]


def test_the_provider_accepts_reports_progress_and_completes(cast, api_client, referral):
    client = api_client(cast.provider)
    url = f"{API}/referrals/{referral.pk}/"
    accepted = client.post(url + "accept/", {"note": "Bed found in Lahore."}, format="json")
    assert accepted.json()["status"] == "accepted"
    progress = client.post(url + "progress/", {"note": "Moved in."}, format="json")
    assert progress.json()["status"] == "in_progress"
    completed = client.post(url + "complete/", {}, format="json")
    assert completed.status_code == 200
    assert completed.json()["status"] == "completed"
    statuses = [u["status_to"] for u in completed.json()["updates"]]
    assert statuses == ["pending", "accepted", "in_progress", "completed"]
    # Completed is final: the table refuses more.
    refused = client.post(url + "progress/", {"note": "More"}, format="json")
    assert refused.status_code == 409


def test_a_decline_needs_a_reason(cast, api_client, referral):
    client = api_client(cast.provider)
    url = f"{API}/referrals/{referral.pk}/decline/"
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        response = client.post(url, body, format="json")
        assert response.status_code == 400, body
        assert "reason" in response.json()["errors"]
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PENDING
    ok = client.post(url, {"reason": "No shelter places this month."}, format="json")
    assert ok.json()["status"] == "declined"
    assert ok.json()["decline_reason"] == "No shelter places this month."


def test_progress_needs_a_note(cast, api_client, referral):
    client = api_client(cast.provider)
    client.post(f"{API}/referrals/{referral.pk}/accept/")
    response = client.post(f"{API}/referrals/{referral.pk}/progress/", {}, format="json")
    assert response.status_code == 400
    assert "note" in response.json()["errors"]


def test_the_wrong_role_gets_403_if_it_sees_the_referral_and_404_if_not(cast, api_client, referral):
    for action in ("accept", "decline", "progress", "complete"):
        url = f"{API}/referrals/{referral.pk}/{action}/"
        body = {"reason": "x", "note": "x"}
        # The UK officer sent it: sees it, may not answer for IOM.
        assert api_client(cast.uk).post(url, body, format="json").status_code == 403
        for stranger in (cast.focal_point, cast.italy):
            assert api_client(stranger).post(url, body, format="json").status_code == 404
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PENDING


def test_a_stale_if_match_on_a_referral_action_is_a_412(cast, api_client, referral):
    client = api_client(cast.provider)
    url = f"{API}/referrals/{referral.pk}/"
    etag = client.get(url)["ETag"]
    assert client.post(url + "accept/", HTTP_IF_MATCH=etag).status_code == 200
    stale = client.post(url + "decline/", {"reason": "Oops"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED


def test_a_replayed_accept_returns_the_first_response(cast, api_client, referral):
    client = api_client(cast.provider)
    url = f"{API}/referrals/{referral.pk}/accept/"
    first = client.post(url, {"note": "On it"}, format="json", HTTP_IDEMPOTENCY_KEY="acc-1")
    replay = client.post(url, {"note": "On it"}, format="json", HTTP_IDEMPOTENCY_KEY="acc-1")
    assert first.status_code == replay.status_code == 200
    assert replay.json() == first.json()
    assert referral.updates.count() == 2  # pending + accepted, not a second accept attempt


def test_referral_filters_and_query_counts(cast, api_client, uk_case, assert_queries):
    iom = cast.partners["IOM"]
    for i in range(105):
        person = services.victim_register(
            acting_user=cast.uk,
            case=uk_case,
            full_name=f"Person {i}",
            consents=[{"purpose": "data_processing"}],
        ).victim
        consent(cast, person, purpose=ConsentPurpose.REFERRAL, partner=iom, service=Service.RETURN)
        services.referral_create(acting_user=cast.uk, victim=person, partner=iom, service="return")
    Referral.objects.filter(pk=Referral.objects.order_by("id").first().pk).update(
        status=ReferralStatus.ACCEPTED
    )
    client = api_client(cast.provider)
    assert len(client.get(f"{API}/referrals/", {"status": "accepted"}).json()["results"]) == 1
    assert client.get(f"{API}/referrals/", {"service": "shelter"}).json()["count"] == 0
    assert client.get(f"{API}/referrals/", {"status": "lost"}).status_code == 400
    for size in (10, 100):
        # 1 token, user and scope, 2 count, 3 the page (victim, office, partner joined)
        with assert_queries(3):
            response = client.get(f"{API}/referrals/", {"page_size": size})
        assert len(response.json()["results"]) == size


def test_two_clients_reporting_progress_on_one_read_the_second_gets_412(cast, api_client, referral):
    services.referral_accept(acting_user=cast.provider, referral=referral)
    client = api_client(cast.provider)
    url = f"{API}/referrals/{referral.pk}/"
    etag = client.get(url)["ETag"]
    first = client.post(url + "progress/", {"note": "Bed found"}, format="json", HTTP_IF_MATCH=etag)
    assert first.status_code == 200 and first["ETag"] != etag
    entries = ReferralUpdate.objects.filter(referral=referral).count()
    second = client.post(
        url + "progress/", {"note": "Bed found too"}, format="json", HTTP_IF_MATCH=etag
    )
    assert second.status_code == 412
    assert second["Content-Type"].startswith("application/problem+json")
    assert second["ETag"] == first["ETag"]
    assert ReferralUpdate.objects.filter(referral=referral).count() == entries
