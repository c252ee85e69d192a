"""The person index's pages: the case page's section, adding people and identifiers, the
one-click request, the network view and the look-up (people/views.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.constants import ShareLevel
from cases.models import CooperationRequest
from people.models import Identifier, PersonOfInterest

PHONE = "0300 1234567"


@pytest.fixture
def world(cast, make_case, person_with):
    """A UK case and an Italian one the UK cannot see, sharing a phone number."""
    uk = make_case("GBR", title="Recruiter in Sialkot")
    italy = make_case("ITA", title="Secret Lampedusa crossing")
    person_with(uk, ("phone", PHONE), label="Agent")
    person_with(italy, ("phone", "+92 300 1234567"), label="Skipper")
    return uk, italy


@pytest.mark.django_db
def test_the_case_page_shows_the_match_as_an_office_with_a_one_click_request(world, cast, login):
    uk, italy = world
    page = login(cast.uk).get(uk.get_absolute_url()).content.decode()
    assert "People and identifiers" in page and "+923001234567" in page
    assert "Office ITA (ITA) holds a case with this phone number" in page
    assert reverse("people:match_request", args=[uk.reference]) in page
    assert "Ask ITA" in page
    for secret in (italy.reference, italy.title, "Skipper"):
        assert secret not in page


@pytest.mark.django_db
def test_a_summary_share_sees_no_people_section(world, cast, login, share):
    uk, _ = world
    share(uk, "ESP", ShareLevel.SUMMARY)
    page = login(cast.spain).get(uk.get_absolute_url()).content.decode()
    assert "People and identifiers" not in page and "+923001234567" not in page
    network = login(cast.spain).get(reverse("people:network", args=[uk.reference]))
    assert network.status_code == 404


@pytest.mark.django_db
def test_the_one_click_request_goes_to_the_office_and_shows_the_request(world, cast, login):
    uk, italy = world
    client = login(cast.uk)
    page = client.get(uk.get_absolute_url()).content.decode()
    token = page.split('name="form_token" value="')[-1].split('"')[0]
    identifier = Identifier.objects.get(case=uk)
    response = client.post(
        reverse("people:match_request", args=[uk.reference]),
        {
            "identifier": identifier.pk,
            "office": cast.offices["ITA"].pk,
            "urgency": "normal",
            "form_token": token,
        },
    )
    request = CooperationRequest.objects.get()
    assert response.status_code == 302 and response.url == request.get_absolute_url()
    assert request.to_office.code == "ITA" and italy.reference not in request.question
    # The Italian officer now sees the UK case (summary) and the match as a link.
    page = login(cast.italy).get(italy.get_absolute_url()).content.decode()
    assert uk.reference in page


@pytest.mark.django_db
def test_adding_a_person_and_a_bad_identifier_shows_the_error_by_the_field(cast, login, make_case):
    case = make_case("GBR")
    client = login(cast.uk)
    form = client.get(reverse("people:person_add", args=[case.reference])).content.decode()
    token = form.split('name="form_token" value="')[-1].split('"')[0]
    response = client.post(
        reverse("people:person_add", args=[case.reference]),
        {"role": "witness", "label": "Witness 1", "form_token": token},
    )
    person = PersonOfInterest.objects.get(case=case)
    assert response.status_code == 302 and response.url.endswith(f"#person-{person.pk}")
    url = reverse("people:identifier_add", args=[case.reference, person.pk])
    form = client.get(url).content.decode()
    token = form.split('name="form_token" value="')[-1].split('"')[0]
    response = client.post(url, {"kind": "phone", "value": "not a number", "form_token": token})
    page = response.content.decode()
    assert response.status_code == 200 and "has-error" in page
    assert "This is not a phone number" in page
    assert not Identifier.objects.exists()
    response = client.post(url, {"kind": "cnic", "value": "35202-1234567-1", "form_token": token})
    assert response.status_code == 302 and Identifier.objects.get().kind == "cnic"


@pytest.mark.django_db
def test_a_share_recipient_cannot_add_people(world, cast, login, share):
    uk, _ = world
    share(uk, "ESP", ShareLevel.FULL_WITH_VICTIMS)
    response = login(cast.spain).get(reverse("people:person_add", args=[uk.reference]))
    assert response.status_code == 403
    page = login(cast.spain).get(uk.get_absolute_url()).content.decode()
    assert "+923001234567" in page and "Add a person" not in page and "Ask ITA" not in page


@pytest.mark.django_db
def test_the_network_is_inline_svg_with_escaped_labels(cast, login, make_case, person_with):
    case = make_case("GBR")
    other = make_case("GBR", title="Second <b>case</b>")
    person_with(case, ("name", "محمد"), label="<script>alert(1)</script>")
    person_with(other, ("name", "Muhammad"))
    response = login(cast.uk).get(reverse("people:network", args=[case.reference]))
    page = response.content.decode()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "<svg" in page and 'role="img"' in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert other.reference in page and "Second &lt;b&gt;case&lt;/b&gt;" in page
    assert "محمد" in page
    assert (
        login(cast.italy).get(reverse("people:network", args=[case.reference])).status_code == 404
    )


@pytest.mark.django_db
def test_the_look_up_answers_under_the_same_rule(world, cast, login, assert_queries):
    uk, italy = world
    client = login(cast.spain)
    url = reverse("people:lookup")
    form = client.get(url).content.decode()
    assert "Person-index look-up" in form and "Where this" not in form
    token = form.split('name="form_token" value="')[-1].split('"')[0]
    page = client.post(url, {"kind": "phone", "value": "923001234567", "form_token": token})
    text = page.content.decode()
    assert "Office GBR (GBR) holds a case with this phone number" in text
    assert "Office ITA (ITA)" in text
    for secret in (uk.reference, uk.title, italy.reference, italy.title):
        assert secret not in text
    # The UK officer sees its own case as a link, Italy's as an office.
    text = login(cast.uk).post(url, {"kind": "phone", "value": PHONE}).content.decode()
    assert uk.reference in text and italy.reference not in text and "Office ITA" in text
    bad = login(cast.uk).post(url, {"kind": "cnic", "value": "123"}).content.decode()
    assert "A CNIC number has 13 digits" in bad


@pytest.mark.django_db
def test_partners_have_no_look_up(cast, login):
    assert login(cast.focal_point).get(reverse("people:lookup")).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 6])
def test_case_page_and_look_up_queries_do_not_grow_with_matches(
    cast, login, make_case, person_with, assert_queries, n
):
    case = make_case("GBR")
    for i in range(n):
        other = make_case(["ITA", "ESP", "GBR"][i % 3])
        person_with(other, ("phone", f"0300 12345{i:02d}"), ("name", "Muhammad Ali"))
        person_with(case, ("phone", f"0300 12345{i:02d}"), ("name", "محمد علی"), label=f"P{i}")
    client = login(cast.uk)
    client.get(case.get_absolute_url())  # warm the session
    # The case page's queries (tests/cases/test_views.py) plus the people section's three: the
    # people with their identifiers, the matching rows, the visible cases among them.
    with assert_queries(17):
        page = client.get(case.get_absolute_url())
    assert page.content.decode().count('class="match') >= n
    # 1 session, 2 user, 3 scope, 4 the matching rows, 5 the visible cases, 6 unread badge.
    with assert_queries(6):
        client.post(reverse("people:lookup"), {"kind": "name", "value": "Muhammad Ali"})
