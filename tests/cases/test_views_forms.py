"""Case pages, writing: every form goes through a service; refusals come back as inline errors
with the user's input kept; irreversible steps ask for confirmation; success is said.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.constants import (
    CaseStatus,
    HandlingCode,
    RequestKind,
    RequestStatus,
    ShareLevel,
    Urgency,
)
from cases.models import Case, CaseShare, CooperationRequest, Message, RouteLeg, Suspect
from glo_act.submit_once import new_token

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


def url(name: str, case: Case, **kwargs) -> str:
    return reverse(f"cases:{name}", kwargs={"reference": case.reference, **kwargs})


def share(cast, case, *, to, level=ShareLevel.FULL, code=HandlingCode.H0, **extra):
    target = {"office": cast.offices[to]} if to in cast.offices else {"partner": cast.partners[to]}
    return services.case_share(
        acting_user=cast.uk, case=case, level=level, handling_code=code, **target, **extra
    )


def offered(body: str, name: str) -> list[str]:
    """The values offered by the radio buttons or select options of field `name`."""
    radios = re.findall(rf'name="{name}" value="([^"]*)"', body)
    if radios:
        return radios
    select = body.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
    return [v for v in re.findall(r'<option value="([^"]*)"', select) if v]


# --- opening a case -----------------------------------------------------------------------------


def test_opening_a_case_leads_to_its_page_with_a_success_message(cast, login):
    client = login(cast.uk)
    response = client.post(
        reverse("cases:create"),
        {
            "form_token": new_token(),
            "kind": "TIP",
            "lead_office": cast.offices["GBR"].pk,
            "title": "Domestic workers in Birmingham",
            "forms_of_exploitation": ["domestic_servitude"],
        },
        follow=True,
    )
    case = Case.objects.get(title="Domestic workers in Birmingham")
    assert response.redirect_chain[-1][0] == case.get_absolute_url()
    assert f"Case {case.reference} opened." in text(response)
    assert case.lead_office == cast.offices["GBR"]


def test_opening_a_case_without_a_title_keeps_the_input_and_says_why(cast, login):
    response = login(cast.uk).post(
        reverse("cases:create"),
        {
            "form_token": new_token(),
            "kind": "SOM",
            "lead_office": cast.offices["GBR"].pk,
            "summary": "Boat from Libya",
        },
    )
    body = text(response)
    assert response.status_code == 200
    assert "There is a problem" in body
    assert re.search(r'id="id_title_error"', body)
    assert "Boat from Libya" in body  # kept
    assert re.search(r'value="SOM"[^>]*selected', body)
    assert not Case.objects.exists()


def test_an_officer_opens_cases_for_their_own_office_only(cast, login):
    client = login(cast.italy)
    body = text(client.get(reverse("cases:create")))
    assert offered(body, "lead_office") == [str(cast.offices["ITA"].pk)]
    response = client.post(
        reverse("cases:create"),
        {
            "form_token": new_token(),
            "kind": "TIP",
            "lead_office": cast.offices["GBR"].pk,
            "title": "Not mine",
        },
    )
    assert response.status_code == 200 and "There is a problem" in text(response)
    assert not Case.objects.exists()


def test_a_partner_cannot_open_cases(cast, login):
    client = login(cast.focal_point)
    response = client.get(reverse("cases:create"), follow=True)
    assert "Only link office officers can open cases." in text(response)


# --- editing and the stale edit -----------------------------------------------------------------


def test_editing_saves_and_says_so(cast, login, uk_case):
    client = login(cast.uk)
    response = client.post(
        url("edit", uk_case),
        {
            "form_token": new_token(),
            "title": "New title",
            "summary": "More detail",
            "version": uk_case.version,
        },
        follow=True,
    )
    assert "Changes saved." in text(response)
    uk_case.refresh_from_db()
    assert (uk_case.title, uk_case.summary, uk_case.version) == ("New title", "More detail", 2)


def test_a_stale_edit_shows_who_changed_what_and_keeps_the_input(cast, login, uk_case):
    client = login(cast.uk)
    form = text(client.get(url("edit", uk_case)))
    assert 'name="version" value="1"' in form
    # Meanwhile HQ renames the case.
    services.case_update(
        acting_user=cast.hq, case=uk_case, expected_version=1, title="Renamed by HQ"
    )
    # The officer, on the page they opened before, rewrites the summary only.
    response = client.post(
        url("edit", uk_case),
        {
            "form_token": new_token(),
            "title": uk_case.title,
            "summary": "My careful summary",
            "version": 1,
        },
    )
    body = text(response)
    assert response.status_code == 200
    assert "Someone else changed this case while you were editing" in body
    assert "Changed by <strong>Hq Cast</strong>" in body
    conflict = body.split('class="conflict"')[1].split("</section>")[0]
    assert "Title" in conflict and "Forced labour ring (GBR)" in conflict
    assert "Renamed by HQ" in conflict
    assert "Theirs (you had not changed it)" in conflict
    assert "My careful summary" in body  # the officer's input is kept
    assert 'value="Renamed by HQ"' in body  # and HQ's title is not silently undone
    assert 'name="version" value="2"' in body  # saving again is deliberate
    uk_case.refresh_from_db()
    assert (uk_case.title, uk_case.summary) == ("Renamed by HQ", "")  # nothing saved yet
    again = client.post(
        url("edit", uk_case),
        {
            "form_token": new_token(),
            "title": "Renamed by HQ",
            "summary": "My careful summary",
            "version": 2,
        },
    )
    assert again.status_code == 302
    uk_case.refresh_from_db()
    assert (uk_case.title, uk_case.summary) == ("Renamed by HQ", "My careful summary")


def test_when_both_changed_a_field_the_form_keeps_the_users_version(cast, login, uk_case):
    client = login(cast.uk)
    services.case_update(
        acting_user=cast.hq,
        case=uk_case,
        expected_version=1,
        title="HQ title",
        means_of_control=["threats"],
    )
    response = client.post(
        url("edit", uk_case), {"form_token": new_token(), "title": "My title", "version": 1}
    )
    body = text(response)
    conflict = body.split('class="conflict"')[1].split("</section>")[0]
    assert "Yours — you both changed it" in conflict
    assert "Threats" in conflict  # HQ's other change is listed too
    assert 'value="My title"' in body
    assert re.search(r'value="threats"[^>]*checked', body)  # and taken into the form
    uk_case.refresh_from_db()
    assert uk_case.title == "HQ title"


def test_a_reader_cannot_edit_or_move_a_shared_case(cast, login, uk_case):
    share(cast, uk_case, to="ITA")
    client = login(cast.italy)
    assert client.get(url("edit", uk_case)).status_code == 403
    response = client.post(
        url("status", uk_case), {"form_token": new_token(), "status": "closed", "version": 1}
    )
    assert response.status_code == 403
    uk_case.refresh_from_db()
    assert uk_case.status == CaseStatus.REPORTED


# --- status -------------------------------------------------------------------------------------


def test_only_allowed_transitions_are_offered(cast, login, uk_case):
    client = login(cast.uk)
    assert offered(text(client.get(url("status", uk_case))), "status") == [
        "under_investigation",
        "closed",
    ]
    services.case_transition(acting_user=cast.uk, case=uk_case, to_status="under_investigation")
    services.case_transition(
        acting_user=cast.uk, case=uk_case, to_status="referred_for_prosecution"
    )
    services.case_transition(acting_user=cast.uk, case=uk_case, to_status="in_court")
    body = text(client.get(url("status", uk_case)))
    assert offered(body, "status") == ["closed"]
    assert 'name="outcome"' in body and 'name="reason"' not in body


def test_an_illegal_transition_posted_anyway_is_refused(cast, login, uk_case):
    response = login(cast.uk).post(
        url("status", uk_case), {"form_token": new_token(), "status": "in_court", "version": 1}
    )
    assert response.status_code == 200
    assert "cannot move to “in_court”" in text(response)
    uk_case.refresh_from_db()
    assert uk_case.status == CaseStatus.REPORTED


def test_closing_needs_an_outcome_and_reopening_a_reason(cast, login, uk_case):
    client = login(cast.uk)
    response = client.post(
        url("status", uk_case), {"form_token": new_token(), "status": "closed", "version": 1}
    )
    assert 'id="id_outcome_error"' in text(response)
    assert "Closing a case needs an outcome" in text(response)
    response = client.post(
        url("status", uk_case),
        {"form_token": new_token(), "status": "closed", "outcome": "convicted", "version": 1},
        follow=True,
    )
    assert f"{uk_case.reference} is now closed." in text(response)
    body = text(client.get(url("status", uk_case)))
    assert offered(body, "status") == ["under_investigation"]
    response = client.post(
        url("status", uk_case),
        {"form_token": new_token(), "status": "under_investigation", "version": 2},
    )
    assert 'id="id_reason_error"' in text(response)
    response = client.post(
        url("status", uk_case),
        {
            "form_token": new_token(),
            "status": "under_investigation",
            "reason": "New witness",
            "version": 2,
        },
    )
    assert response.status_code == 302
    uk_case.refresh_from_db()
    assert uk_case.status == CaseStatus.UNDER_INVESTIGATION and uk_case.outcome == ""


# --- sharing and revoking -----------------------------------------------------------------------


def test_sharing_with_an_office_says_so_and_shows_on_the_case(cast, login, uk_case):
    client = login(cast.uk)
    body = text(client.get(url("share", uk_case)))
    recipients = offered(body, "recipient")
    assert f"office:{cast.offices['GBR'].pk}" not in recipients  # not with itself
    assert f"office:{cast.offices['HQ'].pk}" not in recipients  # HQ needs no share
    assert f"partner:{cast.partners['BHC'].pk}" in recipients
    response = client.post(
        url("share", uk_case),
        {
            "form_token": new_token(),
            "recipient": f"office:{cast.offices['ITA'].pk}",
            "level": "1",
            "handling_code": "H1",
        },
        follow=True,
    )
    page = text(response)
    assert "shared with Office ITA (ITA) — Summary, H1." in page
    assert CaseShare.objects.get(case=uk_case).handling_code == HandlingCode.H1


def test_an_h3_share_without_conditions_is_an_inline_error(cast, login, uk_case):
    response = login(cast.uk).post(
        url("share", uk_case),
        {
            "form_token": new_token(),
            "recipient": f"partner:{cast.partners['BHC'].pk}",
            "level": "2",
            "handling_code": "H3",
        },
    )
    assert response.status_code == 200
    assert 'id="id_handling_conditions_error"' in text(response)
    assert not CaseShare.objects.exists()


def test_revoking_asks_for_confirmation_first(cast, login, uk_case):
    granted = share(cast, uk_case, to="ITA")
    client = login(cast.uk)
    revoke = url("share_revoke", uk_case, pk=granted.pk)
    page = text(client.get(revoke))
    assert "Revoke the share to Office ITA (ITA)?" in page
    assert "This cannot be undone" in page
    response = client.post(
        revoke,
        {"form_token": new_token()},
    )
    assert response.status_code == 200 and "Tick the box to confirm." in text(response)
    granted.refresh_from_db()
    assert granted.revoked_at is None
    response = client.post(revoke, {"form_token": new_token(), "confirm": "on"}, follow=True)
    assert "Share to Office ITA (ITA) revoked." in text(response)
    granted.refresh_from_db()
    assert granted.revoked_at is not None


def test_a_recipient_cannot_revoke_the_share_it_holds(cast, login, uk_case):
    granted = share(cast, uk_case, to="ITA")
    client = login(cast.italy)
    response = client.post(
        url("share_revoke", uk_case, pk=granted.pk), {"form_token": new_token(), "confirm": "on"}
    )
    assert response.status_code == 200
    assert "Only the lead office" in text(response)
    granted.refresh_from_db()
    assert granted.revoked_at is None


def test_a_recipient_passes_the_case_on_under_the_same_code(cast, login, uk_case):
    share(cast, uk_case, to="ITA", level=ShareLevel.FULL, code=HandlingCode.H1)
    client = login(cast.italy)
    form = text(client.get(url("share", uk_case)))
    assert "partner:" not in form  # partners are the lead office's to choose
    response = client.post(
        url("share", uk_case),
        {
            "form_token": new_token(),
            "recipient": f"office:{cast.offices['ESP'].pk}",
            "level": "2",
            "handling_code": "H0",
        },
    )
    assert response.status_code == 200 and 'id="id_handling_code_error"' in text(response)
    response = client.post(
        url("share", uk_case),
        {
            "form_token": new_token(),
            "recipient": f"office:{cast.offices['ESP'].pk}",
            "level": "2",
            "handling_code": "H1",
        },
    )
    assert response.status_code == 302
    passed = CaseShare.objects.get(case=uk_case, office=cast.offices["ESP"])
    assert passed.passed_on_from is not None
    # Italy sees the share it passed on, and may revoke it.
    page = text(client.get(uk_case.get_absolute_url()))
    assert url("share_revoke", uk_case, pk=passed.pk) in page


# --- messages -----------------------------------------------------------------------------------


def test_posting_a_graded_message(cast, login, uk_case):
    client = login(cast.uk)
    response = client.post(
        url("message_post", uk_case),
        {
            "form_token": new_token(),
            "body": "Employer identified.",
            "reliability": "B",
            "accuracy": "2",
        },
        follow=True,
    )
    body = text(response)
    assert "Message posted." in body
    assert "Employer identified." in body and ">B2<" in body


def test_an_empty_message_is_an_inline_error(cast, login, uk_case):
    response = login(cast.uk).post(
        url("message_post", uk_case),
        {"form_token": new_token(), "body": "", "reliability": "A", "accuracy": "1"},
    )
    assert response.status_code == 200
    assert 'id="id_body_error"' in text(response)
    assert not Message.objects.exists()


def test_posting_with_htmx_swaps_the_thread_only(cast, login, uk_case):
    response = login(cast.uk).post(
        url("message_post", uk_case),
        {"form_token": new_token(), "body": "Via htmx", "reliability": "A", "accuracy": "1"},
        HTTP_HX_REQUEST="true",
    )
    body = text(response)
    assert body.lstrip().startswith('<section class="card" id="messages"')
    assert "Via htmx" in body and "Message posted." in body
    assert "<html" not in body


def test_a_summary_recipient_cannot_post_messages(cast, login, uk_case):
    share(cast, uk_case, to="ITA", level=ShareLevel.SUMMARY)
    client = login(cast.italy)
    assert url("message_post", uk_case) not in text(client.get(uk_case.get_absolute_url()))
    response = client.post(
        url("message_post", uk_case),
        {"form_token": new_token(), "body": "hi", "reliability": "A", "accuracy": "1"},
    )
    assert response.status_code == 404
    assert not Message.objects.exists()


# --- cooperation requests -----------------------------------------------------------------------


def test_a_request_is_sent_answered_late_with_a_reason_and_closed(cast, login, uk_case):
    share(cast, uk_case, to="ITA")
    uk = login(cast.uk)
    form = text(uk.get(url("request_create", uk_case)))
    assert offered(form, "recipient") == [f"office:{cast.offices['ITA'].pk}"]  # who sees it
    response = uk.post(
        url("request_create", uk_case),
        {
            "form_token": new_token(),
            "recipient": f"office:{cast.offices['ITA'].pk}",
            "kind": RequestKind.WITNESS_STATEMENT,
            "urgency": Urgency.URGENT,
            "question": "Can the farm owner be interviewed?",
        },
        follow=True,
    )
    request = CooperationRequest.objects.get()
    assert "Request sent to Office ITA (ITA)" in text(response)
    CooperationRequest.objects.filter(pk=request.pk).update(
        due_at=timezone.now() - dt.timedelta(hours=1)
    )
    page = reverse("cases:request", kwargs={"pk": request.pk})
    italy = login(cast.italy)
    assert "say why the answer is late" in text(italy.get(page))
    response = italy.post(
        page, {"form_token": new_token(), "action": "answer", "answer": "Yes, on Monday."}
    )
    assert response.status_code == 200 and 'id="id_late_reason_error"' in text(response)
    assert "Yes, on Monday." in text(response)  # kept
    response = italy.post(
        page,
        {
            "form_token": new_token(),
            "action": "answer",
            "answer": "Yes, on Monday.",
            "late_reason": "Court holiday",
        },
        follow=True,
    )
    assert "Answer sent." in text(response)
    request.refresh_from_db()
    assert request.status == RequestStatus.ANSWERED and request.late_reason == "Court holiday"
    # The sender closes it, after confirming.
    uk = login(cast.uk)
    response = uk.post(page, {"form_token": new_token(), "action": "close"}, follow=True)
    assert "Tick “Yes, close it”" in text(response)
    response = uk.post(
        page, {"form_token": new_token(), "action": "close", "confirm": "on"}, follow=True
    )
    assert "Request closed." in text(response)
    request.refresh_from_db()
    assert request.status == RequestStatus.CLOSED


def test_only_the_recipient_is_offered_the_answer_form(cast, login, uk_case):
    share(cast, uk_case, to="ITA")
    request = services.request_create(
        acting_user=cast.uk,
        case=uk_case,
        from_office=cast.offices["GBR"],
        to_office=cast.offices["ITA"],
        kind=RequestKind.EVIDENCE,
        urgency=Urgency.NORMAL,
        question="Bank records?",
    )
    page = reverse("cases:request", kwargs={"pk": request.pk})
    uk = login(cast.uk)
    assert 'value="answer"' not in text(uk.get(page))
    response = uk.post(
        page,
        {"form_token": new_token(), "action": "answer", "answer": "Answering myself"},
        follow=True,
    )
    assert "Only ITA can answer this request." in text(response)
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN


# --- route legs and suspects --------------------------------------------------------------------


def test_adding_and_removing_a_route_leg(cast, login, uk_case):
    client = login(cast.uk)
    response = client.post(
        url("route_add", uk_case),
        {
            "form_token": new_token(),
            "stage": "transit",
            "country": "TUR",
            "place": "Van",
            "mode": "land",
        },
        follow=True,
    )
    assert "Route leg added." in text(response)
    leg = RouteLeg.objects.get(case=uk_case)
    remove = url("route_remove", uk_case, pk=leg.pk)
    assert "Remove this route leg?" in text(client.get(remove))
    client.post(remove, {"form_token": new_token(), "confirm": "on"})
    assert not RouteLeg.objects.filter(case=uk_case).exists()


def test_a_route_leg_needs_a_country(cast, login, uk_case):
    response = login(cast.uk).post(
        url("route_add", uk_case), {"form_token": new_token(), "stage": "transit"}
    )
    assert response.status_code == 200 and 'id="id_country_error"' in text(response)


def test_adding_a_suspect(cast, login, uk_case):
    response = login(cast.uk).post(
        url("suspect_add", uk_case),
        {
            "form_token": new_token(),
            "name": "Bilal",
            "roles": ["smuggler"],
            "nationality": "PAK",
            "sex": "male",
            "age_band": "30-38",
        },
        follow=True,
    )
    assert "Suspect added." in text(response)
    assert Suspect.objects.get(case=uk_case).name == "Bilal"
    assert "Bilal" in text(response)


def test_another_office_cannot_remove_a_suspect(cast, login, uk_case):
    suspect = services.suspect_add(acting_user=cast.uk, case=uk_case, role="recruiter", name="X")
    response = login(cast.spain).post(
        url("suspect_remove", uk_case, pk=suspect.pk), {"form_token": new_token(), "confirm": "on"}
    )
    assert response.status_code == 404
    assert Suspect.objects.filter(pk=suspect.pk).exists()
