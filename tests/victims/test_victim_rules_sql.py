"""The victim rules written as SQL (`VisibleVictims`, `PersonalAccess`) equal the rules as
docs/architecture.md states them, composed here from Django's `Q`, `Exists` and `Case`/`When`
over the cases and shares (not the grants).

The world, drawn with a fixed seed: victims recorded by three offices and linked to cases led
by them; shares of those cases at every level to offices and partners (live, expired,
revoked); consents to share with one office or partner (live or withdrawn); referrals to the
two partners for every service, in every status, on a live or withdrawn consent or an
override. Every member of the cast is asked, with a user acting for two offices, a member of
two partners, and a user with no access; for every victim, the visible set and the
personal-data bit mask must agree.
"""

from __future__ import annotations

import itertools
import random
from datetime import timedelta
from functools import reduce

import pytest
from django.db.models import Case as SqlCase
from django.db.models import Exists, ExpressionWrapper, IntegerField, OuterRef, Q, Value, When
from django.utils import timezone
from guardian.shortcuts import assign_perm

from cases.constants import ShareLevel
from cases.grants import sync_case_grants
from cases.models import CaseShare
from liaison_offices.access import scope_of
from liaison_offices.constants import VIEW_CASES, Role, Service
from liaison_offices.models import Membership
from tests.cast import make_user
from tests.victims.conftest import fresh, make_case
from victims.constants import (
    ALL_PERSONAL_FIELDS,
    WORKING_REFERRAL_STATUSES,
    ConsentPurpose,
    ReferralStatus,
)
from victims.models import Consent, Referral, Victim, VictimCaseLink
from victims.querysets import PERSONAL_ACCESS, _service_groups, field_bits

pytestmark = pytest.mark.django_db
_codes = itertools.count(1)


# --- the rules as designed, composed from Q -----------------------------------------------------
def live_share_q() -> Q:
    """A share that grants: not revoked, not expired (over the shares, not the grants)."""
    now = timezone.now()
    return Q(revoked_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def visible_by_the_design(user):
    scope = scope_of(user)
    if scope.is_hq:
        return Victim.objects.all()
    if scope.is_empty:
        return Victim.objects.none()
    desks, partners = sorted(scope.view_office_ids), sorted(scope.partner_ids)
    shares_to_me = CaseShare.objects.filter(
        live_share_q(), Q(office_id__in=desks) | Q(partner_id__in=partners)
    )
    linked = Q(
        case_id__in=shares_to_me.filter(level=ShareLevel.FULL_WITH_VICTIMS).values("case_id")
    )
    if desks:
        linked |= Q(case__lead_office_id__in=desks)
    condition = Exists(VictimCaseLink.objects.filter(linked, victim_id=OuterRef("pk")))
    if desks:
        condition |= Q(recorded_by_office_id__in=desks)
    if partners:
        condition |= Exists(
            Referral.objects.filter(victim_id=OuterRef("pk"), partner_id__in=partners).exclude(
                status=ReferralStatus.REVOKED
            )
        )
    return Victim.objects.filter(condition)


def personal_access_by_the_design(user) -> dict[int, int]:
    scope = scope_of(user)
    everything = field_bits(ALL_PERSONAL_FIELDS)
    if scope.is_hq:
        return dict.fromkeys(Victim.objects.values_list("pk", flat=True), everything)
    desks, partners = sorted(scope.view_office_ids), sorted(scope.partner_ids)
    parts = []
    full = Q()
    if desks:
        full |= Q(recorded_by_office_id__in=desks) | Exists(
            VictimCaseLink.objects.filter(victim_id=OuterRef("pk"), case__lead_office_id__in=desks)
        )
    if desks or partners:
        consent = Consent.objects.filter(
            victim_id=OuterRef(OuterRef("pk")),
            purpose=ConsentPurpose.SHARING,
            withdrawn_at__isnull=True,
        ).filter(Q(office_id=OuterRef("office_id")) | Q(partner_id=OuterRef("partner_id")))
        full |= Exists(
            CaseShare.objects.filter(
                live_share_q(),
                Q(office_id__in=desks) | Q(partner_id__in=partners),
                Exists(consent),
                level=ShareLevel.FULL_WITH_VICTIMS,
                case__victim_links__victim_id=OuterRef("pk"),
            )
        )
        parts.append(SqlCase(When(full, then=Value(everything)), default=Value(0)))
    if partners:
        for bits, services in _service_groups():
            working = Referral.objects.filter(
                Q(consent__isnull=True) | Q(consent__withdrawn_at__isnull=True),
                victim_id=OuterRef("pk"),
                partner_id__in=partners,
                status__in=sorted(WORKING_REFERRAL_STATUSES),
                service__in=services,
            )
            parts.append(SqlCase(When(Exists(working), then=Value(bits)), default=Value(0)))
    if not parts:
        return dict.fromkeys(Victim.objects.values_list("pk", flat=True), 0)
    mask = reduce(lambda left, right: left.bitor(right), parts)
    rows = Victim.objects.annotate(mask=ExpressionWrapper(mask, output_field=IntegerField()))
    return dict(rows.values_list("pk", "mask"))


# --- the world ----------------------------------------------------------------------------------
@pytest.fixture
def world(cast):
    rng = random.Random(20261128)
    now = timezone.now()
    offices = [cast.offices[code] for code in ("GBR", "ITA", "ESP")]
    partners = [cast.partners["BHC"], cast.partners["IOM"]]
    cases = [make_case(office) for office in offices for _ in range(3)]
    share_states = [{}, {"expires_at": now - timedelta(days=1)}, {"revoked_at": now}]
    for case in cases:
        for recipient in rng.sample([*offices, *partners], 3):
            if recipient == case.lead_office:
                continue
            kind = "office" if recipient in offices else "partner"
            CaseShare.objects.create(
                case=case,
                level=rng.choice(list(ShareLevel)),
                **{kind: recipient},
                **rng.choice(share_states),
            )
    sync_case_grants(cases)  # as the case services write them
    for _ in range(45):
        victim = Victim.objects.create(
            code=f"V-RULE-{next(_codes):05d}", recorded_by_office=rng.choice(offices)
        )
        for case in rng.sample(cases, rng.choice([0, 1, 1, 2])):
            VictimCaseLink.objects.create(victim=victim, case=case)
        for recipient in rng.sample([*offices, *partners], rng.choice([0, 1, 2])):
            kind = "office" if recipient in offices else "partner"
            Consent.objects.create(
                victim=victim,
                purpose=ConsentPurpose.SHARING,
                withdrawn_at=rng.choice([None, None, now]),
                **{kind: recipient},
            )
        for _ in range(rng.choice([0, 1, 2])):
            partner, service = rng.choice(partners), rng.choice(list(Service))
            status = rng.choice(list(ReferralStatus))
            consent = None
            if rng.random() < 0.7:
                consent = Consent.objects.create(
                    victim=victim,
                    purpose=ConsentPurpose.REFERRAL,
                    partner=partner,
                    service=service,
                    withdrawn_at=rng.choice([None, None, now]),
                )
            Referral.objects.create(
                victim=victim,
                from_office=victim.recorded_by_office,
                partner=partner,
                service=service,
                status=status,
                consent=consent,
                override_reason="" if consent else "Urgent: no one to ask",
                decline_reason="Full" if status == ReferralStatus.DECLINED else "",
            )
    return cast


def askers(cast):
    two_desks = make_user("two.desks")
    assign_perm(VIEW_CASES, two_desks, cast.offices["ITA"])
    assign_perm(VIEW_CASES, two_desks, cast.offices["ESP"])
    two_partners = make_user("two.partners")
    for partner in (cast.partners["BHC"], cast.partners["IOM"]):
        Membership.objects.create(user=two_partners, partner=partner, role=Role.FOCAL_POINT)
    users = [*cast.users.values(), two_desks, two_partners, make_user("nobody")]
    return [fresh(user) for user in users]


def test_the_victim_rules_in_sql_equal_the_rules_as_designed(world):
    everything = field_bits(ALL_PERSONAL_FIELDS)
    told_apart = set()
    for user in askers(world):
        visible = set(Victim.objects.visible_to(user).values_list("pk", flat=True))
        assert visible == set(visible_by_the_design(user).values_list("pk", flat=True)), user
        masks = dict(Victim.objects.with_personal_access(user).values_list("pk", PERSONAL_ACCESS))
        assert masks == personal_access_by_the_design(user), user
        shown = dict(
            Victim.objects.visible_to(user)
            .with_personal_access(user)
            .values_list("pk", PERSONAL_ACCESS)
        )
        assert shown == {pk: masks[pk] for pk in visible}, user
        told_apart |= {("some", bool(visible)), ("not all", len(visible) < len(masks))}
        told_apart |= {("mask", 0 < mask < everything) for mask in masks.values()}
    # The world tells the rules apart: users see some victims and not others, and some
    # see only a service's fields of one.
    assert {("some", True), ("not all", True), ("mask", True)} <= told_apart


def test_starting_from_the_users_own_victims_lists_the_same_victims(world):
    """`starting_from_own` only tells PostgreSQL where to start: the ids each branch of the
    rule reaches hold every victim the rule admits, so the list is the same, for users of one
    or two desks or organisations (narrowed) and for HQ and nobody (left alone)."""
    narrowed = 0
    for user in askers(world):
        visible = set(Victim.objects.visible_to(user).values_list("pk", flat=True))
        started = Victim.objects.visible_to(user).starting_from_own(user)
        assert set(started.values_list("pk", flat=True)) == visible, user
        assert started.count() == len(visible), user
        reached = set(Victim.objects.starting_from_own(user).values_list("pk", flat=True))
        assert visible <= reached, user  # the candidates alone already hold them all
        narrowed += reached != set(Victim.objects.values_list("pk", flat=True))
    assert narrowed >= 3  # most users' candidates are a part of the table, not all of it
