"""Who works a case: assignment, bulk reassignment, hand-over of the lead office
(`cases.services.casework`, docs/casework.md)."""

from __future__ import annotations

import pytest
from django.http import Http404

from cases import services
from cases.constants import CaseStatus, HandlingCode, HandOverStatus, ShareLevel, TimelineKind
from cases.grants import grant_drift
from cases.models import Case, CaseShare, HandOver, TimelineEvent
from glo_act.errors import DomainError, PermissionDenied
from liaison_offices import services as office_services
from liaison_offices.constants import EventKind, Role
from liaison_offices.models import NotificationEvent
from tests.cases.conftest import fresh
from tests.cast import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(cast):
    """A second officer of the UK office."""
    user = make_user("uk.colleague", first_name="Colin", last_name="League")
    office_services.membership_add(
        acting_user=None, user=user, role=Role.OFFICER, office=cast.offices["GBR"]
    )
    return fresh(user)


@pytest.fixture
def uk_lead(cast):
    """The UK office's lead (its supervisor)."""
    user = make_user("uk.lead", first_name="Lena", last_name="Lead")
    office_services.membership_add(
        acting_user=None, user=user, role=Role.OFFICE_LEAD, office=cast.offices["GBR"]
    )
    return fresh(user)


@pytest.fixture
def share(cast):
    def _share(case, *, office, level, handling_code=HandlingCode.H0):
        lead = {"GBR": cast.uk, "ITA": cast.italy, "ESP": cast.spain}[case.lead_office.code]
        return services.case_share(
            acting_user=lead,
            case=case,
            office=cast.offices[office],
            level=level,
            handling_code=handling_code,
        )

    return _share


def events(kind):
    return list(NotificationEvent.objects.filter(kind=kind).order_by("id"))


# --- assignment ---------------------------------------------------------------------------------


def test_an_officer_assigns_a_case_to_a_colleague_who_is_told(cast, make_case, colleague):
    case = make_case("GBR")
    services.case_assign(acting_user=cast.uk, case=case, officer=colleague)
    case.refresh_from_db()
    assert case.assigned_to == colleague and case.assigned_at is not None
    line = TimelineEvent.objects.filter(case=case, kind=TimelineKind.ASSIGNED).get()
    assert line.summary == "Assigned to Colin League" and line.actor == cast.uk
    (event,) = events(EventKind.CASE_ASSIGNED)
    assert event.user_ids == [colleague.pk] and event.payload["reference"] == case.reference
    assert list(Case.objects.visible_to(colleague).assigned(colleague, "mine")) == [case]

    services.case_assign(acting_user=fresh(cast.uk), case=case, officer=None)
    case.refresh_from_db()
    assert case.assigned_to is None
    (gone,) = events(EventKind.CASE_UNASSIGNED)
    assert gone.user_ids == [colleague.pk]
    assert list(Case.objects.visible_to(colleague).assigned(colleague, "mine")) == []
    assert list(Case.objects.visible_to(colleague).assigned(colleague, "unassigned")) == [case]


def test_only_the_lead_office_assigns_and_only_to_its_own_officers(cast, make_case, share):
    case = make_case("GBR")
    share(case, office="ITA", level=ShareLevel.FULL)
    with pytest.raises(DomainError, match="not an officer of GBR"):
        services.case_assign(acting_user=cast.uk, case=case, officer=cast.italy)
    with pytest.raises(PermissionDenied):  # Italy sees it through a share, may not assign
        services.case_assign(acting_user=cast.italy, case=case, officer=cast.italy)
    with pytest.raises(Http404):  # Spain does not see it at all
        services.case_assign(acting_user=cast.spain, case=case, officer=cast.spain)
    services.case_assign(acting_user=cast.uk, case=case, officer=cast.uk)
    with pytest.raises(DomainError, match="already assigned"):
        services.case_assign(acting_user=fresh(cast.uk), case=case, officer=cast.uk)
    case.refresh_from_db()
    assert case.assigned_to == cast.uk
    assert TimelineEvent.objects.filter(case=case, kind=TimelineKind.ASSIGNED).count() == 1


def test_unassigned_means_open_and_nobody(cast, make_case):
    open_case, closed_case = make_case("GBR"), make_case("GBR")
    Case.objects.filter(pk=closed_case.pk).update(status=CaseStatus.CLOSED)
    unassigned = Case.objects.visible_to(cast.uk).assigned(cast.uk, "unassigned")
    assert list(unassigned) == [open_case]


# --- bulk reassignment --------------------------------------------------------------------------


def test_an_office_lead_reassigns_all_of_an_officers_open_cases_in_one_action(
    cast, make_case, colleague, uk_lead
):
    cases = [make_case("GBR", title=f"Case {i}") for i in range(30)]
    closed = make_case("GBR", title="Closed one")
    for case in [*cases, closed]:
        services.case_assign(acting_user=fresh(cast.uk), case=case, officer=cast.uk)
    Case.objects.filter(pk=closed.pk).update(status=CaseStatus.CLOSED)
    before = NotificationEvent.objects.count()

    moved = services.cases_reassign(
        acting_user=uk_lead,
        office=cast.offices["GBR"],
        from_officer=cast.uk,
        to_officer=colleague,
    )
    assert len(moved) == 30
    assert Case.objects.filter(assigned_to=colleague).count() == 30
    assert Case.objects.get(pk=closed.pk).assigned_to == cast.uk  # closed cases stay
    lines = TimelineEvent.objects.filter(kind=TimelineKind.ASSIGNED, changes__batch=30)
    assert lines.count() == 30
    assert lines.first().summary.startswith("Reassigned from Uk Cast to Colin League")
    # One event for the new officer, one for the former: not thirty of each.
    assert NotificationEvent.objects.count() - before == 2
    (told,) = events(EventKind.CASE_ASSIGNED)[-1:]
    assert told.user_ids == [colleague.pk] and told.payload["count"] == 30


def test_reassignment_is_for_office_leads_and_hq_and_all_or_nothing(
    cast, make_case, colleague, uk_lead
):
    mine, other = make_case("GBR"), make_case("GBR")
    services.case_assign(acting_user=cast.uk, case=mine, officer=cast.uk)
    office = cast.offices["GBR"]
    with pytest.raises(PermissionDenied, match="office lead"):
        services.cases_reassign(
            acting_user=fresh(cast.uk), office=office, from_officer=cast.uk, to_officer=colleague
        )
    with pytest.raises(PermissionDenied):  # Italy's officer leads nothing in London
        services.cases_reassign(
            acting_user=cast.italy, office=office, from_officer=cast.uk, to_officer=colleague
        )
    with pytest.raises(DomainError, match="not led by GBR and assigned to Uk Cast"):
        services.cases_reassign(
            acting_user=uk_lead,
            office=office,
            from_officer=cast.uk,
            to_officer=colleague,
            cases=[mine, other],
        )
    with pytest.raises(DomainError, match="not an officer of GBR"):
        services.cases_reassign(
            acting_user=uk_lead, office=office, from_officer=cast.uk, to_officer=cast.italy
        )
    assert Case.objects.get(pk=mine.pk).assigned_to == cast.uk  # nothing moved
    moved = services.cases_reassign(
        acting_user=cast.hq, office=office, from_officer=cast.uk, to_officer=colleague, cases=[mine]
    )
    assert [case.pk for case in moved] == [mine.pk]


# --- hand-over ----------------------------------------------------------------------------------


def test_italy_hands_a_case_to_spain_who_accepts_and_italy_keeps_a_summary(cast, make_case):
    case = make_case("ITA")
    services.case_assign(acting_user=cast.italy, case=case, officer=cast.italy)
    reference = case.reference
    handover = services.handover_request(
        acting_user=fresh(cast.italy),
        case=case,
        to_office=cast.offices["ESP"],
        note="The victims were moved to Madrid.",
        keep_level=ShareLevel.SUMMARY,
        keep_handling_code=HandlingCode.H1,
    )
    assert handover.status == HandOverStatus.PENDING
    (asked,) = events(EventKind.HANDOVER_REQUESTED)
    assert asked.office_ids == [cast.offices["ESP"].pk]
    # Spain sees the offer, not yet the case.
    assert HandOver.objects.visible_to(cast.spain).filter(pk=handover.pk).exists()
    assert not Case.objects.visible_to(cast.spain).filter(pk=case.pk).exists()
    assert not HandOver.objects.visible_to(cast.uk).exists()
    with pytest.raises(PermissionDenied):  # the sender cannot accept its own offer
        services.handover_accept(acting_user=fresh(cast.italy), handover=handover)

    services.handover_accept(acting_user=fresh(cast.spain), handover=handover)
    case.refresh_from_db()
    handover.refresh_from_db()
    assert handover.status == HandOverStatus.ACCEPTED and handover.decided_by == cast.spain
    assert case.reference == reference and case.lead_office == cast.offices["ESP"]
    assert case.assigned_to is None  # Italy's officer no longer works it
    kept = CaseShare.objects.get(case=case, office=cast.offices["ITA"], revoked_at__isnull=True)
    assert (kept.level, kept.handling_code) == (ShareLevel.SUMMARY, HandlingCode.H1)
    assert grant_drift([case]) == []
    assert Case.objects.restrict(fresh(cast.spain), "change").filter(pk=case.pk).exists()
    assert not Case.objects.restrict(fresh(cast.italy), "change").filter(pk=case.pk).exists()
    assert Case.objects.visible_to(fresh(cast.italy)).filter(pk=case.pk).exists()
    (accepted,) = events(EventKind.HANDOVER_ACCEPTED)
    assert set(accepted.office_ids) == {cast.offices[c].pk for c in ("ITA", "ESP", "HQ")}
    line = TimelineEvent.objects.filter(case=case, kind=TimelineKind.EDITED).latest("id")
    assert line.summary == (
        "Lead office ITA → ESP (hand-over accepted); ITA keeps a Summary, H1 share"
    )
    with pytest.raises(DomainError, match="already accepted"):
        services.handover_decline(acting_user=fresh(cast.spain), handover=handover, reason="x")


def test_a_handover_with_no_share_kept_leaves_the_sender_without_the_case(cast, make_case):
    case = make_case("ITA")
    handover = services.handover_request(
        acting_user=cast.italy, case=case, to_office=cast.offices["HQ"], keep_level=None
    )
    services.handover_accept(acting_user=cast.hq, handover=handover)
    assert not Case.objects.visible_to(fresh(cast.italy)).filter(pk=case.pk).exists()
    assert grant_drift([case]) == []


def test_decline_needs_a_reason_and_changes_nothing_withdraw_ends_the_offer(cast, make_case):
    case = make_case("ITA")
    handover = services.handover_request(
        acting_user=cast.italy, case=case, to_office=cast.offices["ESP"]
    )
    with pytest.raises(DomainError, match="already offered to ESP"):
        services.handover_request(
            acting_user=fresh(cast.italy), case=case, to_office=cast.offices["GBR"]
        )
    with pytest.raises(DomainError, match="Say why"):
        services.handover_decline(acting_user=cast.spain, handover=handover, reason="  ")
    with pytest.raises(Http404):  # the UK has nothing to do with it
        services.handover_decline(acting_user=cast.uk, handover=handover, reason="No")
    services.handover_decline(
        acting_user=fresh(cast.spain), handover=handover, reason="Not our jurisdiction"
    )
    case.refresh_from_db()
    assert case.lead_office == cast.offices["ITA"]
    assert HandOver.objects.get(pk=handover.pk).decline_reason == "Not our jurisdiction"

    again = services.handover_request(
        acting_user=fresh(cast.italy), case=case, to_office=cast.offices["GBR"]
    )
    with pytest.raises(PermissionDenied):  # only the sender or HQ withdraws
        services.handover_withdraw(acting_user=cast.uk, handover=again)
    services.handover_withdraw(acting_user=fresh(cast.italy), handover=again)
    assert HandOver.objects.get(pk=again.pk).status == HandOverStatus.WITHDRAWN
    (withdrawn,) = events(EventKind.HANDOVER_WITHDRAWN)
    assert withdrawn.office_ids == [cast.offices["GBR"].pk]


def test_only_the_lead_office_offers_a_case(cast, make_case, share):
    case = make_case("GBR")
    share(case, office="ITA", level=ShareLevel.FULL)
    with pytest.raises(PermissionDenied):
        services.handover_request(acting_user=cast.italy, case=case, to_office=cast.offices["ESP"])
    with pytest.raises(DomainError, match="already leads"):
        services.handover_request(acting_user=cast.uk, case=case, to_office=cast.offices["GBR"])
    assert not HandOver.objects.exists()


def test_hq_moving_the_lead_withdraws_a_pending_handover(cast, make_case):
    case = make_case("ITA")
    handover = services.handover_request(
        acting_user=cast.italy, case=case, to_office=cast.offices["ESP"]
    )
    services.case_change_lead_office(acting_user=cast.hq, case=case, office=cast.offices["GBR"])
    assert HandOver.objects.get(pk=handover.pk).status == HandOverStatus.WITHDRAWN
    with pytest.raises(DomainError, match="already withdrawn"):
        services.handover_accept(acting_user=fresh(cast.spain), handover=handover)
