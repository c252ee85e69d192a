"""Reads for victims and referrals: who sees which victim, and which of its personal fields.

Both rules are written once, here, as SQL built from the user's scope (a handful of office and
partner ids, one query, remembered per request), never from a list of case or victim ids:

- `Victim.objects.visible_to(user)`: victims linked to a case led by one of the user's desks or
  live-shared with them at the "full with victims" level, or recorded by one of their desks;
  plus, for partner members, the victims of referrals sent to their organisation (not
  revoked). HQ sees all.
- `.with_personal_access(user)`: annotates `personal_access`, a bit mask of the personal fields
  the user may see on each row (see `victims.access` for the rules and the field bits).
"""

from __future__ import annotations

from functools import reduce

from django.db import models
from django.db.models import Case as SqlCase
from django.db.models import Exists, IntegerField, OuterRef, Q, Value, When
from django.utils import timezone

from liaison_offices.access import scope_of

PERSONAL_ACCESS = "personal_access"
PERSONAL_ACCESS_USER = "personal_access_user"


def field_bits(fields) -> int:
    """The bit mask of a set of personal field names."""
    from victims.constants import ALL_PERSONAL_FIELDS

    return sum(1 << ALL_PERSONAL_FIELDS.index(name) for name in set(fields))


def fields_of_mask(mask: int) -> frozenset[str]:
    from victims.constants import ALL_PERSONAL_FIELDS

    return frozenset(name for i, name in enumerate(ALL_PERSONAL_FIELDS) if mask & (1 << i))


def _service_groups() -> list[tuple[int, list[str]]]:
    """Services grouped by the fields they need: one SQL probe per group, not per service."""
    from victims.constants import SERVICE_FIELDS

    groups: dict[int, list[str]] = {}
    for service, fields in SERVICE_FIELDS.items():
        groups.setdefault(field_bits(fields), []).append(str(service))
    return sorted(groups.items())


class VictimQuerySet(models.QuerySet):
    def visible_to(self, user) -> VictimQuerySet:
        """Victims the user may see (the code and non-identifying fields)."""
        scope = scope_of(user)
        if scope.is_hq:
            return self.all()
        if scope.is_empty:
            return self.none()
        from cases.constants import ShareLevel
        from cases.models import CaseShare
        from victims.constants import ReferralStatus
        from victims.models import Referral, VictimCaseLink

        # A share shows a case's victims only at the "full with victims" level (DESIGN §3):
        # summary and full shares show the case, not who was exploited in it.
        linked_cases = Q(
            case_id__in=CaseShare.objects.for_recipient(user)
            .filter(level=ShareLevel.FULL_WITH_VICTIMS)
            .values("case_id")
        )
        if scope.view_office_ids:
            linked_cases |= Q(case__lead_office_id__in=sorted(scope.view_office_ids))
        condition = Exists(VictimCaseLink.objects.filter(linked_cases, victim_id=OuterRef("pk")))
        if scope.view_office_ids:
            condition |= Q(recorded_by_office_id__in=sorted(scope.view_office_ids))
        if scope.partner_ids:
            condition |= Exists(
                Referral.objects.filter(
                    victim_id=OuterRef("pk"), partner_id__in=sorted(scope.partner_ids)
                ).exclude(status=ReferralStatus.REVOKED)
            )
        return self.filter(condition)

    def restrict(self, user, action: str = "view") -> VictimQuerySet:
        """`view` is `visible_to`; `change`: recorded by, or linked to a case led by, an office
        the user may work (shares and referrals never grant editing a victim).
        """
        if action == "view":
            return self.visible_to(user)
        if action != "change":
            raise ValueError(f"Unknown action {action!r}")
        scope = scope_of(user)
        if scope.is_hq:
            return self.all()
        if not scope.change_office_ids:
            return self.none()
        from victims.models import VictimCaseLink

        offices = sorted(scope.change_office_ids)
        return self.filter(
            Q(recorded_by_office_id__in=offices)
            | Exists(
                VictimCaseLink.objects.filter(
                    victim_id=OuterRef("pk"), case__lead_office_id__in=offices
                )
            )
        )

    def with_personal_access(self, user) -> VictimQuerySet:
        """Annotate `personal_access`: the bit mask of personal fields `user` may see per row.

        The rules (DESIGN §4; `victims.access` documents them):
        1. HQ, and the desks of the recording office or of the lead office of a linked case:
           every field.
        2. A recipient of a live FULL_WITH_VICTIMS share of a linked case: every field, only
           while the victim's consent to sharing with that very office or organisation is live.
        3. A partner working a referral of the victim (accepted / in progress) that relies on
           a live consent or on an override: the fields its service needs (SERVICE_FIELDS).
        4. Everyone else: none.
        """
        from victims.constants import ALL_PERSONAL_FIELDS

        scope = scope_of(user)
        everything = field_bits(ALL_PERSONAL_FIELDS)
        stamp = {PERSONAL_ACCESS_USER: Value(getattr(user, "pk", None), IntegerField())}
        if scope.is_hq:
            return self.annotate(**{PERSONAL_ACCESS: Value(everything, IntegerField())}, **stamp)
        parts: list = []
        full = self._full_access_condition(scope)
        if full is not None:
            parts.append(SqlCase(When(full, then=Value(everything)), default=Value(0)))
        if scope.partner_ids:
            parts.extend(self._referral_access_parts(scope))
        if not parts:
            return self.annotate(**{PERSONAL_ACCESS: Value(0, IntegerField())}, **stamp)
        mask = reduce(lambda left, right: left.bitor(right), parts)
        return self.annotate(
            **{PERSONAL_ACCESS: models.ExpressionWrapper(mask, output_field=IntegerField())},
            **stamp,
        )

    @staticmethod
    def _full_access_condition(scope) -> Q | None:
        from cases.constants import ShareLevel
        from cases.models import CaseShare
        from cases.querysets import live_share_q
        from victims.constants import ConsentPurpose
        from victims.models import Consent, VictimCaseLink

        condition = Q()
        if scope.view_office_ids:
            desks = sorted(scope.view_office_ids)
            condition |= Q(recorded_by_office_id__in=desks) | Exists(
                VictimCaseLink.objects.filter(
                    victim_id=OuterRef("pk"), case__lead_office_id__in=desks
                )
            )
        recipients = Q()
        if scope.view_office_ids:
            recipients |= Q(office_id__in=sorted(scope.view_office_ids))
        if scope.partner_ids:
            recipients |= Q(partner_id__in=sorted(scope.partner_ids))
        if recipients:
            # The consent must name the share's own recipient: a consent to share with the
            # British High Commission opens nothing to an office the case is also shared with.
            consent = Consent.objects.filter(
                victim_id=OuterRef(OuterRef("pk")),
                purpose=ConsentPurpose.SHARING,
                withdrawn_at__isnull=True,
            ).filter(Q(office_id=OuterRef("office_id")) | Q(partner_id=OuterRef("partner_id")))
            condition |= Exists(
                CaseShare.objects.filter(
                    live_share_q(),
                    recipients,
                    Exists(consent),
                    level=ShareLevel.FULL_WITH_VICTIMS,
                    case__victim_links__victim_id=OuterRef("pk"),
                )
            )
        return condition or None

    @staticmethod
    def _referral_access_parts(scope) -> list:
        from victims.constants import WORKING_REFERRAL_STATUSES
        from victims.models import Referral

        parts = []
        for bits, services in _service_groups():
            working = Referral.objects.filter(
                Q(consent__isnull=True) | Q(consent__withdrawn_at__isnull=True),
                victim_id=OuterRef("pk"),
                partner_id__in=sorted(scope.partner_ids),
                status__in=sorted(WORKING_REFERRAL_STATUSES),
                service__in=services,
            )
            parts.append(SqlCase(When(Exists(working), then=Value(bits)), default=Value(0)))
        return parts

    def for_statistics(self) -> VictimQuerySet:
        """Victims with a live consent to use in statistics."""
        from victims.constants import ConsentPurpose
        from victims.models import Consent

        return self.filter(
            Exists(
                Consent.objects.filter(
                    victim_id=OuterRef("pk"),
                    purpose=ConsentPurpose.STATISTICS,
                    withdrawn_at__isnull=True,
                )
            )
        )


class ConsentQuerySet(models.QuerySet):
    def live(self) -> ConsentQuerySet:
        """Consents not withdrawn."""
        return self.filter(withdrawn_at__isnull=True)

    def visible_to(self, user) -> ConsentQuerySet:
        """Consents of the victims the user may see."""
        from victims.models import Victim

        scope = scope_of(user)
        if scope.is_hq:
            return self.all()
        return self.filter(victim__in=Victim.objects.visible_to(user))

    def for_referral(self, *, victim, partner, service: str) -> ConsentQuerySet:
        """Live consents to refer `victim` to `partner` for `service`."""
        from victims.constants import ConsentPurpose

        return self.live().filter(
            victim=victim, purpose=ConsentPurpose.REFERRAL, partner=partner, service=service
        )


class ReferralQuerySet(models.QuerySet):
    def visible_to(self, user) -> ReferralQuerySet:
        """Referrals sent by one of the user's desks or received by their organisation; HQ all."""
        scope = scope_of(user)
        if scope.is_hq:
            return self.all()
        if scope.is_empty:
            return self.none()
        condition = Q()
        if scope.view_office_ids:
            condition |= Q(from_office_id__in=sorted(scope.view_office_ids))
        if scope.partner_ids:
            condition |= Q(partner_id__in=sorted(scope.partner_ids))
        return self.filter(condition)

    def unanswered(self, *, older_than, now=None) -> ReferralQuerySet:
        """Pending referrals sent before `now - older_than`."""
        from victims.constants import ReferralStatus

        now = now or timezone.now()
        return self.filter(status=ReferralStatus.PENDING, created_at__lte=now - older_than)


class FollowUpQuerySet(models.QuerySet):
    def visible_to(self, user) -> FollowUpQuerySet:
        """Follow-ups of the referrals the user may see."""
        from victims.models import Referral

        scope = scope_of(user)
        if scope.is_hq:
            return self.all()
        return self.filter(referral__in=Referral.objects.visible_to(user))

    def due(self, on=None) -> FollowUpQuerySet:
        """Follow-ups not done whose due date has come."""
        return self.filter(done_at__isnull=True, due_on__lte=on or timezone.localdate())
