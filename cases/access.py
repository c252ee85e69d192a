"""How one user sees one case: the one answer every door uses (docs/architecture.md).

`case_access(user, case)` returns a `CaseAccess`: the level (a share level, the lead office or
HQ), the handling code that binds the user (the most restrictive among their live grants at
that level), its conditions and expiry, whether they see it as the lead office, through which
desk or organisation, and whether that desk is their own office or one HQ granted them. The
case list page, the case page, the API list and detail, and notifications read it; the
redaction of a case's fields by level (`redact`) is decided from it too, once, for every
renderer.

It reads the grant annotated by `Case.objects.with_access(user)` (the list and detail fetch
it with the case, no extra query), else asks the grants in one query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cases.constants import AccessLevel, HandlingCode, ShareLevel
from liaison_offices.access import scope_of

__all__ = [
    "ACCESS_NAMES",
    "FULL_FIELDS",
    "CaseAccess",
    "access_from_grant",
    "case_access",
    "redact",
]

ACCESS_NAMES = {
    AccessLevel.SUMMARY: "summary",
    AccessLevel.FULL: "full",
    AccessLevel.FULL_WITH_VICTIMS: "full_with_victims",
    AccessLevel.LEAD_OFFICE: "lead_office",
    AccessLevel.HQ: "hq",
}

# The case's own fields a summary share does not show (route, suspects, provisions, timeline,
# messages and victims are read separately, and only at their level).
FULL_FIELDS = {
    "outcome": "",
    "labour_sector": "",
    "means_of_control": [],
    "recruiter_relationship": "",
    "host_country_law": "",
}


@dataclass(frozen=True)
class CaseAccess:
    """The user's footing on one case. `level` 0: they do not see it."""

    level: int
    handling_code: str = ""  # "" for the lead office and HQ, who are bound by none
    handling_conditions: str = ""
    expires_at: dt.datetime | None = None
    is_lead: bool = False  # through the lead office's grant to one of their desks
    office_id: int | None = None  # the desk, or the organisation, whose grant it is
    partner_id: int | None = None
    own_office: bool = False  # that desk is an office they are a member of, not an HQ grant
    can_change: bool = False

    @property
    def sees(self) -> bool:
        return self.level > 0

    @property
    def is_hq(self) -> bool:
        return self.level == AccessLevel.HQ

    @property
    def is_owner(self) -> bool:
        """The lead office or HQ: every field, every share, every timeline entry."""
        return self.level >= AccessLevel.LEAD_OFFICE

    @property
    def via_share(self) -> bool:
        return 0 < self.level < AccessLevel.LEAD_OFFICE

    @property
    def sees_full(self) -> bool:
        return self.level >= ShareLevel.FULL

    @property
    def sees_victims(self) -> bool:
        return self.level >= ShareLevel.FULL_WITH_VICTIMS

    @property
    def can_message(self) -> bool:
        return self.sees_full

    @property
    def name(self) -> str:
        """The API's name of the level (`summary` … `hq`)."""
        return ACCESS_NAMES.get(self.level, "")

    @property
    def level_label(self) -> str:
        return AccessLevel(self.level).label if self.level else ""

    @property
    def handling_label(self) -> str:
        return HandlingCode(self.handling_code).label if self.handling_code else ""

    def as_api(self) -> dict:
        """The API's `access` block (`cases.api.serializers.CaseAccessSerializer`)."""
        share = self.via_share
        return {
            "level": self.name,
            "handling_code": self.handling_code or None if share else None,
            "handling_conditions": self.handling_conditions if share else "",
            "share_expires_at": self.expires_at if share else None,
            "can_edit": self.is_owner and self.can_change,
        }


NO_ACCESS = CaseAccess(level=0)


def access_from_grant(user, lead_office_id: int, grant) -> CaseAccess:
    """The access of `user` given the grant `Case.objects.with_access` found (JSON or dict)."""
    from liaison_offices.access import can_work_office

    scope = scope_of(user)
    can_change = can_work_office(user, lead_office_id)
    if scope.is_hq:
        return CaseAccess(level=AccessLevel.HQ, can_change=can_change)
    if not grant:
        return NO_ACCESS
    expires = grant.get("expires_at")
    if isinstance(expires, str):
        expires = parse_datetime(expires)
        if expires is not None and timezone.is_naive(expires):  # SQLite's text, in UTC
            expires = timezone.make_aware(expires, dt.UTC)
    office_id = grant.get("office_id")
    return CaseAccess(
        level=int(grant["level"]),
        handling_code=grant.get("handling_code") or "",
        handling_conditions=grant.get("handling_conditions") or "",
        expires_at=expires,
        is_lead=bool(grant.get("is_lead")),
        office_id=office_id,
        partner_id=grant.get("partner_id"),
        own_office=office_id is not None and office_id in scope.member_office_ids,
        can_change=can_change,
    )


def case_access(user, case) -> CaseAccess:
    """How `user` sees `case` (see `CaseAccess`). No query when the case was fetched through
    `Case.objects.with_access(user)` for this same user; else one."""
    if hasattr(case, "access_grant"):
        return access_from_grant(user, case.lead_office_id, case.access_grant)
    if scope_of(user).is_hq:
        return access_from_grant(user, case.lead_office_id, None)
    from cases.models import Case

    grant = Case.objects.filter(pk=case.pk).with_access(user).values_list("access_grant", flat=True)
    return access_from_grant(user, case.lead_office_id, grant.first())


def redact(case, access: CaseAccess):
    """Blank on `case` the fields its reader's level does not show, so that whatever renders
    it (JSON, the browsable API's forms, a page, an export) has nothing above that level to
    leak. The instance is the reader's own copy: never save it."""
    if not access.sees_full:
        for name, blank in FULL_FIELDS.items():
            setattr(case, name, list(blank) if isinstance(blank, list) else blank)
    return case
