"""Creating, editing and moving cases: references, the status workflow, optimistic concurrency."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.http import Http404
from django.utils import timezone

from cases import services
from cases.constants import (
    CASE_TRANSITIONS,
    CaseKind,
    CaseOutcome,
    CaseStatus,
    Exploitation,
    LegalAct,
    TimelineKind,
)
from cases.models import Case, CaseReferenceCounter, LegalProvision, TimelineEvent
from cases.querysets import get_case_for_user
from glo_act.errors import ConflictError, DomainError, InvalidTransition, PermissionDenied
from liaison_offices import services as office_services
from liaison_offices.constants import OfficeStatus
from tests.cases.conftest import fresh

pytestmark = pytest.mark.django_db


# --- creation and references -------------------------------------------------------------------


def test_a_case_gets_the_offices_next_reference_per_year(cast, make_case):
    year = timezone.now().year
    first = make_case("GBR", kind=CaseKind.TIP)
    second = make_case("GBR", kind=CaseKind.SOM)
    italian = make_case("ITA")
    assert first.reference == f"GBR-TIP-{year}-0001"
    assert second.reference == f"GBR-SOM-{year}-0002"  # one sequence per office and year
    assert italian.reference == f"ITA-TIP-{year}-0001"


def test_a_refused_creation_gives_its_number_back(cast, make_case):
    make_case("GBR")
    with pytest.raises(DomainError):
        make_case("GBR", forms_of_exploitation=["not-a-form"])
    assert make_case("GBR").reference.endswith("-0002")


def test_creation_records_route_suspects_provisions_and_a_timeline_entry(cast):
    ptpa = LegalProvision.objects.get(act=LegalAct.PTPA_2018, section="3")
    case = services.case_create(
        acting_user=cast.uk,
        lead_office=cast.offices["GBR"],
        kind=CaseKind.TIP,
        title="Car wash workers",
        forms_of_exploitation=[Exploitation.FORCED_LABOUR, Exploitation.FORCED_LABOUR],
        labour_sector="hospitality",
        means_of_control=["debt_bondage", "withholds_documents"],
        legal_provisions=[ptpa.pk],
        route_legs=[
            {"stage": "recruitment", "country": "PAK", "place": "Gujranwala"},
            {"stage": "exploitation", "country": "GBR", "place": "Birmingham", "mode": "air"},
        ],
        suspects=[{"name": "Agent S.", "role": "recruiter", "nationality": "PAK"}],
    )
    assert case.forms_of_exploitation == ["forced_labour"]
    assert [leg.place for leg in case.route_legs.all()] == ["Gujranwala", "Birmingham"]
    assert case.suspects.get().nationality_id == "PAK"
    assert list(case.legal_provisions.all()) == [ptpa]
    created = case.timeline.get()
    assert (created.kind, created.actor, created.version) == (TimelineKind.CREATED, cast.uk, 1)


def test_an_officer_cannot_open_a_case_for_another_office(cast):
    with pytest.raises(PermissionDenied):
        services.case_create(
            acting_user=cast.italy, lead_office=cast.offices["GBR"], kind="TIP", title="x"
        )
    assert not Case.objects.exists()
    assert not CaseReferenceCounter.objects.exists()


def test_a_suspended_office_opens_no_new_cases(cast):
    office_services.office_update(
        acting_user=cast.hq, office=cast.offices["GBR"], status=OfficeStatus.SUSPENDED
    )
    with pytest.raises(DomainError, match="suspended"):
        services.case_create(
            acting_user=cast.uk, lead_office=cast.offices["GBR"], kind="TIP", title="x"
        )


def test_unknown_choices_are_refused_with_the_allowed_values(cast):
    with pytest.raises(DomainError, match="TIP, SOM") as caught:
        services.case_create(
            acting_user=cast.uk, lead_office=cast.offices["GBR"], kind="XXX", title="x"
        )
    assert caught.value.field == "kind"
    with pytest.raises(DomainError, match="Unknown country"):
        services.case_create(
            acting_user=cast.uk,
            lead_office=cast.offices["GBR"],
            kind="TIP",
            title="x",
            route_legs=[{"stage": "transit", "country": "ZZZ"}],
        )


def test_the_reference_helper_answers_404_for_a_hidden_case(cast, uk_case):
    assert get_case_for_user(fresh(cast.uk), uk_case.reference) == uk_case
    with pytest.raises(Http404):
        get_case_for_user(fresh(cast.italy), uk_case.reference)
    with pytest.raises(Http404):
        get_case_for_user(fresh(cast.uk), "GBR-TIP-1999-0001")  # no such case: the same answer


# --- the status workflow -----------------------------------------------------------------------

ALL_STATUSES = list(CaseStatus.values)


def _put_in(case: Case, status: str, user) -> Case:
    """Walk a fresh case to `status` along allowed transitions."""
    path = {
        CaseStatus.REPORTED: [],
        CaseStatus.UNDER_INVESTIGATION: ["under_investigation"],
        CaseStatus.REFERRED_FOR_PROSECUTION: ["under_investigation", "referred_for_prosecution"],
        CaseStatus.IN_COURT: ["under_investigation", "referred_for_prosecution", "in_court"],
        CaseStatus.CLOSED: ["closed"],
    }[status]
    for step in path:
        outcome = CaseOutcome.NO_FURTHER_ACTION if step == CaseStatus.CLOSED else ""
        case = services.case_transition(
            acting_user=user, case=case, to_status=step, outcome=outcome
        )
    return case


ILLEGAL = [
    (src, dst)
    for src, dst in itertools.product(ALL_STATUSES, ALL_STATUSES)
    if dst not in CASE_TRANSITIONS[src]
]


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_every_illegal_transition_is_refused_naming_the_allowed_ones(
    cast, uk_case, current, target
):
    case = _put_in(uk_case, current, cast.uk)
    version = case.version
    with pytest.raises(InvalidTransition) as caught:
        services.case_transition(
            acting_user=cast.uk,
            case=case,
            to_status=target,
            outcome=CaseOutcome.CONVICTED if target == CaseStatus.CLOSED else "",
            reason="because",
        )
    message = caught.value.message
    for allowed in CASE_TRANSITIONS[current]:
        assert CaseStatus(allowed).label.lower() in message
    assert CaseStatus(current).label.lower() in message
    case.refresh_from_db()
    assert (case.status, case.version) == (current, version)


def test_the_workflow_runs_from_reported_to_closed_and_tells_the_timeline(cast, uk_case):
    case = _put_in(uk_case, CaseStatus.IN_COURT, cast.uk)
    case = services.case_transition(
        acting_user=cast.uk, case=case, to_status="closed", outcome=CaseOutcome.CONVICTED
    )
    case.refresh_from_db()
    assert (case.status, case.outcome, case.version) == ("closed", "convicted", 5)
    assert case.closed_at is not None
    latest = case.timeline.first()
    assert latest.kind == TimelineKind.STATUS_CHANGED
    assert latest.changes["status"] == ["in_court", "closed"]
    assert "convicted" in latest.summary


def test_closing_needs_an_outcome(cast, uk_case):
    with pytest.raises(DomainError, match="needs an outcome") as caught:
        services.case_transition(acting_user=cast.uk, case=uk_case, to_status="closed")
    assert caught.value.field == "outcome"
    with pytest.raises(DomainError, match="not a case outcome"):
        services.case_transition(
            acting_user=cast.uk, case=uk_case, to_status="closed", outcome="deported"
        )
    uk_case.refresh_from_db()
    assert uk_case.status == CaseStatus.REPORTED


def test_an_outcome_is_refused_on_an_open_status(cast, uk_case):
    with pytest.raises(DomainError, match="only when the case is closed"):
        services.case_transition(
            acting_user=cast.uk,
            case=uk_case,
            to_status="under_investigation",
            outcome=CaseOutcome.CONVICTED,
        )


def test_reopening_needs_a_reason_and_clears_the_outcome(cast, uk_case):
    case = _put_in(uk_case, CaseStatus.CLOSED, cast.uk)
    with pytest.raises(DomainError, match="needs a reason"):
        services.case_transition(acting_user=cast.uk, case=case, to_status="under_investigation")
    case = services.case_transition(
        acting_user=cast.uk,
        case=case,
        to_status="under_investigation",
        reason="New witness in Birmingham",
    )
    case.refresh_from_db()
    assert (case.status, case.outcome, case.closed_at) == ("under_investigation", "", None)
    assert "New witness in Birmingham" in case.timeline.first().summary


def test_a_stale_transition_is_refused_when_a_version_is_given(cast, uk_case):
    services.case_update(acting_user=cast.uk, case=uk_case, expected_version=1, title="New")
    with pytest.raises(ConflictError):
        services.case_transition(
            acting_user=cast.uk, case=uk_case, to_status="under_investigation", expected_version=1
        )


# --- editing and optimistic concurrency --------------------------------------------------------


def test_an_edit_bumps_the_version_and_records_old_and_new(cast, uk_case):
    case = services.case_update(
        acting_user=cast.uk,
        case=uk_case,
        expected_version=1,
        title="Car wash workers, Birmingham",
        means_of_control=["debt_bondage"],
    )
    case.refresh_from_db()
    assert (case.title, case.version, case.updated_by) == (
        "Car wash workers, Birmingham",
        2,
        cast.uk,
    )
    edit = case.timeline.first()
    assert edit.kind == TimelineKind.EDITED
    assert edit.version == 2
    assert edit.changes["fields"]["title"] == [
        "Forced labour ring (GBR)",
        "Car wash workers, Birmingham",
    ]
    assert edit.changes["fields"]["means_of_control"] == [[], ["debt_bondage"]]


def test_a_stale_edit_is_refused_names_who_changed_what_and_overwrites_nothing(cast, uk_case):
    services.case_update(
        acting_user=cast.hq, case=uk_case, expected_version=1, title="Renamed by HQ"
    )
    with pytest.raises(ConflictError) as caught:
        services.case_update(
            acting_user=cast.uk,
            case=uk_case,
            expected_version=1,
            title="My title",
            summary="My summary",
        )
    error = caught.value
    assert error.changed_by == "Hq Cast"
    assert error.changes == {"title": ["Forced labour ring (GBR)", "Renamed by HQ"]}
    assert "Hq Cast" in error.message and "Renamed by HQ" in error.message
    assert "Nothing was saved" in error.message
    uk_case.refresh_from_db()
    assert (uk_case.title, uk_case.summary, uk_case.version) == ("Renamed by HQ", "", 2)
    assert TimelineEvent.objects.filter(case=uk_case, kind=TimelineKind.EDITED).count() == 1


def test_a_status_change_also_makes_an_older_edit_stale(cast, uk_case):
    services.case_transition(acting_user=cast.uk, case=uk_case, to_status="under_investigation")
    with pytest.raises(ConflictError, match="under investigation") as caught:
        services.case_update(acting_user=cast.uk, case=uk_case, expected_version=1, title="x")
    assert caught.value.changes == {"status": ["reported", "under_investigation"]}


def test_an_edit_that_changes_nothing_keeps_the_version(cast, uk_case):
    case = services.case_update(
        acting_user=cast.uk, case=uk_case, expected_version=1, title=uk_case.title
    )
    assert case.version == 1
    assert case.timeline.count() == 1


def test_status_kind_and_office_cannot_be_edited_as_fields(cast, uk_case):
    with pytest.raises(DomainError, match="status change"):
        services.case_update(acting_user=cast.uk, case=uk_case, expected_version=1, status="closed")
    with pytest.raises(DomainError, match="lead_office"):
        services.case_update(
            acting_user=cast.uk, case=uk_case, expected_version=1, lead_office=cast.offices["ITA"]
        )


def test_legal_provisions_are_replaced_and_the_change_recorded(cast, uk_case):
    ptpa3 = LegalProvision.objects.get(act=LegalAct.PTPA_2018, section="3")
    ptpa4 = LegalProvision.objects.get(act=LegalAct.PTPA_2018, section="4")
    case = services.case_set_legal_provisions(
        acting_user=cast.uk,
        case=uk_case,
        provisions=[ptpa3, ptpa4],
        host_country_law="Modern Slavery Act 2015, s.1",
        expected_version=1,
    )
    assert set(case.legal_provisions.all()) == {ptpa3, ptpa4}
    assert case.host_country_law == "Modern Slavery Act 2015, s.1"
    assert case.timeline.first().changes["fields"]["legal_provisions"] == [
        [],
        ["PTPA 2018 s.3", "PTPA 2018 s.4"],
    ]


def test_route_and_suspects_edits_bump_the_version(cast, uk_case):
    leg = services.route_leg_add(
        acting_user=cast.uk, case=uk_case, stage="transit", country="ARE", mode="air"
    )
    services.route_leg_add(
        acting_user=cast.uk,
        case=uk_case,
        stage="exploitation",
        country="GBR",
        place="Leicester",
        date=dt.date(2025, 3, 1),
    )
    services.route_leg_remove(acting_user=cast.uk, leg=leg)
    suspect = services.suspect_add(acting_user=cast.uk, case=uk_case, role="exploiter", name="M.")
    services.suspect_remove(acting_user=cast.uk, suspect=suspect, expected_version=5)
    uk_case.refresh_from_db()
    assert uk_case.version == 6
    assert [leg.place for leg in uk_case.route_legs.all()] == ["Leicester"]
    assert not uk_case.suspects.exists()
    with pytest.raises(ConflictError, match="Removed a suspect"):
        services.case_set_suspects(
            acting_user=cast.uk, case=uk_case, suspects=[], expected_version=4
        )


def test_replacing_the_route_keeps_the_order_given(cast, uk_case):
    case = services.case_set_route(
        acting_user=cast.uk,
        case=uk_case,
        legs=[
            {"stage": "recruitment", "country": "PAK", "place": "Mandi Bahauddin"},
            {"stage": "transit", "country": "IRN", "mode": "land"},
            {"stage": "transit", "country": "TUR", "mode": "land"},
            {"stage": "exploitation", "country": "GRC", "place": "Manolada"},
        ],
        expected_version=1,
    )
    assert list(case.route_legs.values_list("country", flat=True)) == ["PAK", "IRN", "TUR", "GRC"]
    route_change = case.timeline.first().changes["fields"]["route"]
    assert route_change[0] == []
    assert route_change[1][1] == "transit: IRN by land"


def test_a_share_recipient_cannot_edit_or_move_the_case(cast, uk_case):
    services.case_share(
        acting_user=cast.uk, case=uk_case, office=cast.offices["ITA"], level=2, handling_code="H0"
    )
    italy = fresh(cast.italy)
    assert not Case.objects.restrict(italy, "change").filter(pk=uk_case.pk).exists()
    with pytest.raises(PermissionDenied, match="lead office"):
        services.case_update(acting_user=italy, case=uk_case, expected_version=1, title="x")
    with pytest.raises(PermissionDenied):
        services.case_transition(acting_user=italy, case=uk_case, to_status="under_investigation")
    with pytest.raises(PermissionDenied):
        services.route_leg_add(acting_user=italy, case=uk_case, stage="transit", country="ITA")
    uk_case.refresh_from_db()
    assert (uk_case.title, uk_case.version, uk_case.status) == (
        "Forced labour ring (GBR)",
        1,
        "reported",
    )


def test_an_outsider_editing_gets_404_not_403(cast, uk_case):
    with pytest.raises(Http404):
        services.case_update(acting_user=fresh(cast.spain), case=uk_case, expected_version=1)
