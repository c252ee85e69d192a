"""The HQ admin for cases, shares and requests: filters, search, and writes through the services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import services
from cases.constants import Exploitation, TimelineKind
from cases.grants import sync_case_grants
from cases.models import Case, CaseShare, CooperationRequest, RouteLeg
from liaison_offices.constants import EventKind
from liaison_offices.models import NotificationEvent

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/cases/case/"


def change_url(case: Case) -> str:
    return f"/admin/cases/case/{case.pk}/change/"


def form_data(response) -> dict:
    """The POST body the admin form would send back unchanged, inlines included."""

    def value(bound_field):
        raw = bound_field.value()
        if raw is None:
            return ""
        if isinstance(raw, dt.date | dt.datetime):
            return raw.isoformat()
        return raw

    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        data[form.add_prefix(name)] = value(form[name])
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = value(management[name])
        for inline_form in formset.forms:
            for name in inline_form.fields:
                data[inline_form.add_prefix(name)] = value(inline_form[name])
    return {key: val for key, val in data.items() if val is not False}


def prefix_of(response, *, creates_shares=False, model=None) -> str:
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        if creates_shares and getattr(formset, "creates_shares", False):
            return formset.prefix
        if model is not None and formset.model is model:
            return formset.prefix
    raise AssertionError("no such inline")


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def hq_client(cast, login):
    return login(cast.hq)


@pytest.fixture
def cases(cast, make_case):
    """A UK forced-labour case with a suspect, shared with BHC under H1; a Spanish SOM case."""
    uk = make_case(
        "GBR",
        title="Car wash workers",
        suspects=[{"name": "Tariq the agent", "role": "recruiter"}],
    )
    services.case_share(
        acting_user=cast.uk, case=uk, partner=cast.partners["BHC"], level=2, handling_code="H1"
    )
    spain = make_case(
        "ESP",
        kind="SOM",
        title="Boat to Almería",
        forms_of_exploitation=[],
        route_legs=[{"stage": "transit", "country": "MAR", "place": "Nador", "mode": "sea"}],
    )
    return uk, spain


def listed(response) -> set[str]:
    return {case.reference for case in response.context["cl"].result_list}


def test_hq_filters_cases_by_office_kind_exploitation_and_handling_code(hq_client, cast, cases):
    uk, spain = cases
    assert listed(hq_client.get(CHANGELIST)) == {uk.reference, spain.reference}
    by_form = hq_client.get(CHANGELIST, {"exploitation": Exploitation.FORCED_LABOUR})
    assert listed(by_form) == {uk.reference}
    assert listed(hq_client.get(CHANGELIST, {"shared_under": "H1"})) == {uk.reference}
    assert listed(hq_client.get(CHANGELIST, {"shared_under": "H2"})) == set()
    assert listed(hq_client.get(CHANGELIST, {"kind__exact": "SOM"})) == {spain.reference}
    office = cast.offices["ESP"].pk
    assert listed(hq_client.get(CHANGELIST, {"lead_office__id__exact": office})) == {
        spain.reference
    }


def test_hq_searches_by_reference_title_suspect_and_place(hq_client, cases):
    uk, spain = cases
    assert listed(hq_client.get(CHANGELIST, {"q": "tariq"})) == {uk.reference}
    assert listed(hq_client.get(CHANGELIST, {"q": "Nador"})) == {spain.reference}
    assert listed(hq_client.get(CHANGELIST, {"q": spain.reference})) == {spain.reference}


def test_the_case_page_shows_route_suspects_shares_and_timeline(hq_client, cases):
    uk, _ = cases
    response = hq_client.get(change_url(uk))
    assert response.status_code == 200
    text = response.text
    assert "Tariq the agent" in text
    assert "Shared with BHC" in text  # the timeline, read-only
    assert "share this case" in text.lower()


def test_an_admin_edit_goes_through_the_service(hq_client, cast, cases):
    uk, _ = cases
    data = form_data(hq_client.get(change_url(uk)))
    data["title"] = "Car wash workers, Leicester"
    response = hq_client.post(change_url(uk), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    uk.refresh_from_db()
    assert (uk.title, uk.version, uk.updated_by) == ("Car wash workers, Leicester", 2, cast.hq)
    edit = uk.timeline.first()
    assert (edit.kind, edit.actor) == (TimelineKind.EDITED, cast.hq)
    assert edit.changes["fields"]["title"] == ["Car wash workers", "Car wash workers, Leicester"]


def test_a_stale_admin_edit_is_refused_with_who_changed_it_and_nothing_overwritten(
    hq_client, cast, cases
):
    uk, _ = cases
    data = form_data(hq_client.get(change_url(uk)))  # HQ opens the page at version 1
    services.case_update(acting_user=cast.uk, case=uk, expected_version=1, title="UK's title")
    data["title"] = "HQ's title"
    response = hq_client.post(change_url(uk), data)
    assert response.status_code == 200  # the form again, with the error; not a 500
    errors = " ".join(response.context["adminform"].form.non_field_errors())
    assert "Uk Cast" in errors and "UK's title" in errors and "Nothing was saved" in errors
    uk.refresh_from_db()
    assert (uk.title, uk.version) == ("UK's title", 2)


def test_a_status_change_in_the_admin_uses_the_transition_table(hq_client, cases):
    uk, _ = cases
    data = form_data(hq_client.get(change_url(uk)))
    data["status"] = "in_court"
    response = hq_client.post(change_url(uk), data, follow=True)
    assert response.status_code == 200
    assert any("can move to" in message for message in messages_of(response))
    uk.refresh_from_db()
    assert uk.status == "reported"

    data = form_data(hq_client.get(change_url(uk)))
    data["status"] = "closed"
    response = hq_client.post(change_url(uk), data, follow=True)
    assert any("needs an outcome" in message for message in messages_of(response))
    data["outcome"] = "no_further_action"
    assert hq_client.post(change_url(uk), data).status_code == 302
    uk.refresh_from_db()
    assert (uk.status, uk.outcome) == ("closed", "no_further_action")


def test_the_route_inline_is_saved_through_case_set_route(hq_client, cast, cases):
    _, spain = cases
    response = hq_client.get(change_url(spain))
    data = form_data(response)
    prefix = prefix_of(response, model=RouteLeg)
    data[f"{prefix}-TOTAL_FORMS"] = 2
    data.update(
        {
            f"{prefix}-1-stage": "exploitation",
            f"{prefix}-1-country": "ESP",
            f"{prefix}-1-place": "Almería",
            f"{prefix}-1-mode": "sea",
            f"{prefix}-1-case": spain.pk,
        }
    )
    assert hq_client.post(change_url(spain), data).status_code == 302
    spain.refresh_from_db()
    assert list(spain.route_legs.values_list("place", flat=True)) == ["Nador", "Almería"]
    assert spain.version == 2
    assert "route" in spain.timeline.first().changes["fields"]


def test_a_share_added_on_the_case_page_goes_through_case_share(hq_client, cast, cases):
    uk, _ = cases
    response = hq_client.get(change_url(uk))
    data = form_data(response)
    prefix = prefix_of(response, creates_shares=True)
    data[f"{prefix}-TOTAL_FORMS"] = 1
    data.update(
        {
            f"{prefix}-0-partner": cast.partners["BHC"].pk,  # replaces the live H1 share
            f"{prefix}-0-level": 3,
            f"{prefix}-0-handling_code": "H2",
        }
    )
    assert hq_client.post(change_url(uk), data).status_code == 302
    live = CaseShare.objects.live().get(case=uk, partner=cast.partners["BHC"])
    assert (live.level, live.handling_code, live.shared_by) == (3, "H2", cast.hq)
    assert CaseShare.objects.filter(case=uk, revoked_at__isnull=False).count() == 1
    assert uk.timeline.first().kind == TimelineKind.SHARED


def test_an_admin_share_to_the_lead_office_is_a_clear_error(hq_client, cast, cases):
    uk, _ = cases
    response = hq_client.get(change_url(uk))
    data = form_data(response)
    prefix = prefix_of(response, creates_shares=True)
    data[f"{prefix}-TOTAL_FORMS"] = 1
    data.update(
        {
            f"{prefix}-0-office": cast.offices["GBR"].pk,
            f"{prefix}-0-level": 1,
            f"{prefix}-0-handling_code": "H0",
        }
    )
    response = hq_client.post(change_url(uk), data, follow=True)
    assert response.status_code == 200
    assert any("needs no share" in message for message in messages_of(response))
    assert not CaseShare.objects.filter(office=cast.offices["GBR"]).exists()


def test_hq_adds_a_case_and_it_gets_a_reference(hq_client, cast):
    response = hq_client.get("/admin/cases/case/add/")
    data = form_data(response)
    data.update(
        {
            "lead_office": cast.offices["ITA"].pk,
            "kind": "SOM",
            "title": "Crossing to Lampedusa",
            "forms_of_exploitation": [],
            "means_of_control": [],
            "legal_provisions": [],
        }
    )
    response = hq_client.post("/admin/cases/case/add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    case = Case.objects.get(title="Crossing to Lampedusa")
    assert case.reference.startswith("ITA-SOM-")
    assert (case.created_by, case.timeline.get().kind) == (cast.hq, TimelineKind.CREATED)


def test_cases_cannot_be_deleted(hq_client, cases):
    uk, _ = cases
    assert hq_client.get(f"/admin/cases/case/{uk.pk}/delete/").status_code == 403
    assert Case.objects.filter(pk=uk.pk).exists()


def test_revoke_selected_shares_goes_through_share_revoke(hq_client, cast, cases):
    uk, _ = cases
    share = CaseShare.objects.get(case=uk)
    response = hq_client.post(
        "/admin/cases/caseshare/",
        {"action": "revoke_shares", "_selected_action": [share.pk]},
        follow=True,
    )
    assert any("Revoked 1 share" in message for message in messages_of(response))
    share.refresh_from_db()
    assert (share.revoked_at is not None, share.revoked_by) == (True, cast.hq)
    assert NotificationEvent.objects.filter(kind=EventKind.SHARE_REVOKED).exists()
    assert uk.timeline.first().kind == TimelineKind.SHARE_REVOKED


def test_the_shares_list_filters_by_state(hq_client, cast, cases):
    uk, _ = cases
    expiring = services.case_share(
        acting_user=cast.uk,
        case=uk,
        office=cast.offices["ITA"],
        level=1,
        handling_code="H0",
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    CaseShare.objects.filter(pk=expiring.pk).update(expires_at=timezone.now())
    sync_case_grants(expiring.case_id)
    response = hq_client.get("/admin/cases/caseshare/", {"state": "expired"})
    assert [s.pk for s in response.context["cl"].result_list] == [expiring.pk]


def test_a_request_added_in_the_admin_must_reach_someone_who_sees_the_case(hq_client, cast, cases):
    uk, _ = cases
    data = {
        "case": uk.pk,
        "from_office": cast.offices["GBR"].pk,
        "to_partner": cast.partners["IOM"].pk,
        "kind": "evidence",
        "urgency": "normal",
        "question": "Shelter records?",
    }
    response = hq_client.post("/admin/cases/cooperationrequest/add/", data, follow=True)
    assert any("Share the case with them first" in m for m in messages_of(response))
    assert not CooperationRequest.objects.exists()
    data["to_partner"] = cast.partners["BHC"].pk
    assert hq_client.post("/admin/cases/cooperationrequest/add/", data).status_code == 302
    assert CooperationRequest.objects.get().created_by == cast.hq


def test_an_officer_cannot_open_the_cases_admin(cast, login, cases):
    response = login(cast.uk).get(CHANGELIST)
    assert response.status_code == 302


def test_the_case_changelist_costs_the_same_for_2_or_20_cases(hq_client, cast, make_case):
    def cost() -> int:
        hq_client.get(CHANGELIST)  # warm the session and the user's scope
        with CaptureQueriesContext(connection) as queries:
            assert hq_client.get(CHANGELIST).status_code == 200
        return len(queries)

    make_case("GBR")
    make_case("ITA")
    small = cost()
    for _ in range(18):
        make_case("ESP")
    assert cost() == small


def test_hq_hands_a_case_to_another_lead_office_in_the_admin(hq_client, cast, cases):
    uk, _ = cases
    data = form_data(hq_client.get(change_url(uk)))
    data["lead_office"] = cast.offices["ESP"].pk
    response = hq_client.post(change_url(uk), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    uk.refresh_from_db()
    assert uk.lead_office == cast.offices["ESP"]
    assert uk.grants.get(is_lead=True).office == cast.offices["ESP"]
    assert uk.shares.get(revoked_at__isnull=True, office=cast.offices["GBR"]).level == 3


def test_hq_reassigns_cases_in_the_admin_with_one_confirmation(hq_client, cast, make_case):
    first, second = make_case("GBR", title="One"), make_case("GBR", title="Two")
    services.case_assign(acting_user=cast.uk, case=first, officer=cast.uk)
    action = {"action": "reassign_cases", "_selected_action": [first.pk, second.pk]}
    page = hq_client.post(CHANGELIST, action)
    assert page.status_code == 200 and "Reassign 2 cases" in page.content.decode()
    assert not Case.objects.filter(pk=first.pk, assigned_to__isnull=True).exists()  # not yet
    colleague = cast.uk  # the only officer of GBR in the cast: the unassigned case goes to them
    done = hq_client.post(CHANGELIST, {**action, "apply": "1", "to_officer": colleague.pk})
    assert done.status_code == 302
    assert set(Case.objects.filter(assigned_to=colleague).values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
    mixed = hq_client.post(
        CHANGELIST,
        {"action": "reassign_cases", "_selected_action": [first.pk, make_case("ITA").pk]},
        follow=True,
    )
    assert "one lead office at a time" in mixed.content.decode()
