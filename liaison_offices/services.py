"""Writes for offices, partners, memberships and office permission grants.

Every change to who-acts-for-whom goes through here, so an office's or partner's Django group
always matches its active memberships.
"""

from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from glo_act.errors import DomainError
from liaison_offices import access
from liaison_offices.constants import (
    HQ_CODE,
    OFFICE_PERMISSIONS,
    OFFICE_ROLES,
    PARTNER_ROLES,
    OfficeStatus,
    Role,
    Service,
)
from liaison_offices.models import Country, LinkOffice, Membership, PartnerOrganisation

# Apps whose models HQ administers in the Django admin.
HQ_ADMIN_APPS = ("liaison_offices", "cases", "victims", "people", "auth", "knox", "axes")


@transaction.atomic
def office_create(
    *,
    acting_user,
    code: str,
    name: str,
    country: Country,
    city: str,
    opened_on: dt.date | None = None,
    status: str = OfficeStatus.ACTIVE,
) -> LinkOffice:
    """Open a link office: its group is created and holds both office permissions on it."""
    code = code.strip().upper()
    if LinkOffice.objects.filter(code=code).exists():
        raise DomainError(f"An office with code {code} already exists.", field="code")
    group = Group.objects.create(name=f"office:{code}")
    office = LinkOffice(
        code=code, name=name, country=country, city=city, opened_on=opened_on, status=status
    )
    office.group = group
    office._history_user = acting_user
    office.save()
    for codename in OFFICE_PERMISSIONS:
        assign_perm(f"liaison_offices.{codename}", group, office)
    if code == HQ_CODE:
        hq_permissions_sync()
    return office


def hq_permissions_sync() -> None:
    """Give the HQ group the office permissions model-wide and the admin's model permissions.

    Run when HQ is created and by `seed_demo`, so models added later are covered too.
    """
    office = LinkOffice.objects.filter(code=HQ_CODE).select_related("group").first()
    if office is None:
        return
    installed = {config.label for config in apps.get_app_configs()}
    app_labels = [label for label in HQ_ADMIN_APPS if label in installed]
    permissions = Permission.objects.filter(content_type__app_label__in=app_labels)
    office.group.permissions.add(*permissions)


@transaction.atomic
def office_update(*, acting_user, office: LinkOffice, **fields) -> LinkOffice:
    """Change an office's name, city, opening date or status (never its code or group)."""
    allowed = {"name", "city", "opened_on", "status", "country"}
    unknown = set(fields) - allowed
    if unknown:
        raise DomainError(f"These office fields cannot be changed: {', '.join(sorted(unknown))}.")
    for key, value in fields.items():
        setattr(office, key, value)
    office._history_user = acting_user
    office.save()
    return office


@transaction.atomic
def partner_create(
    *,
    acting_user,
    name: str,
    kind: str,
    country: Country,
    short_name: str = "",
    services: list[str] | None = None,
) -> PartnerOrganisation:
    """Register a partner organisation with its own group."""
    services = list(services or [])
    _check_services(services)
    if PartnerOrganisation.objects.filter(name=name).exists():
        raise DomainError(f"A partner organisation named {name!r} already exists.", field="name")
    group = Group.objects.create(name=f"partner:{name}"[:150])
    partner = PartnerOrganisation(
        name=name, short_name=short_name, kind=kind, country=country, services=services
    )
    partner.group = group
    partner._history_user = acting_user
    partner.save()
    return partner


@transaction.atomic
def partner_update(*, acting_user, partner: PartnerOrganisation, **fields) -> PartnerOrganisation:
    """Change a partner's details; its group follows its name."""
    allowed = {"name", "short_name", "kind", "country", "services", "is_active"}
    unknown = set(fields) - allowed
    if unknown:
        raise DomainError(f"These partner fields cannot be changed: {', '.join(sorted(unknown))}.")
    if "services" in fields:
        _check_services(fields["services"])
    for key, value in fields.items():
        setattr(partner, key, value)
    partner._history_user = acting_user
    partner.save()
    return partner


def _check_services(services: list[str]) -> None:
    unknown = set(services) - set(Service.values)
    if unknown:
        raise DomainError(f"Unknown services: {', '.join(sorted(unknown))}.", field="services")


@transaction.atomic
def membership_add(
    *,
    acting_user,
    user,
    role: str,
    office: LinkOffice | None = None,
    partner: PartnerOrganisation | None = None,
    title: str = "",
) -> Membership:
    """Make `user` act for an office or partner in `role`, and put them in its group."""
    if (office is None) == (partner is None):
        raise DomainError("A membership is of exactly one office or one partner organisation.")
    if office is not None and role not in OFFICE_ROLES:
        raise DomainError(
            f"{Role(role).label} is a partner role, not an office role.", field="role"
        )
    if partner is not None and role not in PARTNER_ROLES:
        raise DomainError(
            f"{Role(role).label} is an office role, not a partner role.", field="role"
        )
    if role == Role.HQ_ADMIN and (office is None or office.code != HQ_CODE):
        raise DomainError("Only members of HQ can be HQ admins.", field="role")
    active = Membership.objects.filter(user=user, ended_at__isnull=True)
    if active.filter(office=office, partner=partner).exists():
        raise DomainError(f"{user} already acts for {office or partner}.")
    membership = Membership(user=user, office=office, partner=partner, role=role, title=title)
    membership._history_user = acting_user
    membership.save()
    (office or partner).group.user_set.add(user)
    if role == Role.HQ_ADMIN and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    access.forget(user)
    return membership


@transaction.atomic
def membership_end(*, acting_user, membership: Membership) -> Membership:
    """End a membership: the user leaves the group at once; the row stays as history."""
    if membership.ended_at is not None:
        raise DomainError("This membership has already ended.")
    membership.ended_at = timezone.now()
    membership._history_user = acting_user
    membership.save(update_fields=["ended_at", "updated_at"])
    organisation = membership.organisation
    organisation.group.user_set.remove(membership.user)
    user = membership.user
    if (
        membership.role == Role.HQ_ADMIN
        and not Membership.objects.filter(
            user=user, role=Role.HQ_ADMIN, ended_at__isnull=True
        ).exists()
    ):
        user.is_staff = False
        user.save(update_fields=["is_staff"])
    access.forget(user)
    return membership


def _check_grant_target(user, group) -> None:
    if (user is None) == (group is None):
        raise DomainError("Grant an office permission to exactly one user or one group.")


def _record_on_office(office: LinkOffice, acting_user, reason: str) -> None:
    """A line in the office's History (admin): who changed its grants, and why."""
    office._history_user = acting_user
    # simple_history keeps 100 characters of a change reason; the grant row keeps all of it.
    office._change_reason = reason if len(reason) <= 100 else reason[:99] + "…"
    office.save(update_fields=["updated_at"])


def _grant_target_name(user, group) -> str:
    return f"user {user.get_username()}" if user is not None else f"group {group.name}"


@transaction.atomic
def office_permission_grant(
    *,
    acting_user,
    office: LinkOffice,
    permission: str,
    user=None,
    group=None,
    reason: str = "",
    ends_at: dt.datetime | None = None,
):
    """Grant an office's permission to a user or group (joint investigation, leave cover),
    saying why, until `ends_at` (None: until revoked). It stops granting at that time.
    Granting again renews the grant with the new reason and end. Returns the grant row.
    """
    _check_grant_target(user, group)
    if permission not in OFFICE_PERMISSIONS:
        raise DomainError(f"Unknown office permission {permission!r}.", field="permission")
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(
            "Say why this grant is made (e.g. the joint investigation, or whose leave it covers).",
            field="reason",
        )
    if len(reason) > 300:
        raise DomainError("The reason is too long (300 characters at most).", field="reason")
    now = timezone.now()
    if ends_at is not None and ends_at <= now:
        raise DomainError("The end of the grant is in the past.", field="ends_at")
    grant = assign_perm(f"liaison_offices.{permission}", user or group, office)
    grant.reason = reason
    grant.ends_at = ends_at
    grant.granted_by = acting_user if getattr(acting_user, "pk", None) else None
    grant.granted_at = now
    grant.save(update_fields=["reason", "ends_at", "granted_by", "granted_at"])
    until = f" until {timezone.localtime(ends_at):%Y-%m-%d %H:%M}" if ends_at else ""
    _record_on_office(
        office,
        acting_user,
        f"Granted {permission} to {_grant_target_name(user, group)}{until}: {reason}",
    )
    if user is not None:
        access.forget(user)
    return grant


@transaction.atomic
def office_permission_revoke(
    *, acting_user, office: LinkOffice, permission: str, user=None, group=None, reason: str = ""
) -> None:
    """Take back an office permission; it stops granting anything at once."""
    _check_grant_target(user, group)
    if group is not None and group == office.group:
        raise DomainError("An office's own group always holds its office permissions.")
    remove_perm(f"liaison_offices.{permission}", user or group, office)
    why = " ".join((reason or "").split())
    _record_on_office(
        office,
        acting_user,
        f"Revoked {permission} from {_grant_target_name(user, group)}"
        + (f": {why}" if why else ""),
    )
    if user is not None:
        access.forget(user)


@transaction.atomic
def api_token_issue(*, acting_user, user, ttl: dt.timedelta | None = None):
    """Issue an API token for `user`; returns (token, instance). Only its hash is stored."""
    from knox.models import AuthToken
    from knox.settings import knox_settings

    if not user.is_active:
        raise DomainError(f"{user} is deactivated.")
    instance, token = AuthToken.objects.create(user=user, expiry=ttl or knox_settings.TOKEN_TTL)
    return token, instance


@transaction.atomic
def api_tokens_revoke(*, acting_user, user) -> int:
    """Revoke every API token of `user`; returns how many were revoked."""
    from knox.models import AuthToken

    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted
