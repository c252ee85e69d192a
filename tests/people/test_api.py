"""The person index's API (people/api/): the case's people, writes, the one-click request and
the look-up, with problem+json errors, and the case detail's `people` section."""

from __future__ import annotations

import pytest

from cases.constants import ShareLevel
from cases.models import CooperationRequest
from people.models import Identifier

API = "/api/v1"
PROBLEM = "application/problem+json"


@pytest.fixture
def world(cast, make_case, person_with):
    uk = make_case("GBR", title="Recruiter in Sialkot")
    italy = make_case("ITA", title="Secret Lampedusa crossing")
    person_with(uk, ("phone", "0300 1234567"), label="Agent")
    person_with(italy, ("phone", "923001234567"), label="Skipper")
    return uk, italy


@pytest.mark.django_db
def test_the_case_people_tell_a_hidden_match_as_office_and_kind(world, cast, api_client):
    uk, italy = world
    response = api_client(cast.uk).get(f"{API}/cases/{uk.reference}/people/")
    assert response.status_code == 200
    [person] = response.json()["people"]
    [identifier] = person["identifiers"]
    assert identifier["value"] == "+923001234567" and identifier["matches"] == []
    assert identifier["held_elsewhere"] == [
        {"office": "ITA", "office_name": "Office ITA", "kind": "phone"}
    ]
    assert italy.reference not in response.content.decode()
    assert italy.title not in response.content.decode()


@pytest.mark.django_db
def test_levels_and_visibility(world, cast, api_client, share):
    uk, _ = world
    share(uk, "ESP", ShareLevel.SUMMARY)
    response = api_client(cast.spain).get(f"{API}/cases/{uk.reference}/people/")
    assert response.status_code == 403 and response["Content-Type"] == PROBLEM
    detail = api_client(cast.spain).get(f"{API}/cases/{uk.reference}/").json()
    assert "people" not in detail
    response = api_client(cast.spain).post(
        f"{API}/cases/{uk.reference}/people/", {"role": "witness", "label": "W"}, format="json"
    )
    assert response.status_code == 403
    share(uk, "ESP", ShareLevel.FULL)
    detail = api_client(cast.spain).get(f"{API}/cases/{uk.reference}/").json()
    assert detail["people"]["people"][0]["identifiers"][0]["value"] == "+923001234567"
    unseen = api_client(cast.focal_point).get(f"{API}/cases/{uk.reference}/people/")
    assert unseen.status_code == 404 and unseen["Content-Type"] == PROBLEM


@pytest.mark.django_db
def test_writes_and_their_errors(cast, make_case, api_client):
    case = make_case("GBR")
    client = api_client(cast.uk)
    created = client.post(
        f"{API}/cases/{case.reference}/people/",
        {"role": "witness", "label": "Witness 1"},
        format="json",
    )
    assert created.status_code == 201
    person_id = created.json()["people"][0]["id"]
    url = f"{API}/cases/{case.reference}/people/{person_id}/identifiers/"
    bad = client.post(url, {"kind": "phone", "value": "nope"}, format="json")
    assert bad.status_code == 400 and bad["Content-Type"] == PROBLEM
    assert "phone number" in bad.json()["errors"]["value"][0]
    wrong_type = client.post(url, {"kind": "phone", "value": 3001234567}, format="json")
    assert wrong_type.status_code == 400 and "value" in wrong_type.json()["errors"]
    good = client.post(url, {"kind": "name", "value": "محمد"}, format="json")
    assert good.status_code == 201 and Identifier.objects.get().kind == "name"
    missing = client.post(
        f"{API}/cases/{case.reference}/people/999999/identifiers/",
        {"kind": "name", "value": "x"},
        format="json",
    )
    assert missing.status_code == 404


@pytest.mark.django_db
def test_the_one_click_request_and_the_look_up(world, cast, api_client):
    uk, italy = world
    identifier = Identifier.objects.get(case=uk)
    client = api_client(cast.uk)
    refused = client.post(
        f"{API}/cases/{uk.reference}/people/ask/",
        {"identifier": identifier.pk, "office": "ESP"},
        format="json",
    )
    assert refused.status_code == 400 and "office" in refused.json()["errors"]
    sent = client.post(
        f"{API}/cases/{uk.reference}/people/ask/",
        {"identifier": identifier.pk, "office": "ita"},
        format="json",
    )
    assert sent.status_code == 201 and sent.json()["to_office"] == "ITA"
    assert italy.reference not in sent.json()["question"]
    assert CooperationRequest.objects.filter(case=uk, to_office__code="ITA").count() == 1

    found = api_client(cast.spain).post(
        f"{API}/people/lookup/", {"kind": "phone", "value": "+92 300 1234567"}, format="json"
    )
    assert found.status_code == 200
    assert {h["office"] for h in found.json()["held_elsewhere"]} == {"GBR", "ITA"}
    assert found.json()["matches"] == []
    partner = api_client(cast.focal_point).post(
        f"{API}/people/lookup/", {"kind": "phone", "value": "0300 1234567"}, format="json"
    )
    assert partner.status_code == 403 and partner["Content-Type"] == PROBLEM


@pytest.mark.django_db
def test_the_schema_documents_the_endpoints(cast, client):
    schema = client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert "/api/v1/people/lookup/" in paths
    assert "/api/v1/cases/{reference}/people/" in paths
    assert "/api/v1/cases/{reference}/people/ask/" in paths
    assert "/api/v1/cases/{reference}/people/{person}/identifiers/" in paths
    assert "people" in schema["components"]["schemas"]["CaseDetail"]["properties"]
