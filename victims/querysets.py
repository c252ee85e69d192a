"""Reads for victims and referrals: who sees which victim, and which of its personal fields.

Both rules are written once, here, as SQL built from the user's scope (a handful of office and
partner ids, one query, remembered per request), never from a list of case or victim ids:

- `Victim.objects.visible_to(user)`: victims linked to a case with a live grant to the user at
  the "full with victims" level or above (the lead office's grant is), or recorded by one of
  their desks;
  plus, for partner members, the victims of referrals sent to their organisation (not
  revoked). HQ sees all.
- `.with_personal_access(user)`: annotates `personal_access`, a bit mask of the personal fields
  the user may see on each row (see `victims.access` for the rules and the field bits).
"""

from __future__ import annotations

from django.db import connection, models
from django.db.models import BooleanField, Exists, IntegerField, OuterRef, Q, Value
from django.db.models.expressions import RawSQL
from django.utils import timezone

from cases.querysets import ColumnsSql
from liaison_offices.access import VisibleQuerySet, scope_of

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


class _VictimColumns(ColumnsSql):
    """Over a victim's `id` and `recorded_by_office_id` (as the case rule is over a case's:
    `cases.querysets.VisibleCases`). The rules below were composed from `Q`, `Exists` and
    `Case`/`When`: building and compiling them cost ~10 ms of CPU on every read of a case's
    victims (bench/ANALYSIS.md).
    """

    column_names = ("pk", "recorded_by_office_id")

    def __init__(self, scope, at, output_field):
        super().__init__(output_field=output_field)
        self.scope, self.at = scope, at

    def _tables(self):
        from victims.models import Consent, Referral, VictimCaseLink

        return {
            "link": VictimCaseLink._meta.db_table,
            "consent": Consent._meta.db_table,
            "referral": Referral._meta.db_table,
        }

    def _desks(self):
        return sorted(self.scope.view_office_ids)

    def _partners(self):
        return sorted(self.scope.partner_ids)


class VisibleVictims(_VictimColumns):
    """Who sees a victim, for one non-HQ, non-empty scope: linked to a case with a live grant to
    them at the "full with victims" level or above (the lead office's included); recorded by
    one of their desks; or, for partner members, referred to their organisation (a referral
    not revoked)."""

    conditional = True

    def __init__(self, scope, at):
        super().__init__(scope, at, BooleanField())

    def sql(self, victim_id, recorded_by, compiler, connection):
        from cases.constants import ShareLevel
        from cases.querysets import GRANTS, GrantSql, sql_in
        from victims.constants import ReferralStatus

        t, desks, partners = self._tables(), self._desks(), self._partners()
        grant, params = GrantSql(self.scope, self.at, ShareLevel.FULL_WITH_VICTIMS).where(
            "victim_grant", connection
        )
        parts = [
            f"EXISTS(SELECT 1 FROM {t['link']} victim_link JOIN {GRANTS} victim_grant "  # noqa: S608
            f"ON victim_grant.case_id = victim_link.case_id "
            f"WHERE victim_link.victim_id = {victim_id} AND {grant})"
        ]
        params = list(params)
        if desks:
            recorded, recorded_params = sql_in(recorded_by, desks, connection)
            parts.append(recorded)
            params += recorded_params
        if partners:
            to_partner, partner_params = sql_in("victim_referral.partner_id", partners, connection)
            parts.append(
                f"EXISTS(SELECT 1 FROM {t['referral']} victim_referral "  # noqa: S608
                f"WHERE victim_referral.victim_id = {victim_id} AND {to_partner} "
                "AND NOT (victim_referral.status = %s))"
            )
            params += [*partner_params, ReferralStatus.REVOKED]
        return f"({' OR '.join(parts)})", params


class PersonalAccess(_VictimColumns):
    """The bit mask of a victim's personal fields one non-HQ, non-empty scope may see (the
    rules of `VictimQuerySet.with_personal_access`): every field, or the OR of the fields of
    the services its organisation works referrals for, or none."""

    def __init__(self, scope, at):
        super().__init__(scope, at, IntegerField())

    def sql(self, victim_id, recorded_by, compiler, connection):
        from victims.constants import ALL_PERSONAL_FIELDS

        masks, params = [], []
        full, full_params = self._full_access(victim_id, recorded_by, connection)
        if full:
            masks.append(f"CASE WHEN {full} THEN %s ELSE 0 END")
            params += [*full_params, field_bits(ALL_PERSONAL_FIELDS)]
        if self.scope.partner_ids:
            for sql, part_params in self._referral_access(victim_id, connection):
                masks.append(sql)
                params += part_params
        if not masks:
            return "0", []
        return f"({' | '.join(masks)})", params

    def _full_access(self, victim_id, recorded_by, connection) -> tuple[str, list]:
        """Rules 1 and 2: a desk of the recording or lead office; a consented share's grant."""
        from cases.constants import ShareLevel
        from cases.querysets import GRANTS, GrantSql, sql_in
        from victims.constants import ConsentPurpose

        t, desks = self._tables(), self._desks()
        parts, params = [], []
        if desks:
            recorded, recorded_params = sql_in(recorded_by, desks, connection)
            lead, lead_params = GrantSql(
                self.scope, self.at, offices=self.scope.view_office_ids, lead_only=True
            ).where("owner_grant", connection)
            parts += [
                recorded,
                f"EXISTS(SELECT 1 FROM {t['link']} owner_link JOIN {GRANTS} owner_grant "  # noqa: S608
                f"ON owner_grant.case_id = owner_link.case_id "
                f"WHERE owner_link.victim_id = {victim_id} AND {lead})",
            ]
            params += recorded_params + lead_params
        # The consent must name the grant's own recipient: a consent to share with the British
        # High Commission opens nothing to an office the case is also shared with.
        share, share_params = GrantSql(
            self.scope, self.at, ShareLevel.FULL_WITH_VICTIMS, shares_only=True
        ).where("consented_grant", connection)
        parts.append(
            f"EXISTS(SELECT 1 FROM {GRANTS} consented_grant JOIN {t['link']} consented_link "  # noqa: S608
            f"ON consented_link.case_id = consented_grant.case_id "
            f"WHERE consented_link.victim_id = {victim_id} AND {share} "
            f"AND EXISTS(SELECT 1 FROM {t['consent']} share_consent "
            f"WHERE share_consent.victim_id = {victim_id} AND share_consent.purpose = %s "
            "AND share_consent.withdrawn_at IS NULL "
            "AND (share_consent.office_id = consented_grant.office_id "
            "OR share_consent.partner_id = consented_grant.partner_id)))"
        )
        params += [*share_params, ConsentPurpose.SHARING]
        return f"({' OR '.join(parts)})", params

    def _referral_access(self, victim_id, connection) -> list[tuple[str, list]]:
        """Rule 3: one probe per group of services that need the same fields."""
        from cases.querysets import sql_in
        from victims.constants import WORKING_REFERRAL_STATUSES

        t = self._tables()
        to_partner, partner_params = sql_in("working.partner_id", self._partners(), connection)
        working, working_params = sql_in(
            "working.status", sorted(WORKING_REFERRAL_STATUSES), connection
        )
        masks = []
        for bits, services in _service_groups():
            service, service_params = sql_in("working.service", services, connection)
            masks.append(
                (
                    f"CASE WHEN EXISTS(SELECT 1 FROM {t['referral']} working "  # noqa: S608
                    f"WHERE working.victim_id = {victim_id} AND {to_partner} AND {working} "
                    f"AND {service} AND (working.consent_id IS NULL OR EXISTS("
                    f"SELECT 1 FROM {t['consent']} working_consent "
                    "WHERE working_consent.id = working.consent_id "
                    "AND working_consent.withdrawn_at IS NULL))) THEN %s ELSE 0 END",
                    [*partner_params, *working_params, *service_params, bits],
                )
            )
        return masks


class VictimQuerySet(VisibleQuerySet):
    def rule(self, scope, at):
        """Victims the user may see (the code and non-identifying fields): `VisibleVictims`."""
        return VisibleVictims(scope, at)

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

    def starting_from_own(self, user) -> VictimQuerySet:
        """The same victims, told where to start: for a user of a few desks and organisations,
        also `pk IN` the ids each branch of the rule reaches through its own index (grants to
        cases and their victim links; victims their desks recorded; their referrals). The rule
        itself (`visible_to`) still decides; this only spares PostgreSQL its plan for the
        rule's OR of EXISTS, which reads every victim in the table to find a few hundred. A
        user of many desks sees most victims, for whom reading the table newest first is the
        right plan; HQ and the empty scope are decided without the rule. For lists and counts.
        """
        from cases.constants import ShareLevel
        from cases.querysets import GRANTS, WALK_MAX_RECIPIENTS, GrantSql, sql_in
        from victims.models import Referral, Victim, VictimCaseLink

        scope = scope_of(user)
        recipients = len(scope.view_office_ids) + len(scope.partner_ids)
        if scope.is_hq or scope.is_empty or recipients > WALK_MAX_RECIPIENTS:
            return self
        grant, params = GrantSql(scope, timezone.now(), ShareLevel.FULL_WITH_VICTIMS).where(
            "g", connection
        )
        # Our own table names and placeholders only (S608).
        arms = [
            f"SELECT l.victim_id FROM {VictimCaseLink._meta.db_table} l "  # noqa: S608
            f"JOIN {GRANTS} g ON g.case_id = l.case_id WHERE {grant}"
        ]
        params = list(params)
        if scope.view_office_ids:
            recorded, recorded_params = sql_in(
                "v.recorded_by_office_id", sorted(scope.view_office_ids), connection
            )
            arms.append(f"SELECT v.id FROM {Victim._meta.db_table} v WHERE {recorded}")  # noqa: S608
            params += recorded_params
        if scope.partner_ids:
            referred, referred_params = sql_in(
                "r.partner_id", sorted(scope.partner_ids), connection
            )
            arms.append(f"SELECT r.victim_id FROM {Referral._meta.db_table} r WHERE {referred}")  # noqa: S608
            params += referred_params
        return self.filter(pk__in=RawSQL(" UNION ".join(arms), params))  # noqa: S611 (as above)

    def with_personal_access(self, user) -> VictimQuerySet:
        """Annotate `personal_access`: the bit mask of personal fields `user` may see per row.

        The rules (`victims.access` documents them; `PersonalAccess` writes them):
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
        stamp = {PERSONAL_ACCESS_USER: Value(getattr(user, "pk", None), IntegerField())}
        if scope.is_hq:
            everything = field_bits(ALL_PERSONAL_FIELDS)
            return self.annotate(**{PERSONAL_ACCESS: Value(everything, IntegerField())}, **stamp)
        if scope.is_empty:
            return self.annotate(**{PERSONAL_ACCESS: Value(0, IntegerField())}, **stamp)
        return self.annotate(**{PERSONAL_ACCESS: PersonalAccess(scope, timezone.now())}, **stamp)

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


class ReferralQuerySet(VisibleQuerySet):
    def rule(self, scope, at):
        """Referrals sent by one of the user's desks or received by their organisation."""
        condition = Q()
        if scope.view_office_ids:
            condition |= Q(from_office_id__in=sorted(scope.view_office_ids))
        if scope.partner_ids:
            condition |= Q(partner_id__in=sorted(scope.partner_ids))
        return condition

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
