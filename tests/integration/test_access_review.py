"""Access-boundary review: each test pins a leak found by reading the code across the doors
(pages, API, notifications). The cast is the fixed one (tests/cast.py).
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from cases import services as case_services
from cases.constants import (
    CaseKind,
    Exploitation,
    HandlingCode,
    RouteStage,
    ShareLevel,
    SuspectRole,
)
from liaison_offices.constants import EventKind, Service
from liaison_offices.models import NotificationEvent
from tests.api.conftest import API, api_client  # noqa: F401 -- the API client fixture
from victims import services as victim_services
from victims.constants import ConsentPurpose

pytestmark = pytest.mark.django_db


def fresh(user):
    """The user as the next request would load it (no remembered scope)."""
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def uk_case(cast):
    """A UK-led case with a suspect and a route: fields only a full share may see."""
    return case_services.case_create(
        acting_user=cast.uk,
        lead_office=cast.offices["GBR"],
        kind=CaseKind.TIP,
        title="Farm workers held in Lincolnshire",
        summary="Workers recruited in Punjab for farm work.",
        forms_of_exploitation=[Exploitation.FORCED_LABOUR],
        route_legs=[
            {"stage": RouteStage.RECRUITMENT, "country": "PAK", "place": "Gujranwala"},
        ],
        suspects=[{"role": SuspectRole.RECRUITER, "name": "Tariq Zulfiqar"}],
    )


def share(cast, case, *, level, office=None, partner=None):
    return case_services.case_share(
        acting_user=fresh(cast.uk),
        case=case,
        level=level,
        handling_code=HandlingCode.H0,
        office=cast.offices[office] if office else None,
        partner=cast.partners[partner] if partner else None,
    )


# --- a summary share must not answer questions about suspects and route -----------------------


def test_case_search_does_not_match_suspects_for_a_summary_share(cast, uk_case, login):
    share(cast, uk_case, partner="BHC", level=ShareLevel.SUMMARY)
    client = login(cast.focal_point)
    # The summary fields still match...
    assert uk_case.reference in client.get("/cases/", {"q": "Lincolnshire"}).content.decode()
    # ...but a suspect's name or a route place is full-level information: no oracle on it.
    assert uk_case.reference not in client.get("/cases/", {"q": "Zulfiqar"}).content.decode()
    assert uk_case.reference not in client.get("/cases/", {"q": "Gujranwala"}).content.decode()


def test_case_search_still_matches_suspects_for_the_lead_office_and_full_shares(
    cast, uk_case, login
):
    share(cast, uk_case, office="ITA", level=ShareLevel.FULL)
    for user in (cast.uk, cast.italy, cast.hq):
        body = login(user).get("/cases/", {"q": "Zulfiqar"}).content.decode()
        assert uk_case.reference in body, user


def test_api_case_search_does_not_match_suspects_for_a_summary_share(
    cast,
    uk_case,
    api_client,  # noqa: F811
):
    share(cast, uk_case, partner="BHC", level=ShareLevel.SUMMARY)
    client = api_client(cast.focal_point)
    found = client.get(f"{API}/cases/", {"search": "Lincolnshire"}).json()["results"]
    assert [row["reference"] for row in found] == [uk_case.reference]
    for text in ("Zulfiqar", "Gujranwala"):
        assert client.get(f"{API}/cases/", {"search": text}).json()["results"] == [], text


# --- the victims API's case filter must not confirm links to cases the caller cannot see ---------


def test_api_victim_case_filter_ignores_cases_the_caller_cannot_see(
    cast,
    uk_case,
    api_client,  # noqa: F811
):
    victim = victim_services.victim_register(
        acting_user=fresh(cast.uk),
        case=uk_case,
        full_name="Zarmina Testwala",
        consents=[{"purpose": "data_processing"}],
    ).victim
    victim_services.consent_record(
        acting_user=fresh(cast.uk),
        victim=victim,
        purpose=ConsentPurpose.REFERRAL,
        partner=cast.partners["IOM"],
        service=Service.SHELTER,
    )
    victim_services.referral_create(
        acting_user=fresh(cast.uk), victim=victim, partner=cast.partners["IOM"], service="shelter"
    )
    client = api_client(cast.provider)
    listed = client.get(f"{API}/victims/").json()["results"]
    assert [(row["code"], row["cases"]) for row in listed] == [(victim.code, [])]
    # IOM sees the victim (its referral) but not the UK case: filtering by the case's
    # reference must not confirm the case exists, nor that this victim is linked to it.
    filtered = client.get(f"{API}/victims/", {"case": uk_case.reference}).json()["results"]
    assert filtered == []
    # The lead office still filters by its own case.
    own = api_client(cast.uk).get(f"{API}/victims/", {"case": uk_case.reference}).json()
    assert [row["code"] for row in own["results"]] == [victim.code]


# --- a new message is announced only to those who may read messages ------------------------------


def test_message_event_skips_summary_share_recipients(cast, uk_case):
    share(cast, uk_case, office="ITA", level=ShareLevel.SUMMARY)
    share(cast, uk_case, office="ESP", level=ShareLevel.FULL)
    share(cast, uk_case, partner="BHC", level=ShareLevel.SUMMARY)
    case_services.message_post(
        acting_user=fresh(cast.uk),
        case=uk_case,
        body="Seen at Heathrow.",
        reliability="B",
        accuracy=2,
    )
    event = NotificationEvent.objects.get(kind=EventKind.CASE_MESSAGE)
    assert set(event.office_ids) == {cast.offices["ESP"].pk}
    assert event.partner_ids == []


# --- a recipient office does not learn who else holds the case -----------------------------------


def test_request_form_of_a_recipient_office_does_not_list_other_recipients(cast, uk_case, login):
    share(cast, uk_case, office="ITA", level=ShareLevel.FULL)
    share(cast, uk_case, office="ESP", level=ShareLevel.SUMMARY)
    share(cast, uk_case, partner="BHC", level=ShareLevel.SUMMARY)
    page = login(cast.italy).get(f"/cases/{uk_case.reference}/requests/new/").content.decode()
    assert "Office GBR" in page  # the lead office can be asked
    # Which other offices and organisations hold the case is the lead office's to know
    # (the case page and the API hide other recipients' shares from a recipient).
    assert "Office ESP" not in page
    assert "British High Commission" not in page


def test_a_recipient_office_cannot_probe_other_recipients_through_a_request(cast, uk_case):
    from cases.constants import RequestKind, Urgency
    from glo_act.errors import DomainError

    share(cast, uk_case, office="ITA", level=ShareLevel.FULL)
    share(cast, uk_case, partner="BHC", level=ShareLevel.SUMMARY)
    attempts = [
        {"to_partner": cast.partners["BHC"]},  # holds the case
        {"to_partner": cast.partners["IOM"]},  # does not
        {"to_office": cast.offices["ESP"]},  # does not
    ]
    refusals = []
    for target in attempts:
        with pytest.raises(DomainError) as refused:
            case_services.request_create(
                acting_user=fresh(cast.italy),
                case=uk_case,
                from_office=cast.offices["ITA"],
                kind=RequestKind.IDENTITY_CHECK,
                urgency=Urgency.NORMAL,
                question="Do you hold anything on this?",
                **target,
            )
        refusals.append(refused.value.message)
    # The same answer whether or not the target holds the case: no oracle.
    assert len(set(refusals)) == 1, refusals
    # Asking the lead office still works.
    case_services.request_create(
        acting_user=fresh(cast.italy),
        case=uk_case,
        from_office=cast.offices["ITA"],
        kind=RequestKind.IDENTITY_CHECK,
        urgency=Urgency.NORMAL,
        question="Do you hold anything on this?",
        to_office=cast.offices["GBR"],
    )
