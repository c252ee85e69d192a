"""Reads for cases: the one access rule, over the case grants (`cases.models.CaseGrant`).

A user sees a case when one of its grants is live (not expired) and addressed to one of their
desks or partner organisations: `Case.objects.visible_to(user)` is that one indexed predicate.
The user's desks and organisations are resolved first (a handful of ids, one query,
remembered per request); no per-row Python check, no list of case ids built in Python. The
rules built on it (shares, messages, victims, notification recipients) probe the same grants
through `GrantSql`; HQ and the empty scope are decided once, by `VisibleQuerySet`.
"""

from __future__ import annotations

import copy

from django.core.exceptions import PermissionDenied
from django.db import connection, models
from django.db.models import BooleanField, Expression, F, JSONField, Q, Value
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils import timezone

from cases.constants import ShareLevel
from glo_act.db import prepared_values
from liaison_offices.access import Scope, VisibleQuerySet, can_work_office, scope_of

GRANTS = "cases_casegrant"


def sql_in(column: str, ids, connection) -> tuple[str, list]:
    """`column IN ids`; on PostgreSQL one array parameter, so the statement is the same text
    for 1 or 40 desks and the driver quotes one value, not 40."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(ids)]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


class GrantSql:
    """The SQL of "grant `alias` is live at `at` and addressed to one of the scope's desks or
    partner organisations, at `min_level` or above" — the access rule, written once.

    `offices` narrows the desks (the offices the user may work, for passing a case on);
    `lead_only` keeps the lead office's grant only (changing a case), `shares_only` the others.
    Written by hand rather than composed from Q objects: every read starts here, and Django
    took ~2 ms of CPU per query to resolve and compile the Q form (bench/ANALYSIS.md).
    """

    def __init__(
        self,
        scope: Scope,
        at,
        min_level: int = ShareLevel.SUMMARY,
        *,
        offices=None,
        lead_only: bool = False,
        shares_only: bool = False,
        handling_code: str | None = None,
    ):
        self.desks = sorted(scope.view_office_ids if offices is None else offices)
        self.partners = [] if offices is not None or lead_only else sorted(scope.partner_ids)
        self.at, self.min_level, self.lead_only = at, min_level, lead_only
        self.shares_only, self.handling_code = shares_only, handling_code
        # One recipient compared with `=`, not `= ANY(…)`: only then may PostgreSQL read the
        # recipient's index entries in order (see `newest_first_page`).
        self.single = False

    def narrowed(self, *, office: int | None = None, partner: int | None = None) -> GrantSql:
        """The same condition for one desk or one organisation only."""
        narrowed = copy.copy(self)
        narrowed.desks = [] if office is None else [office]
        narrowed.partners = [] if partner is None else [partner]
        narrowed.single = True
        return narrowed

    @property
    def reaches_nobody(self) -> bool:
        return not (self.desks or self.partners)

    def where(self, alias: str, connection) -> tuple[str, list]:
        recipients, params = [], []
        for column, ids in (
            (f"{alias}.office_id", self.desks),
            (f"{alias}.partner_id", self.partners),
        ):
            if ids and self.single:
                recipients.append(f"{column} = %s")
                params += list(ids)
            elif ids:
                sql, ids_params = sql_in(column, ids, connection)
                recipients.append(sql)
                params += ids_params
        if not recipients:
            return "FALSE", []
        sql = f"({' OR '.join(recipients)})"
        if self.lead_only:
            return f"{alias}.is_lead AND {sql}", params
        sql += f" AND ({alias}.expires_at IS NULL OR {alias}.expires_at > %s)"
        params.append(self.at)
        if self.min_level > ShareLevel.SUMMARY:
            sql += f" AND {alias}.level >= %s"
            params.append(self.min_level)
        if self.shares_only:
            sql += f" AND NOT {alias}.is_lead"
        if self.handling_code:
            sql += f" AND {alias}.handling_code = %s"
            params.append(self.handling_code)
        return sql, params

    def exists(self, column: str, connection, alias: str = "visible_grant", on="case_id"):
        """`EXISTS (such a grant whose `on` column equals `column`)`: one index probe."""
        live, params = self.where(alias, connection)
        # Our own table and column names, Django's compiled columns and placeholders (S608).
        sql = f"EXISTS(SELECT 1 FROM {GRANTS} {alias} WHERE {alias}.{on} = {column} AND {live})"  # noqa: S608
        return sql, params


class ColumnsSql(Expression):
    """An expression written as SQL by `sql(*columns, compiler, connection)` around some of its
    model's columns (`column_names`): the access rules of this project.

    The columns stay Django expressions, so that their table alias is right wherever the query
    ends up (a subquery relabels its tables); the SQL around them is ours: our own table and
    column names and placeholders only, every value a parameter (hence the S608 markers).
    """

    column_names: tuple[str, ...] = ()

    def __init__(self, output_field):
        super().__init__(output_field=output_field)
        self.columns = [F(name) for name in self.column_names]

    def get_source_expressions(self):
        return self.columns

    def set_source_expressions(self, exprs):
        self.columns = list(exprs)

    def as_sql(self, compiler, connection):
        compiled = []
        for column in self.columns:
            sql, params = compiler.compile(column)
            assert not params  # plain columns
            compiled.append(sql)
        return self.sql(*compiled, compiler, connection)


class CaseGranted(ColumnsSql):
    """The case rule as a condition on a case's `id`: a grant as `GrantSql` describes it."""

    conditional = True
    column_names = ("pk",)

    def __init__(self, grant: GrantSql):
        super().__init__(output_field=BooleanField())
        self.grant = grant

    def sql(self, case_id, compiler, connection):
        return self.grant.exists(case_id, connection)


class CaseIdGranted(CaseGranted):
    """The case rule on a row's `case_id` (a suspect's, a route leg's)."""

    column_names = ("case",)


class AccessGrant(ColumnsSql):
    """The grant through which a user sees a case, as JSON text: the highest level; among the
    grants at that level the most restrictive handling code (the highest: H3 > H2 > H1 > H0),
    then the latest expiry. The lead office's grant outranks every share. One probe per row;
    `cases.access.CaseAccess` reads it.
    """

    column_names = ("pk",)

    def __init__(self, grant: GrantSql):
        super().__init__(output_field=JSONField())
        self.grant = grant

    def sql(self, case_id, compiler, connection):
        live, params = self.grant.where("access_grant", connection)
        fields = ", ".join(
            f"'{name}', access_grant.{name}"
            for name in ("level", "is_lead", "handling_code", "handling_conditions",
                         "expires_at", "office_id", "partner_id")
        )  # fmt: skip
        if connection.vendor == "postgresql":
            as_json, latest = f"json_build_object({fields})::text", "DESC NULLS FIRST"
        else:
            as_json, latest = f"json_object({fields})", "IS NOT NULL, access_grant.expires_at DESC"
        sql = (
            f"(SELECT {as_json} FROM {GRANTS} access_grant "  # noqa: S608 (as above)
            f"WHERE access_grant.case_id = {case_id} AND {live} "
            "ORDER BY access_grant.level DESC, access_grant.handling_code DESC, "
            f"access_grant.expires_at {latest}, access_grant.id LIMIT 1)"
        )
        return sql, params


class CaseQuerySet(VisibleQuerySet):
    def rule(self, scope: Scope, at, min_level: int = ShareLevel.SUMMARY):
        """A live grant to a desk or partner of the scope, at `min_level` or above."""
        return CaseGranted(GrantSql(scope, at, min_level))

    def visible_to(self, user, min_level: int = ShareLevel.SUMMARY) -> CaseQuerySet:
        """Cases the user may see: HQ all; else those with a live grant to them.

        `min_level` asks for cases seen at least at that level (messages and the timeline need
        FULL; victims FULL_WITH_VICTIMS); the lead office's grant is above every share level.
        """
        return super().visible_to(user, min_level=min_level)

    def with_access(self, user) -> CaseQuerySet:
        """Annotate each case with `access_grant`, the grant the user sees it through (see
        `AccessGrant`; None for HQ and where none is live). `cases.access.case_access` reads it.
        """
        scope = scope_of(user)
        if scope.is_hq or scope.is_empty:
            return self.annotate(access_grant=Value(None, output_field=JSONField()))
        return self.annotate(access_grant=AccessGrant(GrantSql(scope, timezone.now())))

    def restrict(self, user, action: str = "view") -> CaseQuerySet:
        """`view` is `visible_to`; `change`: the lead office's grant is to an office the user
        may work. Shares grant reading and messaging, never editing."""
        if action == "view":
            return self.visible_to(user)
        if action != "change":
            raise ValueError(f"Unknown action {action!r}")
        scope = scope_of(user)
        if scope.is_hq:
            return self.all()
        if not scope.change_office_ids:
            return self.none()
        grant = GrantSql(scope, None, offices=scope.change_office_ids, lead_only=True)
        return self.filter(CaseGranted(grant))

    def assigned(self, user, which: str) -> CaseQuerySet:
        """The list's `assigned` filter: `mine` (assigned to `user`) or `unassigned` (open and
        assigned to nobody). A narrowing of what the user sees, never a widening."""
        if which == "mine":
            return self.filter(assigned_to_id=user.pk)
        if which == "unassigned":
            return self.filter(assigned_to__isnull=True).exclude(status="closed")
        raise ValueError(f"Unknown assigned filter {which!r}")

    def shared_with(self, user, handling_code: str | None = None) -> CaseQuerySet:
        """Cases the user holds through a live share and not as their lead office, optionally
        under one handling code: the case list's "shared with me" filters."""
        scope = scope_of(user)
        now = timezone.now()
        grant = GrantSql(scope, now, shares_only=True, handling_code=handling_code)
        if grant.reaches_nobody:
            return self.none()
        shared = self.filter(CaseGranted(grant))
        if scope.view_office_ids:
            led = GrantSql(scope, now, offices=scope.view_office_ids, lead_only=True)
            shared = shared.exclude(CaseGranted(led))
        return shared

    def with_exploitation(self, form: str) -> CaseQuerySet:
        """Cases whose forms of exploitation include `form`."""
        if connection.vendor == "postgresql":
            return self.filter(forms_of_exploitation__contains=[form])
        # SQLite (the demo database) has no JSON containment; the JSON text holds '"form"'.
        return self.filter(forms_of_exploitation__icontains=f'"{form}"')

    def search(self, text: str, *, user) -> CaseQuerySet:
        """Reference, title, summary, suspect name or route place contains `text`.

        Suspects and the route are full-level fields: they are matched only on cases `user`
        sees at FULL or more, so a summary share cannot ask "is Tariq a suspect here?".
        """
        text = text.strip()
        if not text:
            return self
        from cases.models import Case, RouteLeg, Suspect

        shallow = Case.objects.filter(
            Q(reference__icontains=text) | Q(title__icontains=text) | Q(summary__icontains=text)
        ).values("pk")
        suspects = Suspect.objects.filter(name__icontains=text)
        places = RouteLeg.objects.filter(place__icontains=text)
        scope = scope_of(user)
        if not scope.is_hq:
            full = CaseIdGranted(GrantSql(scope, timezone.now(), ShareLevel.FULL))
            suspects, places = suspects.filter(full), places.filter(full)
        # One list of matching ids, each part found through its trigram index (migration
        # cases/0006_search_trigram), rather than an OR tested on every visible case.
        # No ORDER BY in the parts: SQLite refuses one inside a compound statement.
        matches = shallow.order_by().union(
            suspects.order_by().values("case_id"), places.order_by().values("case_id")
        )
        return self.filter(pk__in=matches)


class VisibleShares(ColumnsSql):
    """The share rule for one (non-HQ, non-empty) scope, over the share's `id`, `case_id` and
    `passed_on_from_id`: the case's lead-office grant is to a desk; or the share's own grant,
    or that of the share it was passed on from, is live and to a desk or partner of the scope.
    Each test is one index probe into the grants.
    """

    conditional = True
    column_names = ("pk", "case_id", "passed_on_from_id")

    def __init__(self, scope: Scope, at):
        super().__init__(output_field=BooleanField())
        self.scope, self.at = scope, at

    def sql(self, share_id, case_id, passed_on_from, compiler, connection):
        parts, params = [], []
        if self.scope.view_office_ids:
            led = GrantSql(self.scope, self.at, offices=self.scope.view_office_ids, lead_only=True)
            sql, led_params = led.exists(case_id, connection, "share_lead")
            parts.append(sql)
            params += led_params
        held = GrantSql(self.scope, self.at)
        for column, alias in ((share_id, "own_grant"), (passed_on_from, "from_grant")):
            sql, live_params = held.exists(column, connection, alias, on="share_id")
            parts.append(sql)
            params += live_params
        return f"({' OR '.join(parts)})", params


class CaseShareQuerySet(VisibleQuerySet):
    def rule(self, scope: Scope, at):
        """All shares of cases a desk leads; the live shares to the scope; and the shares passed
        on from one of those (never other recipients' shares): `VisibleShares`."""
        return VisibleShares(scope, at)

    def held_by(self, user, *, working: bool = False) -> CaseShareQuerySet:
        """Shares whose grant is live and addressed to the user's desks or organisations; with
        `working`, only to offices the user may work (those through which they pass a case on).
        """
        scope = scope_of(user)
        offices = scope.change_office_ids if working else None
        grant = GrantSql(scope, timezone.now(), offices=offices)
        if grant.reaches_nobody:
            return self.none()
        return self.filter(ShareGranted(grant))

    def live(self, at=None) -> CaseShareQuerySet:
        """Shares that still grant (their grant exists and has not expired at `at`)."""
        return self.filter(ShareLive(at or timezone.now()))

    def with_liveness(self) -> CaseShareQuerySet:
        """Annotate `live`: the share still grants (its grant exists and has not expired)."""
        return self.annotate(live=ShareLive(timezone.now()))


class ShareGranted(ColumnsSql):
    """A share whose grant is as `GrantSql` describes."""

    conditional = True
    column_names = ("pk",)

    def __init__(self, grant: GrantSql):
        super().__init__(output_field=BooleanField())
        self.grant = grant

    def sql(self, share_id, compiler, connection):
        return self.grant.exists(share_id, connection, "held_grant", on="share_id")


class ShareLive(ColumnsSql):
    """True while the share's grant exists (not revoked) and has not expired."""

    conditional = True
    column_names = ("pk",)

    def __init__(self, at):
        super().__init__(output_field=BooleanField())
        self.at = at

    def sql(self, share_id, compiler, connection):
        return (
            f"EXISTS(SELECT 1 FROM {GRANTS} live_grant WHERE live_grant.share_id = {share_id} "  # noqa: S608
            "AND (live_grant.expires_at IS NULL OR live_grant.expires_at > %s))",
            [self.at],
        )


def _request_parties_sql(scope: Scope, columns: tuple[str, str, str], connection):
    """SQL for "sent by or to one of the scope's desks, or to one of its partners" over a
    request's (from office, to office, to partner) columns. The one request rule: requests
    (`VisibleRequests`) and their threads (`VisibleMessages`) both use it."""
    from_office, to_office, to_partner = columns
    parts, params = [], []
    desks, partners = sorted(scope.view_office_ids), sorted(scope.partner_ids)
    for column, ids in ((from_office, desks), (to_office, desks), (to_partner, partners)):
        if ids:
            sql, ids_params = sql_in(column, ids, connection)
            parts.append(sql)
            params += ids_params
    return f"({' OR '.join(parts)})", params


class VisibleRequests(ColumnsSql):
    """The request rule for one (non-HQ, non-empty) scope, as SQL around the request's columns."""

    conditional = True
    column_names = ("from_office_id", "to_office_id", "to_partner_id")

    def __init__(self, scope: Scope):
        super().__init__(output_field=BooleanField())
        self.scope = scope

    def sql(self, from_office, to_office, to_partner, compiler, connection):
        return _request_parties_sql(self.scope, (from_office, to_office, to_partner), connection)


class HandOverQuerySet(VisibleQuerySet):
    def rule(self, scope: Scope, at):
        """Hand-overs from or to one of the user's desks (the two offices concerned)."""
        desks = sorted(scope.view_office_ids)
        return Q(from_office_id__in=desks) | Q(to_office_id__in=desks)

    def pending(self) -> HandOverQuerySet:
        return self.filter(status="pending")


class CooperationRequestQuerySet(VisibleQuerySet):
    def rule(self, scope: Scope, at):
        """Requests sent by or to one of the user's desks, or to their partner organisation."""
        return VisibleRequests(scope)

    def overdue(self, at=None) -> CooperationRequestQuerySet:
        return self.filter(status="open", due_at__lt=at or timezone.now())


class VisibleMessages(ColumnsSql):
    """The message rule for one (non-HQ, non-empty) scope: a case's own thread to those who see
    the case at FULL level or more (a probe into its grants); a request's thread to the
    request's two parties (`_request_parties_sql`).
    """

    conditional = True
    column_names = ("case_id", "request_id")

    def __init__(self, scope: Scope, at):
        super().__init__(output_field=BooleanField())
        self.scope, self.at = scope, at

    def sql(self, case_id, request_id, compiler, connection):
        from cases.models import CooperationRequest

        case_seen, case_params = GrantSql(self.scope, self.at, ShareLevel.FULL).exists(
            case_id, connection, "message_grant"
        )
        parties, party_params = _request_parties_sql(
            self.scope,
            ("message_request.from_office_id", "message_request.to_office_id",
             "message_request.to_partner_id"),
            connection,
        )  # fmt: skip
        # Our own table names, Django's compiled columns and placeholders only (S608).
        sql = (
            f"(({request_id} IS NULL AND {case_seen}) "  # noqa: S608
            f"OR {request_id} IN (SELECT message_request.id FROM "
            f"{CooperationRequest._meta.db_table} message_request WHERE {parties}))"
        )
        return sql, case_params + party_params


class MessageQuerySet(VisibleQuerySet):
    def rule(self, scope: Scope, at):
        """A case's messages to those who see it at FULL level or more (a summary share does not
        include them); a request's thread to the request's two parties (`VisibleMessages`)."""
        return VisibleMessages(scope, at)


class JusticeEventQuerySet(VisibleQuerySet):
    def rule(self, scope: Scope, at):
        """A suspect's justice lines to those who see the suspect: the case at FULL or above."""
        return CaseIdGranted(GrantSql(scope, at, ShareLevel.FULL))

    def live(self):
        """Not withdrawn: what the statistics count."""
        return self.filter(withdrawn_at__isnull=True)


class CaseGrantQuerySet(models.QuerySet):
    def live_for(self, *, office=None, partner=None, min_level: int = ShareLevel.SUMMARY):
        """Grants that still give `office` or `partner` (or anyone, if neither) `min_level`."""
        now = timezone.now()
        grants = self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        if min_level > ShareLevel.SUMMARY:
            grants = grants.filter(level__gte=min_level)
        if office is not None:
            grants = grants.filter(office=office)
        if partner is not None:
            grants = grants.filter(partner=partner)
        return grants


NEWEST_FIRST = ("-updated_at", "-id")
# An officer works one or two desks (their office, a colleague's on leave); a user with many
# more sees so much that the plain order finds their page at once.
WALK_MAX_RECIPIENTS = 4


def newest_first_page(cases, user, offset: int, limit: int, *, filtered: bool = True) -> list:
    """`cases[offset:offset + limit]` in the lists' order, newest first (`NEWEST_FIRST`).

    `cases` is a queryset of the user's visible cases (`visible_to`, perhaps filtered). The
    plain ORDER BY ... LIMIT walks every case in the database newest first and probes each
    one's grants until a page is found: cheap for HQ and for a user who sees most cases, slow
    for one who sees few. Instead the page's ids are found by walking the user's own live
    grants newest first — one ordered index scan per desk or organisation
    (`grant_office_newest`, `grant_partner_newest`), merged — keeping those of cases in
    `cases`; then the page's rows are read by id, in one statement
    (docs/performance.md#query-shape). Each walk costs an index probe before the first row,
    so a user with more than `WALK_MAX_RECIPIENTS` desks and organisations — who sees many
    cases, close together in the plain order — takes the plain query, as do HQ, the empty
    scope, another order and SQLite (the demo). `filtered=False` says that `cases` is all the
    user's visible cases: the walks need not check their cases against it. Such an unfiltered
    page of `values()` rows (the API list's) is read through a statement prepared per
    connection (`glo_act.db.prepared_values`): its text is the same on every request of one
    shape of scope. A filtered page is planned for its filter's values (a search pattern's
    selectivity decides whether its trigram index pays), so it is not prepared.
    """
    scope = scope_of(user)
    plain = (
        scope.is_hq
        or scope.is_empty
        or len(scope.view_office_ids) + len(scope.partner_ids) > WALK_MAX_RECIPIENTS
        or connection.vendor != "postgresql"
        or tuple(cases.query.order_by) != NEWEST_FIRST
    )
    read = list if filtered else prepared_values
    if plain:
        return read(cases[offset : offset + limit])
    grant = GrantSql(scope, timezone.now())
    among, among_params = "", ()
    if filtered:
        among, among_params = cases.order_by().values("pk").query.sql_with_params()
        among = f" AND g.case_id IN ({among})"
    walks, params = [], []
    for one in [grant.narrowed(office=office) for office in grant.desks] + [
        grant.narrowed(partner=partner) for partner in grant.partners
    ]:
        live, live_params = one.where("g", connection)
        # Each walk stops at the rows the page could need from it; our own table and column
        # names and placeholders only (S608).
        walks.append(
            f"(SELECT g.case_id, g.case_updated_at FROM {GRANTS} g "  # noqa: S608
            f"WHERE {live}{among} "
            "ORDER BY g.case_updated_at DESC, g.case_id DESC LIMIT %s)"
        )
        params += [*live_params, *among_params, offset + limit]
    page_ids = (
        f"SELECT DISTINCT ON (walk.case_updated_at, walk.case_id) walk.case_id "  # noqa: S608
        f"FROM ({' UNION ALL '.join(walks)}) walk "
        "ORDER BY walk.case_updated_at DESC, walk.case_id DESC LIMIT %s OFFSET %s"
    )
    params += [limit, offset]
    return read(cases.filter(pk__in=RawSQL(page_ids, params)))  # noqa: S611 (as above)


def count_visible_cases(user, limit: int) -> int:
    """How many cases the user sees, counted up to `limit`: `Case.objects.visible_to(user)`'s
    count, for a list with no filter. Counted from the user's grants alone (distinct cases,
    index-only), where counting the cases would also probe each case's primary key."""
    from cases.models import Case

    scope = scope_of(user)
    if scope.is_hq or scope.is_empty:
        return Case.objects.visible_to(user).order_by().values("pk")[:limit].count()
    live, params = GrantSql(scope, timezone.now()).where("g", connection)
    sql = (
        f"SELECT COUNT(*) FROM (SELECT DISTINCT g.case_id FROM {GRANTS} g "  # noqa: S608
        f"WHERE {live} LIMIT %s) counted"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        return cursor.fetchone()[0]


def get_case_for_user(user, reference: str, action: str = "view"):
    """The case with this reference if the user may see it, else 404 (never 403, which would
    confirm it exists). For `action="change"`, a case they see but may not work raises
    PermissionDenied (403): its existence is no secret to them. The case carries
    `access_grant` (`with_access`), so `cases.access.case_access` needs no other query.
    """
    from cases.models import Case

    try:
        case = (
            Case.objects.visible_to(user)
            .with_access(user)
            .select_related("lead_office", "assigned_to")
            .get(reference=reference)
        )
    except Case.DoesNotExist:
        raise Http404("No such case.")
    if action == "change" and not can_work_office(user, case.lead_office_id):
        raise PermissionDenied("Only the lead office can change this case.")
    return case
