"""Helpers shared by the case services: locking, validation, timeline entries, audiences."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import models
from django.http import Http404

from cases.access import case_access
from cases.constants import HandlingCode, ShareLevel
from cases.models import Case, CaseGrant, TimelineEvent
from glo_act.errors import DomainError, PermissionDenied
from glo_act.validation import check_choice, check_choices  # noqa: F401 -- the services' names
from liaison_offices.constants import HQ_CODE
from liaison_offices.models import Country, LinkOffice, Membership, PartnerOrganisation

__all__ = [
    "acting_organisation",
    "case_audience",
    "check_choice",
    "check_choices",
    "countries_by_code",
    "display_name",
    "json_value",
    "lock_case_for_change",
    "lock_case_for_view",
    "office_sees_case",
    "partner_sees_case",
    "record",
    "share_label",
    "short",
]


def display_name(user) -> str:
    """How a user is named in messages: full name, else username."""
    if user is None:
        return "the system"
    return user.get_full_name() or user.get_username()


def short(value, limit: int = 40) -> str:
    """A value as it reads in a one-line message, cut to `limit` characters."""
    if value in (None, "", []):
        return "—"
    if isinstance(value, list | tuple):
        value = ", ".join(str(item) for item in value)
    text = str(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def json_value(value):
    """A field value as it is stored in a timeline entry's JSON `changes`."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [json_value(item) for item in value]
    return value


def countries_by_code(values: Iterable) -> dict[str, Country]:
    """Country rows for ISO alpha-3 codes or Country objects, in one query; unknown → error."""
    codes = {value.iso3 if isinstance(value, Country) else str(value).upper() for value in values}
    codes.discard("")
    found = Country.objects.in_bulk(codes) if codes else {}
    missing = codes - set(found)
    if missing:
        raise DomainError(f"Unknown country code(s): {', '.join(sorted(missing))}.")
    return found


def record(
    case: Case,
    kind: str,
    actor,
    summary: str,
    changes: dict | None = None,
    *,
    version: int | None = None,
) -> TimelineEvent:
    """Add a line to the case's timeline (in the caller's transaction)."""
    return TimelineEvent.objects.create(
        case=case,
        kind=kind,
        actor=actor,
        summary=summary[:300],
        changes=changes or {},
        version=version,
    )


def _visible(user, case_pk: int) -> bool:
    return Case.objects.visible_to(user).filter(pk=case_pk).exists()


def lock_case_for_change(user, case: Case | int) -> Case:
    """Lock the case row, fetched through `restrict(user, "change")` inside the transaction.

    This is the access re-check of every write: a grant or share taken away since the page was
    loaded counts. Not visible at all → 404; visible but not the user's to change → 403.
    """
    pk = case.pk if isinstance(case, Case) else case
    locked = Case.objects.restrict(user, "change").select_for_update().filter(pk=pk).first()
    if locked is not None:
        return locked
    if _visible(user, pk):
        lead = case.lead_office if isinstance(case, Case) else None
        whose = f"the lead office ({lead.code})" if lead else "the lead office"
        raise PermissionDenied(
            f"Only {whose} can change this case; a share lets you read it and post messages."
        )
    raise Http404("No such case.")


def lock_case_for_view(user, case: Case | int) -> Case:
    """Lock the case row if the user may see it (shares, messages, requests); else 404."""
    pk = case.pk if isinstance(case, Case) else case
    locked = Case.objects.visible_to(user).select_for_update().filter(pk=pk).first()
    if locked is None:
        raise Http404("No such case.")
    return locked


def office_sees_case(office: LinkOffice, case: Case) -> bool:
    """Do the members of `office` see the case (HQ, or a live grant to the office)?"""
    if office.code == HQ_CODE:
        return True
    return CaseGrant.objects.live_for(office=office).filter(case=case).exists()


def partner_sees_case(partner: PartnerOrganisation, case: Case) -> bool:
    """Do the members of `partner` see the case (active, with a live grant)?"""
    return (
        partner.is_active and CaseGrant.objects.live_for(partner=partner).filter(case=case).exists()
    )


def acting_organisation(user, case: Case) -> tuple[LinkOffice | None, PartnerOrganisation | None]:
    """The office or partner through which `user` sees `case` (for a message's author): that
    of the grant their access comes from (`cases.access`); HQ members act for HQ.
    """
    access = case_access(user, case)
    if access.office_id is not None and access.office_id == case.lead_office_id:
        return case.lead_office, None
    if access.office_id is not None:
        return LinkOffice.objects.get(pk=access.office_id), None
    if access.partner_id is not None:
        return None, PartnerOrganisation.objects.get(pk=access.partner_id)
    # HQ members (who see every case without a desk or share) write as HQ.
    offices = [
        m.office
        for m in Membership.objects.filter(
            user=user, ended_at__isnull=True, office__isnull=False
        ).select_related("office")
    ]
    offices.sort(key=lambda office: office.code != HQ_CODE)
    return (offices[0] if offices else None), None


def case_audience(
    case: Case,
    *,
    exclude_office: LinkOffice | None = None,
    exclude_partner: PartnerOrganisation | None = None,
    min_level: int = ShareLevel.SUMMARY,
) -> tuple[list[LinkOffice], list[PartnerOrganisation]]:
    """Who hears about a case: the offices and organisations with a live grant of it at
    `min_level` or above, the lead office first (news of a message is for those who may read
    messages: FULL).
    """
    offices: dict[int, LinkOffice] = {}
    partners: dict[int, PartnerOrganisation] = {}
    grants = CaseGrant.objects.live_for(min_level=min_level).filter(case=case)
    for grant in grants.select_related("office", "partner").order_by("-is_lead", "id"):
        if grant.office_id is not None:
            offices[grant.office_id] = grant.office
        else:
            partners[grant.partner_id] = grant.partner
    if exclude_office is not None:
        offices.pop(exclude_office.pk, None)
    if exclude_partner is not None:
        partners.pop(exclude_partner.pk, None)
    return list(offices.values()), list(partners.values())


def share_label(level: int, handling_code: str) -> str:
    """`Full, H1` — how a share's level and handling code read in timelines and messages."""
    return f"{ShareLevel(level).label}, {HandlingCode(handling_code).value}"
