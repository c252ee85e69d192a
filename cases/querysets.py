"""Reads for cases: the one visibility rule (DESIGN §4), written once, used by every door.

`Case.objects.visible_to(user)` is a single SQL query: the user's desks and partner
organisations are resolved first (a handful of ids, one query, remembered per request), then
cases are those led by a desk, or with a live share to a desk or partner. No per-row Python
check and no list of case ids is ever built in Python.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet, PermissionDenied
from django.db import connection, connections, models
from django.db.models import BooleanField, Exists, Expression, F, JSONField, OuterRef, Q, Value
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
# (see `VisibleCases`); below it, PostgreSQL's hashed subplan of their few live shares is
# cheaper. Measured in bench/ANALYSIS.md.
WIDE_SCOPE_DESKS = 16

# Set on the two queries of a count (CaseQuerySet.count): which branch of the rule VisibleCases
# compiles to. And on a visible_to query: how many VisibleCases filters it holds.
COUNTING = "glo_act_counting"
VISIBLE_FILTERS = "glo_act_visible_filters"


def sql_in(column: str, ids, connection) -> tuple[str, list]:
    """`column IN ids`; on PostgreSQL one array parameter, so the statement is the same text
    for 1 or 40 desks and the driver quotes one value, not 40 (~0.7 ms for the worst user)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(ids)]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


class _ShareSql:
    """The SQL of "a live share to one of the scope's desks or partners", for one case column.

    Written out by hand rather than composed from Q objects: the rule is a few lines of SQL,
    and Django took ~2 ms of CPU per query to resolve and compile the Q form (bench/ANALYSIS.md)
    — on every request, since every read starts here.
    """

    table = "cases_caseshare"

    def __init__(self, scope: Scope, at, min_level: int = ShareLevel.SUMMARY):
        self.desks = sorted(scope.view_office_ids)
        self.partners = sorted(scope.partner_ids)
        self.at = at
        self.min_level = min_level

    def where(self, alias: str, connection) -> tuple[str, list]:
        """Conditions on share `alias`: live at `at`, to a desk or partner, at `min_level`+."""
        recipients, params = [], []
        for column, ids in (
            (f"{alias}.office_id", self.desks),
            (f"{alias}.partner_id", self.partners),
        ):
            if ids:
                sql, ids_params = sql_in(column, ids, connection)
                recipients.append(sql)
                params += ids_params
        sql = (
            f"{alias}.revoked_at IS NULL AND ({alias}.expires_at IS NULL OR "
            f"{alias}.expires_at > %s) AND ({' OR '.join(recipients)})"
        )
        params = [self.at, *params]
        if self.min_level > ShareLevel.SUMMARY:
            sql += f" AND {alias}.level >= %s"
            params.append(self.min_level)
        return sql, params


def live_share_sql(scope: Scope, at, alias: str, connection, min_level=ShareLevel.SUMMARY):
    """SQL and parameters for "share `alias` is live at `at`, addressed to one of the scope's
    desks or partners, at `min_level` or above": the case rule's own share test, for the rules
    built on it (victims)."""
    return _ShareSql(scope, at, min_level).where(alias, connection)


class ColumnsSql(Expression):
    """An expression written as SQL by `sql(*columns, compiler, connection)` around some of its
    model's columns (`column_names`): the hot access rules of this project.

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


class _CaseColumns(ColumnsSql):
    """Over a case's `id` and `lead_office_id`."""

    column_names = ("pk", "lead_office_id")


class VisibleCases(_CaseColumns):
    """The visibility rule (DESIGN §4) for one user: led by one of their desks, or with a live
    share to a desk or partner organisation of theirs (at `min_level` or above).

    Fetched, it is `lead_office_id IN desks OR EXISTS (live share)`. For a user with few desks
    the index on (-updated_at, -id) is walked in order and stops after the page (2 ms for the
    benchmark's median user). For a user with many desks (`WIDE_SCOPE_DESKS`) the EXISTS ends
    in `OFFSET 0`, PostgreSQL's documented optimisation fence: left to itself the planner turns
    it into a *hashed* subplan that first reads every live share of every desk (25,000 rows for
    40 desks) on every request; fenced, each case not led by a desk costs one probe into the
    share index (page of 25: 31.6 -> 0.14 ms).

    Counted (`CaseQuerySet.count`), the rule is split into two branches that share no row —
    `led`: `lead_office_id IN desks`, and `shared`: `NOT led AND EXISTS (live share)` — counted
    one after the other up to the limit. The first is a range of the (lead office, updated)
    index; the second starts from the desks' live shares. Counting the OR form instead reads
    cases until enough are visible: a sequential scan of ~45,000 of 100,000 cases (30-40 ms)
    for the median user (bench/ANALYSIS.md).
    """

    conditional = True

    def __init__(self, scope: Scope, min_level: int, at):
        super().__init__(output_field=BooleanField())
        self.shares = _ShareSql(scope, at, min_level)

    def sql(self, case_id, lead, compiler, connection):
        shares = self.shares
        branch = getattr(compiler.query, COUNTING, None)
        if branch == "led" and not shares.desks:
            raise EmptyResultSet  # no desk, no case led by one: this count has one branch
        # The fence only where the EXISTS sits under the OR, as it does for a fetch.
        fence = (
            " OFFSET 0"
            if branch is None
            and len(shares.desks) >= WIDE_SCOPE_DESKS
            and connection.vendor == "postgresql"
            else ""
        )
        live, live_params = shares.where("visible_share", connection)
        # Only placeholders, our own table and column names and Django's compiled column
        # references are put into these strings (S608); every value is a parameter.
        shared = (
            f"EXISTS(SELECT 1 FROM {shares.table} visible_share "  # noqa: S608
            f"WHERE visible_share.case_id = {case_id} AND {live}{fence})"
        )
        if not shares.desks:
            return shared, live_params
        led, led_params = sql_in(lead, shares.desks, connection)
        if branch == "led":
            return led, led_params
        if branch == "shared":
            return f"NOT ({led}) AND {shared}", led_params + live_params
        return f"({led} OR {shared})", led_params + live_params


class AccessShare(_CaseColumns):
    """The live share a user sees a case through, as JSON (level, handling code and conditions,
    expiry); NULL on the cases their desks lead. The highest level wins; among equal levels the
    most restrictive handling code. One correlated probe into the share index per row.
    """

    def __init__(self, scope: Scope, at):
        super().__init__(output_field=JSONField())
        self.shares = _ShareSql(scope, at)

    def sql(self, case_id, lead, compiler, connection):
        live, params = self.shares.where("access_share", connection)
        fields = (
            "'level', {a}.level, 'handling_code', {a}.handling_code, "
            "'handling_conditions', {a}.handling_conditions, 'expires_at', {a}.expires_at"
        )
        fields = fields.format(a="access_share")
        as_json = (
            f"json_build_object({fields})::text"
            if connection.vendor == "postgresql"
            else f"json_object({fields})"
        )
        best = (
            f"(SELECT {as_json} FROM {self.shares.table} access_share "  # noqa: S608 (as above)
            f"WHERE access_share.case_id = {case_id} AND {live} "
            "ORDER BY access_share.level DESC, access_share.handling_code DESC, "
            "access_share.id DESC LIMIT 1)"
        )
        if not self.shares.desks:
            return best, params
        led, led_params = sql_in(lead, self.shares.desks, connection)
        return f"(CASE WHEN {led} THEN NULL ELSE {best} END)", led_params + params


def _share_recipient_q(scope: Scope) -> Q | None:
    """Shares addressed to one of the scope's desks or partner organisations."""
    q = Q()
    if scope.view_office_ids:
        q |= Q(office_id__in=sorted(scope.view_office_ids))
    if scope.partner_ids:
        q |= Q(partner_id__in=sorted(scope.partner_ids))
    return q or None


class CaseQuerySet(models.QuerySet):
    def count(self) -> int:
        """As Django's; a `visible_to` query is counted as the two branches of the rule, the
        second only if the first has not reached the slice's limit (see `VisibleCases`)."""
        if self._result_cache is not None:
            return len(self._result_cache)
        query = self.query
        if (
            getattr(query, VISIBLE_FILTERS, 0) != 1  # not visible_to, or twice (rare: Django's)
            or query.low_mark
            or query.distinct
            or query.combinator
            or query.group_by is not None
        ):
            return super().count()
        limit = self.query.high_mark
        parts, params = [], []
        for branch in ("led", "shared"):
            query = self.query.chain()
            query.clear_ordering(force=True)
            query.clear_select_clause()
            query.add_fields([self.model._meta.pk.name])
            setattr(query, COUNTING, branch)
            try:
                sql, branch_params = query.get_compiler(self.db).as_sql()
            except EmptyResultSet:
                continue
            parts.append(f"SELECT * FROM ({sql}) AS visible_{branch}")  # noqa: S608 (compiled)
            params += branch_params
        if not parts:
            return 0
        union = " UNION ALL ".join(parts) + (" LIMIT %s" if limit is not None else "")
        with connections[self.db].cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({union}) AS visible_count",  # noqa: S608
                           params + ([limit] if limit is not None else []))  # fmt: skip
            return cursor.fetchone()[0]

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
        visible = self.filter(VisibleCases(scope, min_level, timezone.now()))
        setattr(visible.query, VISIBLE_FILTERS, getattr(self.query, VISIBLE_FILTERS, 0) + 1)
        return visible

    def with_access(self, user) -> CaseQuerySet:
        """Annotate each case with `access_share`: the live share the user sees it through
        (see `AccessShare`), None for HQ and on the cases their desks lead."""
        scope = scope_of(user)
        if scope.is_hq or scope.is_empty:
            return self.annotate(access_share=Value(None, output_field=JSONField()))
        return self.annotate(access_share=AccessShare(scope, timezone.now()))

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


class VisibleShares(ColumnsSql):
    """The share rule for one (non-HQ, non-empty) scope, as SQL around the share's `id`,
    `case_id` and `passed_on_from_id`: the case is led by a desk; or the share itself, or the
    share it was passed on from, is live and addressed to a desk or partner of the scope.

    Each test is a probe by primary key, so a case page's few shares cost a few index
    look-ups whatever the scope. Composed from `Q` with a subquery it cost ~4 ms of CPU to
    build and compile on every case page (bench/ANALYSIS.md).
    """

    conditional = True

    column_names = ("pk", "case_id", "passed_on_from_id")

    def __init__(self, scope: Scope, at):
        super().__init__(output_field=BooleanField())
        self.scope, self.at = scope, at

    def sql(self, share_id, case_id, passed_on_from, compiler, connection):
        from cases.models import Case, CaseShare

        shares = _ShareSql(self.scope, self.at)
        parts, params = [], []
        if shares.desks:
            led, led_params = sql_in("share_case.lead_office_id", shares.desks, connection)
            parts.append(
                f"EXISTS(SELECT 1 FROM {Case._meta.db_table} share_case "  # noqa: S608
                f"WHERE share_case.id = {case_id} AND {led})"
            )
            params += led_params
        # Our own table names, Django's compiled columns and placeholders only (S608).
        for column, alias in ((share_id, "own_share"), (passed_on_from, "from_share")):
            live, live_params = shares.where(alias, connection)
            parts.append(
                f"EXISTS(SELECT 1 FROM {CaseShare._meta.db_table} {alias} "  # noqa: S608
                f"WHERE {alias}.id = {column} AND {live})"
            )
            params += live_params
        return f"({' OR '.join(parts)})", params


class CaseShareQuerySet(models.QuerySet):
    def live(self, at=None) -> CaseShareQuerySet:
        """Shares that grant access now (not revoked, not expired)."""
        return self.filter(live_share_q(at=at))

    def visible_to(self, user) -> CaseShareQuerySet:
        """All shares of cases the user's desks lead; the live shares addressed to them; and the
        shares they passed on from one of those (never other recipients' shares):
        `VisibleShares`."""
        scope = scope_of(user)
        if scope.is_hq:
            return self.all()
        if scope.is_empty:
            return self.none()
        return self.filter(VisibleShares(scope, timezone.now()))

    def for_recipient(self, user) -> CaseShareQuerySet:
        """Live shares addressed to the user's desks or partner organisations."""
        scope = scope_of(user)
        recipients = _share_recipient_q(scope)
        if recipients is None:
            return self.none()
        return self.live().filter(recipients)


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


class CooperationRequestQuerySet(models.QuerySet):
    def visible_to(self, user) -> CooperationRequestQuerySet:
        """Requests sent by or to one of the user's desks, or to their partner organisation."""
        scope = scope_of(user)
        if scope.is_hq:
            return self.all()
        if scope.is_empty:
            return self.none()
        return self.filter(VisibleRequests(scope))

    def overdue(self, at=None) -> CooperationRequestQuerySet:
        return self.filter(status="open", due_at__lt=at or timezone.now())


class VisibleMessages(ColumnsSql):
    """The message rule for one (non-HQ, non-empty) scope: a case's own thread to those who see
    the case at FULL level or more; a request's thread to the request's two parties.

    Written as SQL around the message's `case_id` and `request_id`, from the case rule
    (`VisibleCases`) and the request rule (`_request_parties_sql`). Composed from `Exists` and
    `Q` it cost ~1.4 ms of CPU to build and compile, and the notification worker asks it once
    per recipient office for every message (bench/ANALYSIS.md). The case test is correlated on
    the message's own case: under the OR, PostgreSQL cannot turn an IN into a join, so
    `case_id IN (visible cases)` built the user's whole visible-case set for every query.
    """

    conditional = True

    column_names = ("case_id", "request_id")

    def __init__(self, scope: Scope, at):
        super().__init__(output_field=BooleanField())
        self.scope, self.at = scope, at

    def sql(self, case_id, request_id, compiler, connection):
        from cases.models import Case, CooperationRequest

        case_visible, case_params = VisibleCases(self.scope, ShareLevel.FULL, self.at).sql(
            "message_case.id", "message_case.lead_office_id", compiler, connection
        )
        parties, party_params = _request_parties_sql(
            self.scope,
            ("message_request.from_office_id", "message_request.to_office_id",
             "message_request.to_partner_id"),
            connection,
        )  # fmt: skip
        # Our own table names, Django's compiled columns and placeholders only (S608).
        sql = (
            f"(({request_id} IS NULL AND EXISTS(SELECT 1 FROM {Case._meta.db_table} "  # noqa: S608
            f"message_case WHERE message_case.id = {case_id} AND {case_visible})) "
            f"OR {request_id} IN (SELECT message_request.id FROM "
            f"{CooperationRequest._meta.db_table} message_request WHERE {parties}))"
        )
        return sql, case_params + party_params


class MessageQuerySet(models.QuerySet):
    def visible_to(self, user) -> MessageQuerySet:
        """A case's messages to those who see it at FULL level or more (a summary share does not
        include them); a request's thread to the request's two parties (`VisibleMessages`).
        """
        scope = scope_of(user)
        if scope.is_hq:
            return self.all()
        if scope.is_empty:
            return self.none()
        return self.filter(VisibleMessages(scope, timezone.now()))


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
