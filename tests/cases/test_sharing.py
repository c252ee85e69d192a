"""Sharing cases: who may share, handling codes, passing on, replacing, revoking, expiry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404
from django.utils import timezone

from cases import services
from cases.access import case_access
from cases.constants import HandlingCode, ShareLevel, TimelineKind
from cases.full_parts import load_full_parts
from cases.grants import sync_case_grants
from cases.models import Case, CaseShare
from cases.querysets import get_case_for_user
from glo_act.errors import DomainError, PermissionDenied
from liaison_offices import services as office_services
from liaison_offices.constants import CHANGE_CASES, VIEW_CASES, EventKind
from liaison_offices.models import NotificationEvent
from tests.cases.conftest import fresh

pytestmark = pytest.mark.django_db


def share(cast, case, *, by="uk", office=None, partner=None, level=2, code="H0", **extra):
    return services.case_share(
        acting_user=fresh(cast.users[by]),
        case=case,
        office=cast.offices[office] if office else None,
        partner=cast.partners[partner] if partner else None,
        level=level,
        handling_code=code,
        **extra,
    )


def sees(cast, who: str, case: Case) -> bool:
    return Case.objects.visible_to(fresh(cast.users[who])).filter(pk=case.pk).exists()


def test_the_lead_office_shares_with_an_office_and_it_sees_the_case(cast, uk_case):
    assert not sees(cast, "italy", uk_case)
    created = share(cast, uk_case, office="ITA", level=ShareLevel.SUMMARY)
    assert sees(cast, "italy", uk_case)
    assert not sees(cast, "spain", uk_case)
    assert (created.shared_by, created.passed_on_from) == (cast.uk, None)
    line = uk_case.timeline.first()
    assert line.kind == TimelineKind.SHARED
    assert line.summary.startswith("Shared with ITA — Summary, H0")


def test_a_partner_recipient_sees_the_case(cast, uk_case):
    share(cast, uk_case, partner="BHC", level=ShareLevel.FULL, code="H1")
    assert sees(cast, "focal_point", uk_case)
    assert get_case_for_user(fresh(cast.focal_point), uk_case.reference) == uk_case
    assert not sees(cast, "provider", uk_case)


def test_sharing_publishes_case_shared_to_the_recipient_only(cast, uk_case):
    share(cast, uk_case, partner="BHC")
    event = NotificationEvent.objects.get(kind=EventKind.CASE_SHARED)
    assert (event.partner_ids, event.office_ids) == ([cast.partners["BHC"].pk], [])
    assert event.payload == {
        "reference": uk_case.reference,
        "case_kind": "TIP",
        "level": 2,
        "handling_code": "H0",
        "by": "GBR",  # who shared it, for the sentence (liaison_offices/sentences.py)
    }


def test_h3_needs_its_conditions(cast, uk_case):
    with pytest.raises(DomainError, match="handling conditions") as caught:
        share(cast, uk_case, office="ITA", code="H3")
    assert caught.value.field == "handling_conditions"
    created = share(
        cast, uk_case, office="ITA", code="H3", handling_conditions="Not to Interpol channels"
    )
    assert created.handling_conditions == "Not to Interpol channels"


def test_no_share_to_the_lead_office_itself_or_to_hq(cast, uk_case):
    with pytest.raises(DomainError, match="leads"):
        share(cast, uk_case, office="GBR")
    with pytest.raises(DomainError, match="HQ sees every case"):
        share(cast, uk_case, office="HQ")


def test_an_expiry_in_the_past_is_refused(cast, uk_case):
    with pytest.raises(DomainError, match="future"):
        share(cast, uk_case, office="ITA", expires_at=timezone.now() - dt.timedelta(minutes=1))


def test_sharing_again_replaces_the_live_share(cast, uk_case):
    first = share(cast, uk_case, office="ITA", level=ShareLevel.SUMMARY)
    second = share(cast, uk_case, office="ITA", level=ShareLevel.FULL_WITH_VICTIMS, code="H1")
    first.refresh_from_db()
    assert first.revoked_at is not None
    live = CaseShare.objects.live().get(case=uk_case, office=cast.offices["ITA"])
    assert live == second
    assert "replaces the earlier share" in uk_case.timeline.first().summary


def test_an_outsider_cannot_share_and_gets_404(cast, uk_case):
    with pytest.raises(Http404):
        share(cast, uk_case, by="spain", office="ITA")


def test_a_view_only_grant_on_the_lead_office_does_not_allow_sharing(cast, uk_case):
    office_services.office_permission_grant(
        acting_user=cast.hq,
        office=cast.offices["GBR"],
        permission=VIEW_CASES,
        user=cast.spain,
        reason="Joint investigation",
    )
    assert sees(cast, "spain", uk_case)
    with pytest.raises(PermissionDenied, match="Only the lead office"):
        share(cast, uk_case, by="spain", office="ITA")


def test_a_change_grant_on_the_lead_office_allows_sharing(cast, uk_case):
    for permission in (VIEW_CASES, CHANGE_CASES):
        office_services.office_permission_grant(
            acting_user=cast.hq,
            office=cast.offices["GBR"],
            permission=permission,
            user=cast.spain,
            reason="Joint investigation",
        )
    created = share(cast, uk_case, by="spain", office="ITA")
    assert created.passed_on_from is None


# --- passing on --------------------------------------------------------------------------------


def test_a_recipient_office_passes_the_case_on_and_the_chain_is_recorded(cast, uk_case):
    source = share(cast, uk_case, office="ITA", level=ShareLevel.FULL, code="H1")
    onward = share(cast, uk_case, by="italy", office="ESP", level=ShareLevel.SUMMARY, code="H1")
    assert onward.passed_on_from == source
    assert sees(cast, "spain", uk_case)
    assert "passed on by ITA" in uk_case.timeline.first().summary


def test_an_h2_recipient_cannot_pass_the_case_on(cast, uk_case):
    share(cast, uk_case, office="ITA", level=ShareLevel.FULL, code=HandlingCode.H2)
    with pytest.raises(PermissionDenied, match="H2 — no onward dissemination"):
        share(cast, uk_case, by="italy", office="ESP", code="H2")
    with pytest.raises(PermissionDenied, match="H2"):
        share(cast, uk_case, by="italy", partner="BHC", code="H2")
    assert not sees(cast, "spain", uk_case)
    assert not CaseShare.objects.filter(office=cast.offices["ESP"]).exists()


def test_a_recipient_cannot_pass_on_at_a_higher_level_or_another_code(cast, uk_case):
    share(cast, uk_case, office="ITA", level=ShareLevel.SUMMARY, code="H1")
    with pytest.raises(PermissionDenied, match="higher level"):
        share(cast, uk_case, by="italy", office="ESP", level=ShareLevel.FULL, code="H1")
    with pytest.raises(DomainError, match="passed on under H1"):
        share(cast, uk_case, by="italy", office="ESP", level=ShareLevel.SUMMARY, code="H0")


def test_a_passed_on_share_never_outlives_its_source(cast, uk_case):
    until = timezone.now() + dt.timedelta(days=3)
    share(cast, uk_case, office="ITA", expires_at=until)
    onward = share(cast, uk_case, by="italy", office="ESP")
    assert onward.expires_at == until
    with pytest.raises(DomainError, match="cannot last longer"):
        share(cast, uk_case, by="italy", partner="BHC", expires_at=until + dt.timedelta(days=1))


def test_a_partner_recipient_cannot_pass_the_case_on(cast, uk_case):
    share(cast, uk_case, partner="BHC", level=ShareLevel.FULL)
    with pytest.raises(PermissionDenied, match="Only the lead office"):
        share(cast, uk_case, by="focal_point", partner="IOM")


def test_passing_on_to_a_holder_neither_replaces_its_share_nor_says_who_holds_it(cast, uk_case):
    share(cast, uk_case, office="ITA", level=ShareLevel.FULL)
    lead_share = share(cast, uk_case, office="ESP", level=ShareLevel.FULL_WITH_VICTIMS)
    # Italy passes the case on to Spain, which already holds it from the lead office. Italy
    # is not told so (that would tell it who else holds the case): its own share is made, as
    # for any recipient, and the lead office's share to Spain is untouched.
    onward = share(cast, uk_case, by="italy", office="ESP", level=ShareLevel.SUMMARY)
    assert onward.passed_on_from.office == cast.offices["ITA"]
    lead_share.refresh_from_db()
    assert lead_share.revoked_at is None
    # Spain sees the case through the higher of its two grants.
    spain = fresh(cast.spain)
    fetched = Case.objects.visible_to(spain).with_access(spain).get(pk=uk_case.pk)
    assert case_access(spain, fetched).level == ShareLevel.FULL_WITH_VICTIMS
    # Italy sees its own share to Spain, never the lead office's.
    seen = set(CaseShare.objects.visible_to(fresh(cast.italy)).filter(office=cast.offices["ESP"]))
    assert seen == {onward}
    # Passing on again replaces Italy's own share only.
    again = share(cast, uk_case, by="italy", office="ESP", level=ShareLevel.FULL)
    onward.refresh_from_db()
    lead_share.refresh_from_db()
    assert onward.revoked_at is not None and lead_share.revoked_at is None
    assert again.level == ShareLevel.FULL


# --- revoking and expiry -----------------------------------------------------------------------


def test_revoking_stops_access_at_once_and_tells_the_former_recipient(cast, uk_case):
    granted = share(cast, uk_case, partner="BHC")
    assert sees(cast, "focal_point", uk_case)
    services.share_revoke(acting_user=fresh(cast.uk), share=granted)
    assert not sees(cast, "focal_point", uk_case)
    with pytest.raises(Http404):
        get_case_for_user(fresh(cast.focal_point), uk_case.reference)
    event = NotificationEvent.objects.get(kind=EventKind.SHARE_REVOKED)
    assert event.partner_ids == [cast.partners["BHC"].pk]
    assert event.check_visibility is False  # they can no longer see the case: that is the news
    assert uk_case.timeline.first().kind == TimelineKind.SHARE_REVOKED


def test_revoking_a_share_revokes_what_was_passed_on_from_it(cast, uk_case):
    source = share(cast, uk_case, office="ITA")
    share(cast, uk_case, by="italy", office="ESP")
    revoked = services.share_revoke(acting_user=fresh(cast.uk), share=source)
    assert {s.office.code for s in revoked} == {"ITA", "ESP"}
    assert not sees(cast, "italy", uk_case)
    assert not sees(cast, "spain", uk_case)


def test_the_passer_on_may_revoke_its_own_onward_share_but_not_the_source(cast, uk_case):
    source = share(cast, uk_case, office="ITA")
    onward = share(cast, uk_case, by="italy", office="ESP")
    with pytest.raises(PermissionDenied):
        services.share_revoke(acting_user=fresh(cast.italy), share=source)
    with pytest.raises(PermissionDenied):
        services.share_revoke(acting_user=fresh(cast.spain), share=onward)
    services.share_revoke(acting_user=fresh(cast.italy), share=onward)
    assert sees(cast, "italy", uk_case)
    assert not sees(cast, "spain", uk_case)


def test_revoking_twice_is_refused(cast, uk_case):
    granted = share(cast, uk_case, office="ITA")
    services.share_revoke(acting_user=fresh(cast.uk), share=granted)
    with pytest.raises(DomainError, match="already revoked"):
        services.share_revoke(acting_user=fresh(cast.uk), share=granted)


def test_replacing_a_share_with_h2_revokes_what_was_passed_on(cast, uk_case):
    share(cast, uk_case, office="ITA", code="H0")
    share(cast, uk_case, by="italy", office="ESP", code="H0")
    share(cast, uk_case, office="ITA", code="H2")
    assert sees(cast, "italy", uk_case)
    assert not sees(cast, "spain", uk_case)


def test_replacing_a_share_keeps_compatible_onward_shares_on_the_new_row(cast, uk_case):
    share(cast, uk_case, office="ITA", level=ShareLevel.FULL)
    onward = share(cast, uk_case, by="italy", office="ESP", level=ShareLevel.SUMMARY)
    until = timezone.now() + dt.timedelta(days=2)
    new_source = share(cast, uk_case, office="ITA", level=ShareLevel.FULL, expires_at=until)
    onward.refresh_from_db()
    assert (onward.passed_on_from, onward.revoked_at, onward.expires_at) == (
        new_source,
        None,
        until,
    )


def test_an_expired_share_grants_nothing_at_once(cast, uk_case):
    granted = share(cast, uk_case, office="ITA", expires_at=timezone.now() + dt.timedelta(hours=1))
    assert sees(cast, "italy", uk_case)
    CaseShare.objects.filter(pk=granted.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    sync_case_grants(uk_case)
    assert not sees(cast, "italy", uk_case)
    with pytest.raises(Http404):
        get_case_for_user(fresh(cast.italy), uk_case.reference)


def timeline_of(case, at=None) -> list[dict]:
    return load_full_parts(case, owner=True, at=at)["timeline"]


def test_an_expired_share_shows_on_the_timeline_without_a_job(cast, uk_case):
    until = timezone.now() + dt.timedelta(hours=1)
    share(cast, uk_case, office="ITA", expires_at=until)
    assert timeline_of(uk_case)[0]["kind"] == TimelineKind.SHARED
    newest = timeline_of(uk_case, at=until + dt.timedelta(minutes=1))[0]
    assert (newest["kind"], newest["summary"], newest["created_at"]) == (
        TimelineKind.SHARE_EXPIRED,
        "Share to ITA expired",
        until,
    )
    # At the very instant of expiry the share has ended (expires_at <= now grants nothing).
    assert timeline_of(uk_case, at=until)[0]["kind"] == TimelineKind.SHARE_EXPIRED


def test_an_expired_partner_share_names_the_partner(cast, uk_case):
    until = timezone.now() + dt.timedelta(hours=1)
    share(cast, uk_case, partner="BHC", expires_at=until)
    partner = cast.partners["BHC"]
    newest = timeline_of(uk_case, at=until + dt.timedelta(minutes=1))[0]
    assert newest["summary"] == f"Share to {partner} expired"
    # A share recipient is not told of other recipients' shares, expired or not.
    later = until + dt.timedelta(minutes=1)
    recipient_view = load_full_parts(uk_case, owner=False, at=later)["timeline"]
    recipient_kinds = {event["kind"] for event in recipient_view}
    assert "created" in recipient_kinds
    assert recipient_kinds.isdisjoint({TimelineKind.SHARED, TimelineKind.SHARE_EXPIRED})


def test_a_share_revoked_before_expiry_does_not_show_as_expired(cast, uk_case):
    granted = share(cast, uk_case, office="ITA", expires_at=timezone.now() + dt.timedelta(hours=1))
    services.share_revoke(acting_user=fresh(cast.uk), share=granted)
    later = timezone.now() + dt.timedelta(hours=2)
    kinds = [event["kind"] for event in timeline_of(uk_case, at=later)]
    assert TimelineKind.SHARE_EXPIRED not in kinds
    assert TimelineKind.SHARE_REVOKED in kinds


# --- changing the lead office ------------------------------------------------------------------


def test_hq_hands_a_case_to_another_lead_office_and_the_grants_follow(cast, uk_case):
    from cases.grants import grant_drift

    held = share(cast, uk_case, office="ITA", level=ShareLevel.FULL, code="H1")
    onward = share(cast, uk_case, by="italy", partner="BHC", level=ShareLevel.SUMMARY, code="H1")
    with pytest.raises(PermissionDenied):
        services.case_change_lead_office(
            acting_user=fresh(cast.uk), case=uk_case, office=cast.offices["ITA"]
        )
    services.case_change_lead_office(
        acting_user=fresh(cast.hq), case=uk_case, office=cast.offices["ITA"]
    )
    uk_case.refresh_from_db()
    assert uk_case.lead_office == cast.offices["ITA"]
    # Italy leads it now: its share ended, what it passed on is its own sharing.
    held.refresh_from_db()
    onward.refresh_from_db()
    assert held.revoked_at is not None
    assert (onward.revoked_at, onward.passed_on_from) == (None, None)
    assert Case.objects.restrict(fresh(cast.italy), "change").filter(pk=uk_case.pk).exists()
    # The UK keeps a full-with-victims share, and may no longer change the case.
    uk = fresh(cast.uk)
    fetched = Case.objects.visible_to(uk).with_access(uk).get(pk=uk_case.pk)
    access = case_access(uk, fetched)
    assert (access.level, access.handling_code, access.can_change) == (3, "H0", False)
    assert sees(cast, "focal_point", uk_case)
    assert grant_drift() == []
