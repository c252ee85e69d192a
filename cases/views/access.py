"""What one user may see and do on one case (redaction by share level), and the look-ups
that answer 404 for a case they may not see.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import cached_property

from cases.constants import (
    HandlingCode,
    ShareLevel,
)
from cases.models import (
    Case,
    CaseShare,
)
from cases.querysets import get_case_for_user
from liaison_offices.access import can_work_office, scope_of

__all__ = ["CaseAccess", "case_access", "case_or_404", "shares_for_page"]


@dataclass
class CaseAccess:
    """The user's footing on one case: its lead office (or HQ), or a recipient of shares.

    Redaction by share level (DESIGN §3 and §4):
    - summary: reference, kind, status, title, summary, lead office, forms of exploitation;
    - full: everything else (taxonomy, route, suspects, legal basis, timeline, messages);
    - full with victims: also the victims' codes (their personal data is victims' business).
    """

    is_owner: bool
    can_change: bool
    shares_to_me: list[CaseShare] = field(default_factory=list)
    work_office_ids: frozenset[int] = frozenset()

    @property
    def level(self) -> int:
        if self.is_owner:
            return ShareLevel.FULL_WITH_VICTIMS
        return max((share.level for share in self.shares_to_me), default=0)

    @property
    def level_label(self) -> str:
        return ShareLevel(self.level).label if self.level else ""

    @property
    def sees_full(self) -> bool:
        return self.level >= ShareLevel.FULL

    @property
    def sees_victims(self) -> bool:
        return self.level >= ShareLevel.FULL_WITH_VICTIMS

    @property
    def can_message(self) -> bool:
        return self.sees_full

    @cached_property
    def passable_shares(self) -> list[CaseShare]:
        """Shares to an office the user works, through which the case may be passed on."""
        return [
            share
            for share in self.shares_to_me
            if share.office_id in self.work_office_ids and share.is_active()
        ]

    @property
    def held_only_under_h2(self) -> bool:
        return bool(self.passable_shares) and all(
            share.handling_code == HandlingCode.H2 for share in self.passable_shares
        )

    @property
    def can_share(self) -> bool:
        """The lead office shares; a recipient office passes on, unless it holds it under H2."""
        return self.can_change or (bool(self.passable_shares) and not self.held_only_under_h2)

    def can_revoke(self, share: CaseShare) -> bool:
        if share.revoked_at is not None:
            return False
        if self.can_change:
            return True
        return share.passed_on_from_id in {s.pk for s in self.passable_shares}


def case_access(user, case: Case, shares: list[CaseShare] | None = None) -> CaseAccess:
    """`shares`: the case's shares as `CaseShare.objects.visible_to(user)` returns them (read
    by the caller when it shows them anyway), else read here (one query).
    """
    scope = scope_of(user)
    is_owner = scope.is_hq or case.lead_office_id in scope.view_office_ids
    can_change = can_work_office(user, case.lead_office_id)
    if is_owner:
        return CaseAccess(is_owner=True, can_change=can_change)
    if shares is None:
        shares = list(
            CaseShare.objects.for_recipient(user)
            .filter(case=case)
            .select_related("office", "partner")
        )
    mine = [share for share in shares if _is_to(share, scope) and share.is_active()]
    return CaseAccess(
        is_owner=False,
        can_change=can_change,
        shares_to_me=mine,
        work_office_ids=scope.change_office_ids,
    )


def _is_to(share: CaseShare, scope) -> bool:
    return share.office_id in scope.view_office_ids or share.partner_id in scope.partner_ids


def case_or_404(request, reference: str, action: str = "view") -> Case:
    return get_case_for_user(request.user, reference, action)


def shares_for_page(user, case: Case) -> list[CaseShare]:
    """The shares the user sees on this case (`CaseShare.objects.visible_to`): every share for
    the lead office and HQ; for a recipient, their own live share and those they passed on.
    """
    return list(
        CaseShare.objects.visible_to(user)
        .filter(case=case)
        .select_related("office", "partner")
        .order_by("-created_at", "-id")
    )
