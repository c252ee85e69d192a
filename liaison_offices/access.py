"""Who acts for what: the one place that turns a user into their access scope.

A user's **desks** are the offices on which they hold `view_office_cases` (their own office's
group holds it; HQ can grant it to a user or group for a joint investigation or leave cover).
HQ members hold the office permissions model-wide and see everything. Every `visible_to` in the
project starts from `scope_of(user)`, which costs one query and is remembered on the user object
for the rest of the request.

A `visible_to` reads the user only through `scope_of`: two users with the same scope see the
same rows. The notification worker relies on it (`delivery.recipients.visible_among` asks once
per scope), so a rule that needs more of the user than the scope must change that too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from glo_act.db import execute_prepared
from liaison_offices.constants import CHANGE_CASES, OFFICE_PERMISSIONS, VIEW_CASES
from liaison_offices.models import (
    LinkOffice,
    PartnerOrganisation,
)

_MEMO = "_glo_act_scope"


@dataclass(frozen=True)
class Scope:
    """What one user may reach: HQ-wide, or some offices (view / change) and some partners."""

    is_hq: bool
    view_office_ids: frozenset[int]
    change_office_ids: frozenset[int]
    partner_ids: frozenset[int]
    # The offices the user is a member of (a subset of their desks, or not: a member whose
    # office permissions were withdrawn): what "your office" means on the pages, as opposed
    # to a desk granted by HQ. No rule reads it, so two scopes differing only here are equal.
    member_office_ids: frozenset[int] = field(default=frozenset(), compare=False)

    @property
    def is_empty(self) -> bool:
        return not (self.is_hq or self.view_office_ids or self.partner_ids)


EMPTY_SCOPE = Scope(False, frozenset(), frozenset(), frozenset())


class VisibleQuerySet(QuerySet):
    """The base of every `visible_to`: HQ sees every row and an empty scope none, decided here
    once; otherwise the rows are those the model's `rule(scope, at)` (one SQL condition)
    admits at time `at`."""

    def rule(self, scope: Scope, at, **options):
        raise NotImplementedError

    def visible_to(self, user, **options):
        scope = scope_of(user)
        if scope.is_hq:
            return self.all()
        if scope.is_empty:
            return self.none()
        return self.filter(self.rule(scope, timezone.now(), **options))


def scope_of(user) -> Scope:
    """The user's scope, computed in one query (a UNION) and remembered on `user`."""
    if user is None or not user.is_authenticated or not user.is_active:
        return EMPTY_SCOPE
    cached = getattr(user, _MEMO, None)
    if cached is not None:
        return cached
    scope = _compute_scope(user)
    setattr(user, _MEMO, scope)
    return scope


def forget(user) -> None:
    """Drop the remembered scope (after a grant, revoke or membership change for `user`)."""
    if user is not None and hasattr(user, _MEMO):
        delattr(user, _MEMO)


# The scope of one or more users, one row per grant: (user id, kind, object id, codename).
# Written by hand: the ORM's UNION of five joined querysets cost ~4 ms of CPU to compile and,
# joining every branch through auth_permission and django_content_type, ~2 ms for PostgreSQL
# to plan — on every request (bench/ANALYSIS.md). Here the two office permissions are found
# once, in `office_permission`, and each branch joins only its own grant table. A grant whose
# end has passed grants nothing (`ends_at`, compared with the statement's own clock, not the
# transaction's, so the prepared statement's parameters stay the same).
_SCOPE_SQL = """
WITH office_permission AS (
    SELECT p.id, p.codename FROM auth_permission p
    JOIN django_content_type ct ON ct.id = p.content_type_id
    WHERE ct.app_label = 'liaison_offices' AND p.codename IN (%(permissions)s)
)
SELECT g.user_id AS user_id, 'office' AS kind, g.content_object_id AS object_id,
       op.codename AS codename
FROM liaison_offices_linkofficeuserobjectpermission g
JOIN office_permission op ON op.id = g.permission_id
WHERE g.user_id IN (%(users)s) AND (g.ends_at IS NULL OR g.ends_at > %(now)s)
UNION ALL
SELECT ug.user_id, 'office', g.content_object_id, op.codename
FROM auth_user_groups ug
JOIN liaison_offices_linkofficegroupobjectpermission g ON g.group_id = ug.group_id
JOIN office_permission op ON op.id = g.permission_id
WHERE ug.user_id IN (%(users)s) AND (g.ends_at IS NULL OR g.ends_at > %(now)s)
UNION ALL
SELECT up.user_id, 'global', NULL, op.codename
FROM auth_user_user_permissions up
JOIN office_permission op ON op.id = up.permission_id
WHERE up.user_id IN (%(users)s)
UNION ALL
SELECT ug.user_id, 'global', NULL, op.codename
FROM auth_user_groups ug
JOIN auth_group_permissions gp ON gp.group_id = ug.group_id
JOIN office_permission op ON op.id = gp.permission_id
WHERE ug.user_id IN (%(users)s)
UNION ALL
SELECT m.user_id, 'partner', m.partner_id, ''
FROM liaison_offices_membership m
JOIN liaison_offices_partnerorganisation po ON po.id = m.partner_id
WHERE m.user_id IN (%(users)s) AND m.ended_at IS NULL AND po.is_active
UNION ALL
SELECT m.user_id, 'member', m.office_id, ''
FROM liaison_offices_membership m
WHERE m.user_id IN (%(users)s) AND m.ended_at IS NULL AND m.office_id IS NOT NULL
"""
_SCOPE_BRANCHES = 6


@lru_cache(maxsize=64)
def _scope_sql(batch_size: int) -> str:
    """The scope query for `batch_size` users: placeholders only, values go as parameters."""
    users = ", ".join(["%s"] * batch_size)
    permissions = ", ".join(["%s"] * len(OFFICE_PERMISSIONS))
    return _SCOPE_SQL % {"users": users, "permissions": permissions, "now": _now_sql()}


def _now_sql() -> str:
    """The current time in SQL: of the statement on PostgreSQL (CURRENT_TIMESTAMP there is the
    transaction's start), CURRENT_TIMESTAMP (UTC text, as Django stores it) on SQLite."""
    return "statement_timestamp()" if connection.vendor == "postgresql" else "CURRENT_TIMESTAMP"


def scope_json_sql(user_column: str) -> tuple[str, list]:
    """SQL for the scope of the user in `user_column` (a column of the enclosing query), as JSON
    text: a list of [kind, object id, codename]. API authentication reads it in the same query
    as the token and its user (`remember_scope_rows`), one query fewer on every API request.
    """
    rows = _SCOPE_SQL % {
        "users": user_column,
        "permissions": ", ".join(["%s"] * len(OFFICE_PERMISSIONS)),
        "now": _now_sql(),
    }
    row = "scope.kind, scope.object_id, scope.codename"
    if connection.vendor == "postgresql":
        as_json = f"COALESCE(json_agg(json_build_array({row})), '[]')::text"
    else:
        as_json = f"json_group_array(json_array({row}))"
    return f"(SELECT {as_json} FROM ({rows}) scope)", list(OFFICE_PERMISSIONS)  # noqa: S608


def remember_scope_rows(user, rows) -> Scope:
    """Remember on `user` the scope read by `scope_json_sql` (its rows, decoded)."""
    scope = _scope_from_rows(user, [tuple(row) for row in rows])
    setattr(user, _MEMO, scope)
    return scope


def _compute_scopes(users: list) -> dict[int, Scope]:
    """Scopes of several users in one query (the notification worker asks for ~10 at once)."""
    ids = [user.pk for user in users]
    params = [*OFFICE_PERMISSIONS, *ids * _SCOPE_BRANCHES]  # in the order of the placeholders
    with connection.cursor() as cursor:
        # Prepared: every page asks it, and PostgreSQL took longer to plan it than to run it.
        execute_prepared(cursor, f"glo_act_scope_{len(users)}", _scope_sql(len(users)), params)
        rows = cursor.fetchall()
    grouped: dict[int, list] = {user.pk: [] for user in users}
    for user_id, *row in rows:
        grouped[user_id].append(row)
    return {user.pk: _scope_from_rows(user, grouped[user.pk]) for user in users}


def _compute_scope(user) -> Scope:
    return _compute_scopes([user])[user.pk]


def remember_scopes(users) -> None:
    """Compute and remember the scopes of many users at once (one query per 50 users)."""
    pending = [
        user
        for user in users
        if user.is_authenticated and user.is_active and getattr(user, _MEMO, None) is None
    ]
    for start in range(0, len(pending), 50):
        batch = pending[start : start + 50]
        scopes = _compute_scopes(batch)
        for user in batch:
            setattr(user, _MEMO, scopes[user.pk])


def _scope_from_rows(user, rows) -> Scope:
    view, change, partner_ids, members = set(), set(), set(), set()
    is_hq = bool(user.is_superuser)
    for row_kind, object_id, codename in rows:
        if row_kind == "global" and codename == VIEW_CASES:
            is_hq = True
        elif row_kind == "office":
            (view if codename == VIEW_CASES else change).add(object_id)
        elif row_kind == "partner":
            partner_ids.add(object_id)
        elif row_kind == "member":
            members.add(object_id)
    if is_hq:
        return Scope(True, frozenset(), frozenset(), frozenset(partner_ids), frozenset(members))
    return Scope(
        False, frozenset(view), frozenset(change & view), frozenset(partner_ids), frozenset(members)
    )


class OrganisationPrincipal:
    """Stands for a partner organisation itself, not any of its members.

    Webhooks go to the organisation: whether it may still hear of a subject is asked of its own
    scope (its live shares and referrals), never of a member who may also sit at an office desk.
    """

    is_authenticated = True
    is_active = True
    is_superuser = False
    pk = id = None

    def __init__(self, partner_id: int):
        self.partner_id = partner_id
        setattr(self, _MEMO, Scope(False, frozenset(), frozenset(), frozenset({partner_id})))


def as_partner(partner_id: int) -> OrganisationPrincipal:
    """A principal whose scope is exactly one partner organisation (see OrganisationPrincipal)."""
    return OrganisationPrincipal(partner_id)


def is_hq(user) -> bool:
    """True for HQ members (office permissions held model-wide) and superusers."""
    return scope_of(user).is_hq


def offices_of(user) -> QuerySet[LinkOffice]:
    """The user's desks: every office for HQ, else the offices they hold `view_office_cases` on."""
    scope = scope_of(user)
    if scope.is_hq:
        return LinkOffice.objects.all()
    return LinkOffice.objects.filter(pk__in=scope.view_office_ids)


def partners_of(user) -> QuerySet[PartnerOrganisation]:
    """The partner organisations the user is an active member of."""
    return PartnerOrganisation.objects.filter(pk__in=scope_of(user).partner_ids)


def can_work_office(user, office_id: int) -> bool:
    """May the user change the cases led by this office (`change_office_cases`)?"""
    scope = scope_of(user)
    return scope.is_hq or office_id in scope.change_office_ids


def can_see_office(user, office_id: int) -> bool:
    scope = scope_of(user)
    return scope.is_hq or office_id in scope.view_office_ids


__all__ = [
    "CHANGE_CASES",
    "OrganisationPrincipal",
    "as_partner",
    "VIEW_CASES",
    "Scope",
    "VisibleQuerySet",
    "can_see_office",
    "can_work_office",
    "forget",
    "remember_scopes",
    "is_hq",
    "offices_of",
    "partners_of",
    "scope_of",
]
