"""The share, message and request rules, written as SQL (`VisibleShares`, `VisibleMessages`,
`VisibleRequests`), equal the rules as docs/architecture.md states them, composed here from
Django's `Q` and `Exists` over the cases and shares (not the grants).

The world: cases led by two offices, shared at every level to offices and to partners (live,
expired, revoked), some passed on by their recipient, each case with its own thread; requests
between offices and to partners, each with its thread. Every member of the cast, and a user
who acts for two offices, is asked.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from guardian.shortcuts import assign_perm

from cases.constants import CaseKind, ShareLevel
from cases.grants import sync_case_grants
from cases.models import Case, CaseShare, CooperationRequest, Message
from liaison_offices.access import scope_of
from liaison_offices.constants import VIEW_CASES
from tests.cases.conftest import fresh
from tests.cast import make_user

pytestmark = pytest.mark.django_db
_numbers = itertools.count(1)


def requests_by_the_design(user):
    """Sent by or to one of the user's desks, or to their partner organisation; HQ all."""
    scope = scope_of(user)
    if scope.is_hq:
        return CooperationRequest.objects.all()
    return CooperationRequest.objects.filter(
        Q(from_office_id__in=scope.view_office_ids)
        | Q(to_office_id__in=scope.view_office_ids)
        | Q(to_partner_id__in=scope.partner_ids)
    )


def shares_by_the_design(user):
    """All shares of cases led by a desk; live shares to a desk or partner; and the shares
    passed on from one of those."""
    scope = scope_of(user)
    if scope.is_hq:
        return CaseShare.objects.all()
    mine = (Q(office_id__in=scope.view_office_ids) | Q(partner_id__in=scope.partner_ids)) & (
        Q(revoked_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
    )
    return CaseShare.objects.filter(
        Q(case__lead_office_id__in=scope.view_office_ids)
        | mine
        | Q(passed_on_from__in=CaseShare.objects.filter(mine).values("pk"))
    )


def messages_by_the_design(user):
    """A case's thread to those who see the case at FULL or more; a request's to its parties."""
    if scope_of(user).is_hq:
        return Message.objects.all()
    case_seen = Case.objects.visible_to(user, ShareLevel.FULL).filter(pk=OuterRef("case_id"))
    return Message.objects.filter(
        (Q(request__isnull=True) & Exists(case_seen)) | Q(request__in=requests_by_the_design(user))
    )


@pytest.fixture
def world(cast):
    now = timezone.now()
    states = {
        "live": {},
        "expired": {"expires_at": now - timedelta(days=1)},
        "revoked": {"revoked_at": now - timedelta(hours=1)},
    }
    recipients = [{"office": cast.offices["ITA"]}, {"office": cast.offices["ESP"]},
                  {"partner": cast.partners["BHC"]}, {"partner": cast.partners["IOM"]}]  # fmt: skip
    for lead in ("GBR", "ITA"):
        for level, state, recipient in itertools.product(ShareLevel, states, recipients):
            if recipient.get("office") == cast.offices[lead]:
                continue
            case = Case.objects.create(
                reference=f"{lead}-TIP-2026-{next(_numbers):05d}",
                kind=CaseKind.TIP,
                lead_office=cast.offices[lead],
                title="A case",
            )
            shared = CaseShare.objects.create(case=case, level=level, **recipient, **states[state])
            if "office" in recipient:  # the recipient office passes it on to a partner
                CaseShare.objects.create(
                    case=case,
                    level=ShareLevel.SUMMARY,
                    partner=cast.partners["IOM" if level % 2 else "BHC"],
                    passed_on_from=shared,
                    **states[["live", "expired", "revoked"][level % 3]],
                )
            Message.objects.create(case=case, body="On the case", accuracy=2)
            # A request from the lead office to the share's recipient, with its thread.
            request = CooperationRequest.objects.create(
                case=case,
                from_office=case.lead_office,
                to_office=recipient.get("office"),
                to_partner=recipient.get("partner"),
                kind="evidence",
                question="Please check",
                due_at=now + timedelta(days=7),
            )
            Message.objects.create(case=case, request=request, body="On the request", accuracy=2)
    sync_case_grants(Case.objects.all())  # as the case services write them
    return cast


def askers(cast):
    two_desks = make_user("two.desks")
    assign_perm(VIEW_CASES, two_desks, cast.offices["ESP"])
    assign_perm(VIEW_CASES, two_desks, cast.offices["GBR"])
    return [*(fresh(user) for user in cast.users.values()), fresh(two_desks), make_user("nobody")]


def test_shares_messages_and_requests_visible_to_equal_the_rules_as_designed(world):
    for user in askers(world):
        assert set(CaseShare.objects.visible_to(user)) == set(shares_by_the_design(user)), user
        assert set(Message.objects.visible_to(user)) == set(messages_by_the_design(user)), user
        assert set(CooperationRequest.objects.visible_to(user)) == set(
            requests_by_the_design(user)
        ), user
    # The world is varied enough to tell the rules apart: the Italy officer sees some of the
    # case threads and some of the request threads, not all of either.
    italy = fresh(world.italy)
    shares = CaseShare.objects.visible_to(italy)
    for kind in (Q(passed_on_from__isnull=True), Q(passed_on_from__isnull=False)):
        assert 0 < shares.filter(kind).count() < CaseShare.objects.filter(kind).count()
    seen = Message.objects.visible_to(italy)
    for kind in (Q(request__isnull=True), Q(request__isnull=False)):
        assert 0 < seen.filter(kind).count() < Message.objects.filter(kind).count()


def test_the_message_rule_is_one_query_and_works_as_a_subquery(world):
    italy = fresh(world.italy)
    scope_of(italy)
    visible = Message.objects.visible_to(italy)
    with CaptureQueriesContext(connection) as queries:
        cases = set(Case.objects.filter(messages__in=visible).distinct())
    assert len(queries) == 1
    assert cases == {message.case for message in messages_by_the_design(italy)}
