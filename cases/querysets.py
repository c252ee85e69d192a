"""Reads for cases: the one visibility rule (DESIGN §4), written once, used by every door.

`Case.objects.visible_to(user)` is a single SQL query: the user's desks and partner
organisations are resolved first (a handful of ids, one query, remembered per request), then
cases are those led by a desk, or with a live share to a desk or partner. No per-row Python
check and no list of case ids is ever built in Python.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import connection, models
from django.db.models import BooleanField, Exists, Expression, OuterRef, Q
from django.http import Http404
from django.utils import timezone

from cases.constants import ShareLevel
from liaison_offices.access import Scope, can_work_office, scope_of


def live_share_q(prefix: str = "", at=None) -> Q:
    """Q for shares that still grant: not revoked and not expired, evaluated at query time."""
    at = at or timezone.now()
    return Q(**{f"{prefix}revoked_at__isnull": True}) & (
        Q(**{f"{prefix}expires_at__isnull": True}) | Q(**{f"{prefix}expires_at__gt": at})
    )


# From this many desks on, a user sees a large part of all cases (the worst case in the
# benchmarks acts for 40 of 60 offices: 75% of them). Their share test is then made row by row
# (see `RowByRowExists`); below it, PostgreSQL's hashed subplan of their few live shares is
# cheaper. Measured in bench/ANALYSIS.md.
WIDE_SCOPE_DESKS = 16


class RowByRowExists(Exists):
    """EXISTS that PostgreSQL evaluates per outer row, through the index on `case_id`.

    Left to itself, the planner turns `lead_office_id IN desks OR EXISTS (live share)` into a
    *hashed* subplan: it first reads every live share of every desk (25,000 rows for a user
    with 40 desks) to build a hash, on every request, even for a page of 25 that its index scan
    fills after ~35 rows. `OFFSET 0` is PostgreSQL's documented optimisation fence: the
    subquery can no longer be flattened into a hashed semi-join, so each row that is not led by
    a desk costs one probe into the share index instead.
    """

    template = "EXISTS(%(subquery)s OFFSET 0)"


# Set on a query being counted (CaseQuerySet.count), read by VisibleCases when it compiles.
COUNTING = "glo_act_counting"


class VisibleCases(Expression):
    """The visibility condition with two SQL shapes for the same rows: one to fetch, one to
    count.

    For a user with few desks, fetching a page is fastest as `lead_office_id IN desks OR EXISTS
    (live share)`: the index on (-updated_at, -id) is walked in order and stops after the page
    (1.3 ms for the benchmark's median user). Counting that shape is a sequential scan that
    reads ~45,000 of 100,000 cases before it finds 1,001 visible ones (30-40 ms); counting
    `pk IN (cases led by a desk UNION ALL cases with a live share)` reads only the two index
    ranges (2.5-7 ms) — but as a page that shape fetches and sorts every visible case. So the
    condition compiles to the second shape only inside `CaseQuerySet.count()`.
    """

    conditional = True

    def __init__(self, fetch: Q, count: Q):
        super().__init__(output_field=BooleanField())
        self.fetch, self.count = fetch, count

    def get_source_expressions(self):
        return [self.fetch, self.count]

    def set_source_expressions(self, exprs):
        self.fetch, self.count = exprs

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False,
                           for_save=False):  # fmt: skip
        clone = self.copy()
        clone.is_summary = summarize
        clone.fetch = self.fetch.resolve_expression(query, allow_joins, reuse, summarize, False)
        clone.count = self.count.resolve_expression(query, allow_joins, reuse, summarize, False)
        return clone

    def as_sql(self, compiler, connection):
        counting = getattr(compiler.query, COUNTING, False)
        return compiler.compile(self.count if counting else self.fetch)


def _share_recipient_q(scope: Scope, prefix: str = "") -> Q | None:
    """Shares addressed to one of the scope's desks or partner organisations."""
    q = Q()
    if scope.view_office_ids:
        q |= Q(**{f"{prefix}office_id__in": sorted(scope.view_office_ids)})
    if scope.partner_ids:
        q |= Q(**{f"{prefix}partner_id__in": sorted(scope.partner_ids)})
    return q or None


class CaseQuerySet(models.QuerySet):
    def count(self) -> int:
        """As Django's, with `VisibleCases` in its counting shape (same rows, cheaper plan)."""
        if self._result_cache is not None:
            return len(self._result_cache)
        query = self.query.chain()
        setattr(query, COUNTING, True)
        return query.get_count(using=self.db)

    def visible_to(self, user, min_level: int = ShareLevel.SUMMARY) -> CaseQuerySet:
        """Cases the user may see: HQ all; else led by a desk or live-shared with them.

        `min_level` asks for cases seen at least at that share level (messages and the
        timeline need FULL; victims FULL_WITH_VICTIMS); the lead office sees everything.
        """
        scope = scope_of(user)
        if scope.is_hq:
            return self.all()
        if scope.is_empty:
            return self.none()
        from cases.models import CaseShare

        condition = Q()
        if scope.view_office_ids:
            condition |= Q(lead_office_id__in=sorted(scope.view_office_ids))
        recipients = _share_recipient_q(scope)
        if recipients is None:
            return self.filter(condition)
        wide = len(scope.view_office_ids) >= WIDE_SCOPE_DESKS
        live = CaseShare.objects.filter(live_share_q(), recipients)
        if min_level > ShareLevel.SUMMARY:
            live = live.filter(level__gte=min_level)
        exists = RowByRowExists if wide and connection.vendor == "postgresql" else Exists
        condition |= exists(live.filter(case_id=OuterRef("pk")))
        if wide or connection.vendor != "postgresql":
            return self.filter(condition)
        # Few desks: the same rows, counted through the two index ranges (see VisibleCases).
        branches = [live.order_by().values("case_id")]
        if scope.view_office_ids:
            led = self.model.objects.filter(lead_office_id__in=sorted(scope.view_office_ids))
            branches.insert(0, led.order_by().values("pk"))
        union = branches[0].union(*branches[1:], all=True)
        return self.filter(VisibleCases(condition, Q(pk__in=union)))

    def restrict(self, user, action: str = "view") -> CaseQuerySet:
        """`view` is `visible_to`; `change` is cases led by an office the user may work.

        Shares grant reading and messaging, never editing.
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
        return self.filter(lead_office_id__in=sorted(scope.change_office_ids))

    def with_exploitation(self, form: str) -> CaseQuerySet:
        """Cases whose forms of exploitation include `form`."""
        if connection.vendor == "postgresql":
            return self.filter(forms_of_exploitation__contains=[form])
        # SQLite (the demo database) has no JSON containment; the JSON text holds '"form"'.
        return self.filter(forms_of_exploitation__icontains=f'"{form}"')

    def search(self, text: str, *, user) -> CaseQuerySet:
        """Reference, title, suspect name or route place contains `text`.

        Suspects and the route are full-level fields: they are matched only on cases `user`
        sees at FULL or more, so a summary share cannot ask "is Tariq a suspect here?".
        """
        text = text.strip()
        if not text:
            return self
        from cases.models import Case, RouteLeg, Suspect

        deep = Exists(
            Suspect.objects.filter(case_id=OuterRef("pk"), name__icontains=text)
        ) | Exists(RouteLeg.objects.filter(case_id=OuterRef("pk"), place__icontains=text))
        if not scope_of(user).is_hq:
            deep &= Q(pk__in=Case.objects.visible_to(user, ShareLevel.FULL).values("pk"))
        return self.filter(Q(reference__icontains=text) | Q(title__icontains=text) | deep)


class CaseShareQuerySet(models.QuerySet):
    def live(self, at=None) -> CaseShareQuerySet:
        """Shares that grant access now (not revoked, not expired)."""
        return self.filter(live_share_q(at=at))

    def visible_to(self, user) -> CaseShareQuerySet:
        """All shares of cases the user's desks lead; the live shares addressed to them; and the
        shares they passed on from one of those (never other recipients' shares).
        """
        scope = scope_of(user)
        if scope.is_hq:
            return self.all()
        if scope.is_empty:
            return self.none()
        condition = Q()
        if scope.view_office_ids:
            condition |= Q(case__lead_office_id__in=sorted(scope.view_office_ids))
        recipients = _share_recipient_q(scope)
        if recipients is not None:
            mine = recipients & live_share_q()
            condition |= mine
            condition |= Q(passed_on_from__in=self.model.objects.filter(mine).values("pk"))
        return self.filter(condition)

    def for_recipient(self, user) -> CaseShareQuerySet:
        """Live shares addressed to the user's desks or partner organisations."""
        scope = scope_of(user)
        recipients = _share_recipient_q(scope)
        if recipients is None:
            return self.none()
        return self.live().filter(recipients)


class CooperationRequestQuerySet(models.QuerySet):
    def visible_to(self, user) -> CooperationRequestQuerySet:
        """Requests sent by or to one of the user's desks, or to their partner organisation."""
        scope = scope_of(user)
        if scope.is_hq:
            return self.all()
        if scope.is_empty:
            return self.none()
        condition = Q()
        if scope.view_office_ids:
            desks = sorted(scope.view_office_ids)
            condition |= Q(from_office_id__in=desks) | Q(to_office_id__in=desks)
        if scope.partner_ids:
            condition |= Q(to_partner_id__in=sorted(scope.partner_ids))
        return self.filter(condition)

    def overdue(self, at=None) -> CooperationRequestQuerySet:
        return self.filter(status="open", due_at__lt=at or timezone.now())


class MessageQuerySet(models.QuerySet):
    def visible_to(self, user) -> MessageQuerySet:
        """A case's messages to those who see it at FULL level or more (a summary share does not
        include them); a request's thread to the request's two parties.
        """
        from cases.models import Case, CooperationRequest

        # Correlated (EXISTS on the message's own case), not `case__in=<visible cases>`: under
        # the OR below PostgreSQL cannot turn an IN into a join, so it built the user's whole
        # visible-case set for every query — 27 ms per recipient when the notification worker
        # asks whether each of 20 users may see one new message (bench/ANALYSIS.md).
        visible_case = Case.objects.visible_to(user, ShareLevel.FULL).filter(pk=OuterRef("case_id"))
        return self.filter(
            (Q(request__isnull=True) & Exists(visible_case))
            | Q(request__in=CooperationRequest.objects.visible_to(user))
        )


def get_case_for_user(user, reference: str, action: str = "view"):
    """The case with this reference if the user may see it, else 404 (never 403, which would
    confirm it exists). For `action="change"`, a case they see but may not work raises
    PermissionDenied (403): its existence is no secret to them.
    """
    from cases.models import Case

    try:
        case = Case.objects.visible_to(user).select_related("lead_office").get(reference=reference)
    except Case.DoesNotExist:
        raise Http404("No such case.")
    if action == "change" and not can_work_office(user, case.lead_office_id):
        raise PermissionDenied("Only the lead office can change this case.")
    return case


def timeline_of(case, at=None) -> list:
    """The case's timeline, newest first, with "share expired" lines derived from `expires_at`.

    Expiry needs no job (DESIGN §4), so it is not stored: a share that ran out before it was
    revoked appears here as an unsaved SHARE_EXPIRED entry at its expiry time. Two queries.
    """
    from cases.constants import TimelineKind
    from cases.models import CaseShare, TimelineEvent

    at = at or timezone.now()
    events = list(TimelineEvent.objects.filter(case=case).select_related("actor"))
    expired = (
        CaseShare.objects.filter(case=case, expires_at__lte=at)
        .filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=models.F("expires_at")))
        .select_related("office", "partner")
    )
    for share in expired:
        recipient = share.office.code if share.office_id else str(share.partner)
        events.append(
            TimelineEvent(
                case=case,
                kind=TimelineKind.SHARE_EXPIRED,
                summary=f"Share to {recipient} expired",
                changes={"share": share.pk, "recipient": recipient},
                created_at=share.expires_at,
            )
        )
    events.sort(key=lambda event: (event.created_at, event.pk or 0), reverse=True)
    return events
