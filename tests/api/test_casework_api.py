"""The API of who works a case: assignment and its filter, bulk reassignment, hand-overs."""

from __future__ import annotations

import pytest

from cases.constants import ShareLevel
from cases.grants import grant_drift
from cases.models import Case, CaseShare, HandOver
from liaison_offices import services as office_services
from liaison_offices.constants import Role
from tests.api.conftest import API
from tests.cast import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(cast):
    user = make_user("uk.colleague", first_name="Colin", last_name="League")
    office_services.membership_add(
        acting_user=None, user=user, role=Role.OFFICER, office=cast.offices["GBR"]
    )
    return user


def references(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["reference"] for row in response.json()["results"]]


def test_assign_then_my_cases_and_unassigned_agree_on_page_and_api(
    cast, api_client, login, make_case, share, colleague
):
    mine, other = make_case("GBR", title="Mine"), make_case("GBR", title="Other")
    share(mine, office="ITA", level=ShareLevel.FULL)
    response = api_client(cast.uk).post(
        f"{API}/cases/{mine.reference}/assign/", {"officer": "uk.colleague"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["assigned_to"] == "uk.colleague"

    client = api_client(colleague)
    assert references(client.get(f"{API}/cases/?assigned=mine")) == [mine.reference]
    assert references(client.get(f"{API}/cases/?assigned=unassigned")) == [other.reference]
    page = login(colleague).get("/cases/?assigned=mine")
    assert mine.reference in page.content.decode()
    assert other.reference not in page.content.decode()

    # The lead office sees who works it; a share recipient does not.
    listed = api_client(cast.uk).get(f"{API}/cases/").json()["results"]
    uk_rows = {row["reference"]: row for row in listed}
    assert uk_rows[mine.reference]["assigned_to"] == "uk.colleague"
    italy_row = api_client(cast.italy).get(f"{API}/cases/{mine.reference}/").json()
    assert italy_row["assigned_to"] is None
    assert references(api_client(cast.italy).get(f"{API}/cases/?assigned=mine")) == []


def test_assign_refusals_are_problems_and_change_nothing(cast, api_client, make_case, share):
    case = make_case("GBR")
    share(case, office="ITA", level=ShareLevel.FULL)
    url = f"{API}/cases/{case.reference}/assign/"
    wrong = api_client(cast.uk).post(url, {"officer": "italy.officer"}, format="json")
    assert wrong.status_code == 400
    assert "not an officer of GBR" in wrong.json()["errors"]["officer"][0]
    unknown = api_client(cast.uk).post(url, {"officer": "nobody.here"}, format="json")
    assert unknown.status_code == 400 and "officer" in unknown.json()["errors"]
    assert api_client(cast.italy).post(url, {"officer": None}, format="json").status_code == 403
    assert api_client(cast.uk).post(url, {}, format="json").status_code == 400
    assert Case.objects.get(pk=case.pk).assigned_to is None


def test_an_office_lead_reassigns_by_api(cast, api_client, make_case, colleague):
    lead = make_user("uk.lead")
    office_services.membership_add(
        acting_user=None, user=lead, role=Role.OFFICE_LEAD, office=cast.offices["GBR"]
    )
    cases = [make_case("GBR", title=f"C{i}") for i in range(3)]
    for case in cases:
        api_client(cast.uk).post(
            f"{API}/cases/{case.reference}/assign/", {"officer": "uk.officer"}, format="json"
        )
    body = {"office": "GBR", "from_officer": "uk.officer", "to_officer": "uk.colleague"}
    refused = api_client(cast.uk).post(f"{API}/cases/reassign/", body, format="json")
    assert refused.status_code == 403
    response = api_client(lead).post(f"{API}/cases/reassign/", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 3
    assert Case.objects.filter(assigned_to=colleague).count() == 3


def test_a_handover_through_the_api_and_every_door_agrees(cast, api_client, make_case):
    case = make_case("ITA", title="Belongs in Madrid")
    response = api_client(cast.italy).post(
        f"{API}/hand-overs/",
        {"case": case.reference, "to_office": "ESP", "keep_level": "summary", "note": "Moved"},
        format="json",
    )
    assert response.status_code == 201, response.content
    handover = response.json()
    assert (handover["status"], handover["keep_level"]) == ("pending", "summary")
    spain = api_client(cast.spain)
    assert [h["id"] for h in spain.get(f"{API}/hand-overs/").json()["results"]] == [handover["id"]]
    assert spain.get(f"{API}/cases/{case.reference}/").status_code == 404
    assert api_client(cast.uk).get(f"{API}/hand-overs/{handover['id']}/").status_code == 404
    refused = api_client(cast.italy).post(f"{API}/hand-overs/{handover['id']}/accept/")
    assert refused.status_code == 403

    accepted = spain.post(f"{API}/hand-overs/{handover['id']}/accept/")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted"
    detail = spain.get(f"{API}/cases/{case.reference}/").json()
    assert detail["lead_office"] == "ESP" and detail["access"]["level"] == "lead_office"
    italy = api_client(cast.italy).get(f"{API}/cases/{case.reference}/").json()
    assert italy["reference"] == case.reference
    assert italy["access"]["level"] == "summary"
    assert CaseShare.objects.filter(case=case, office=cast.offices["ITA"]).count() == 1
    assert grant_drift([case]) == []
    again = spain.post(f"{API}/hand-overs/{handover['id']}/decline/", {"reason": "x"})
    assert again.status_code == 400


def test_handover_bad_input_is_per_field(cast, api_client, make_case):
    case = make_case("ITA")
    client = api_client(cast.italy)
    bad_level = client.post(
        f"{API}/hand-overs/",
        {"case": case.reference, "to_office": "ESP", "keep_level": "everything"},
        format="json",
    )
    assert bad_level.status_code == 400 and "keep_level" in bad_level.json()["errors"]
    no_office = client.post(
        f"{API}/hand-overs/", {"case": case.reference, "to_office": "XXX"}, format="json"
    )
    assert no_office.status_code == 400 and "to_office" in no_office.json()["errors"]
    foreign = client.post(
        f"{API}/hand-overs/", {"case": "GBR-TIP-2026-9999", "to_office": "ESP"}, format="json"
    )
    assert foreign.status_code == 404
    assert not HandOver.objects.exists()
    created = client.post(
        f"{API}/hand-overs/", {"case": case.reference, "to_office": "ESP"}, format="json"
    ).json()
    decline = api_client(cast.spain).post(f"{API}/hand-overs/{created['id']}/decline/", {})
    assert decline.status_code == 400 and "reason" in decline.json()["errors"]
    assert HandOver.objects.get().status == "pending"
