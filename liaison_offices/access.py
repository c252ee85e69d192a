"""Who acts for what: the one place that turns a user into their access scope.

A user's **desks** are the offices on which they hold `view_office_cases` (their own office's
group holds it; HQ can grant it to a user or group for a joint investigation or leave cover).
HQ members hold the office permissions model-wide and see everything. Every `visible_to` in the
project starts from `scope_of(user)`, which costs one query and is remembered on the user object
for the rest of the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import CharField, IntegerField, Q, QuerySet, Value

from liaison_offices.constants import CHANGE_CASES, OFFICE_PERMISSIONS, VIEW_CASES
from liaison_offices.models import (
    LinkOffice,
    LinkOfficeGroupObjectPermission,
    LinkOfficeUserObjectPermission,
    Membership,
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

    @property
    def is_empty(self) -> bool:
        return not (self.is_hq or self.view_office_ids or self.partner_ids)


EMPTY_SCOPE = Scope(False, frozenset(), frozenset(), frozenset())


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


_SENTINEL_BASE = -424242


@lru_cache(maxsize=64)
def _scope_sql(batch_size: int) -> tuple[str, tuple]:
    """The scope UNION for `batch_size` users, compiled once per size with sentinel user ids.

    Compiling this UNION through the ORM cost ~4 ms of CPU per request (measured in bench/);
    the SQL never changes, only the user ids do. Each row: (user id, kind, object id, codename).
    """
    ids = [_SENTINEL_BASE - i for i in range(batch_size)]
    office_perm = Q(
        permission__codename__in=OFFICE_PERMISSIONS,
        permission__content_type__app_label="liaison_offices",
    )

    def tagged(kind: str):
        return {"kind": Value(kind, output_field=CharField())}

    by_user = (
        LinkOfficeUserObjectPermission.objects.filter(office_perm, user_id__in=ids)
        .annotate(**tagged("office"))
        .values_list("user_id", "kind", "content_object_id", "permission__codename")
        .order_by()
    )
    by_group = (
        LinkOfficeGroupObjectPermission.objects.filter(office_perm, group__user__in=ids)
        .annotate(**tagged("office"))
        .values_list("group__user", "kind", "content_object_id", "permission__codename")
        .order_by()
    )
    model_wide = {"codename__in": OFFICE_PERMISSIONS, "content_type__app_label": "liaison_offices"}
    nothing = {"nothing": Value(None, output_field=IntegerField())}
    model_by_user = (
        Permission.objects.filter(user__in=ids, **model_wide)
        .annotate(**tagged("global"), **nothing)
        .values_list("user", "kind", "nothing", "codename")
        .order_by()
    )
    model_by_group = (
        Permission.objects.filter(group__user__in=ids, **model_wide)
        .annotate(**tagged("global"), **nothing)
        .values_list("group__user", "kind", "nothing", "codename")
        .order_by()
    )
    partners = (
        Membership.objects.filter(
            user_id__in=ids, ended_at__isnull=True, partner__isnull=False, partner__is_active=True
        )
        .annotate(**tagged("partner"), blank=Value("", output_field=CharField()))
        .values_list("user_id", "kind", "partner_id", "blank")
        .order_by()
    )
    union = by_user.union(by_group, model_by_user, model_by_group, partners, all=True)
    sql, params = union.query.sql_with_params()
    return sql, tuple(params)


def _compute_scopes(users: list) -> dict[int, Scope]:
    """Scopes of several users in one query (the notification worker asks for ~10 at once)."""
    sql, template = _scope_sql(len(users))
    by_sentinel = {_SENTINEL_BASE - i: user.pk for i, user in enumerate(users)}
    params = [
        by_sentinel.get(value, value) if isinstance(value, int) else value for value in template
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
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
    view, change, partner_ids = set(), set(), set()
    is_hq = bool(user.is_superuser)
    for row_kind, object_id, codename in rows:
        if row_kind == "global" and codename == VIEW_CASES:
            is_hq = True
        elif row_kind == "office":
            (view if codename == VIEW_CASES else change).add(object_id)
        elif row_kind == "partner":
            partner_ids.add(object_id)
    if is_hq:
        return Scope(True, frozenset(), frozenset(), frozenset(partner_ids))
    return Scope(False, frozenset(view), frozenset(change & view), frozenset(partner_ids))


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
    "can_see_office",
    "can_work_office",
    "forget",
    "remember_scopes",
    "is_hq",
    "offices_of",
    "partners_of",
    "scope_of",
]
