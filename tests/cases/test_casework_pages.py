"""The pages of who works a case: assign, the list's filters, bulk reassignment, hand-overs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases import services
from cases.constants import HandOverStatus
from cases.models import Case, HandOver
from glo_act.submit_once import new_token
from liaison_offices import services as office_services
from liaison_offices.constants import Role
from tests.cast import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(cast):
    user = make_user("uk.colleague", first_name="Colin", last_name="League")
    office_services.membership_add(
        acting_user=None, user=user, role=Role.OFFICER, office=cast.offices["GBR"]
    )
    return user


@pytest.fixture
def uk_lead(cast):
    user = make_user("uk.lead", first_name="Lena", last_name="Lead")
    office_services.membership_add(
        acting_user=None, user=user, role=Role.OFFICE_LEAD, office=cast.offices["GBR"]
    )
    return user


def test_the_assign_page_assigns_and_the_case_page_says_who(cast, login, make_case, colleague):
    case = make_case("GBR")
    client = login(cast.uk)
    url = reverse("cases:assign", args=[case.reference])
    form = client.get(url).content.decode()
    assert "Colin League (uk.colleague)" in form and "italy.officer" not in form
    response = client.post(url, {"form_token": new_token(), "officer": colleague.pk})
    assert response.status_code == 302
    page = client.get(case.get_absolute_url()).content.decode()
    assert "Assigned officer" in page and "Colin League" in page
    # An officer of another office is not a choice: the field says so, nothing changes.
    wrong = client.post(url, {"form_token": new_token(), "officer": cast.italy.pk})
    assert wrong.status_code == 200 and "Select a valid choice" in wrong.content.decode()
    assert Case.objects.get(pk=case.pk).assigned_to == colleague


def test_a_share_recipient_neither_assigns_nor_sees_who_works_it(cast, login, make_case):
    case = make_case("GBR")
    services.case_assign(acting_user=cast.uk, case=case, officer=cast.uk)
    services.case_share(
        acting_user=cast.uk, case=case, office=cast.offices["ITA"], level=3, handling_code="H0"
    )
    client = login(cast.italy)
    assert client.get(reverse("cases:assign", args=[case.reference])).status_code == 403
    page = client.get(case.get_absolute_url()).content.decode()
    assert "Assigned officer" not in page and 'id="assignment"' not in page
    listing = client.get(reverse("cases:list")).content.decode()
    assert case.reference in listing and "Uk Cast" not in listing


def test_my_cases_and_unassigned_filters_on_the_list(cast, login, make_case, colleague):
    mine = make_case("GBR", title="Mine to work")
    make_case("GBR", title="Nobody's")
    services.case_assign(acting_user=cast.uk, case=mine, officer=colleague)
    client = login(colleague)
    page = client.get(reverse("cases:list"), {"assigned": "mine"}).content.decode()
    assert "Mine to work" in page and "Nobody&#x27;s" not in page
    page = client.get(reverse("cases:list"), {"assigned": "unassigned"}).content.decode()
    assert "Nobody&#x27;s" in page and "Mine to work" not in page
    odd = client.get(reverse("cases:list"), {"assigned": "everyone"}).content.decode()
    assert "Some filters were not understood" in odd


def test_bulk_reassignment_previews_confirms_and_summarises(
    cast, login, make_case, colleague, uk_lead
):
    cases = [make_case("GBR", title=f"Case {i}") for i in range(4)]
    for case in cases:
        services.case_assign(acting_user=cast.uk, case=case, officer=cast.uk)
    url = reverse("cases:reassign")
    assert login(cast.uk).get(url).status_code == 404  # an officer, not an office lead
    client = login(uk_lead)
    office = cast.offices["GBR"].pk
    shown = client.get(url, {"office": office, "from_officer": cast.uk.pk}).content.decode()
    assert "4</strong> open cases" in shown
    data = {
        "office": office,
        "from_officer": cast.uk.pk,
        "to_officer": colleague.pk,
        "which": "all",
    }
    preview = client.post(url, data)
    assert preview.status_code == 200 and "Reassign 4 cases?" in preview.content.decode()
    assert Case.objects.filter(assigned_to=colleague).count() == 0  # not before confirming
    done = client.post(url, {"form_token": new_token(), **data, "confirmed": "1"}, follow=True)
    assert "4 cases of GBR reassigned to Colin League" in done.content.decode()
    assert Case.objects.filter(assigned_to=colleague).count() == 4

    chosen = client.post(
        url,
        {
            "form_token": new_token(),
            **data,
            "from_officer": colleague.pk,
            "to_officer": cast.uk.pk,
            "which": "chosen",
        },
    )
    assert "Tick the cases to reassign" in chosen.content.decode()


def test_a_handover_asked_on_the_case_page_and_accepted_on_the_list(cast, login, make_case):
    case = make_case("ITA", title="Belongs in Madrid")
    italy = login(cast.italy)
    url = reverse("cases:handover", args=[case.reference])
    response = italy.post(
        url,
        {
            "form_token": new_token(),
            "to_office": cast.offices["ESP"].pk,
            "keep_level": "1",
            "keep_handling_code": "H0",
        },
    )
    assert response.status_code == 302
    handover = HandOver.objects.get()
    page = italy.get(case.get_absolute_url()).content.decode()
    assert "waiting for their answer" in page

    spain = login(cast.spain)
    listing = spain.get(reverse("cases:handovers")).content.decode()
    assert case.reference in listing and "Accept and lead the case" in listing
    bad = spain.post(
        reverse("cases:handover_decide", args=[handover.pk, "decline"]),
        {
            "form_token": new_token(),
        },
    )
    assert bad.status_code == 400 and "This field is required" in bad.content.decode()
    accepted = spain.post(reverse("cases:handover_decide", args=[handover.pk, "accept"]))
    assert accepted.status_code == 302 and accepted.url == case.get_absolute_url()
    assert HandOver.objects.get().status == HandOverStatus.ACCEPTED
    assert spain.get(case.get_absolute_url()).status_code == 200
    again = spain.post(reverse("cases:handover_decide", args=[handover.pk, "accept"]), follow=True)
    assert "already accepted" in again.content.decode()
    assert (
        login(cast.uk)
        .post(reverse("cases:handover_decide", args=[handover.pk, "withdraw"]))
        .status_code
        == 404
    )


def test_the_dashboard_counts_my_cases_unassigned_and_waiting_handovers(cast, login, make_case):
    mine, _other = make_case("GBR"), make_case("GBR")
    services.case_assign(acting_user=cast.uk, case=mine, officer=cast.uk)
    italy_case = make_case("ITA")
    services.handover_request(
        acting_user=cast.italy, case=italy_case, to_office=cast.offices["GBR"]
    )
    body = login(cast.uk).get(reverse("home")).content.decode()
    assert "Your casework" in body
    for label, count, url in [
        ("My open cases", 1, "/cases/?assigned=mine"),
        ("Unassigned open cases", 1, "/cases/?assigned=unassigned"),
        ("Hand-overs waiting for your answer", 1, "/cases/hand-overs/"),
    ]:
        row = body[body.index(label) - 400 : body.index(label)]
        assert f'href="{url}"' in row and f'<span class="count">{count}</span>' in row, label
    partner = login(cast.focal_point).get(reverse("home")).content.decode()
    assert "Your casework" not in partner
