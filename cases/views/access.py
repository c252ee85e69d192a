"""What one user may do on one case's pages, on top of how they see it (`cases.access`), and the
look-ups that answer 404 for a case they may not see.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cases.access import CaseAccess
from cases.access import case_access as access_to_case
from cases.constants import HandlingCode
from cases.models import Case, CaseShare
from cases.querysets import get_case_for_user
from liaison_offices.access import scope_of

__all__ = ["PageAccess", "case_access", "case_or_404", "shares_for_page"]


@dataclass
class PageAccess:
    """The user's footing on one case's pages: `answer` (level, handling code, conditions,
    expiry, lead or not: the one answer every door shows), and what the pages let them do.

    Redaction by level: summary — reference, kind, status, title, summary, lead office, forms
    of exploitation; full — everything else (taxonomy, route, suspects, legal basis, timeline,
    messages); full with victims — also the victims' codes (their personal data is the victims
    app's business).
    """

    answer: CaseAccess
    # Live shares of the case to offices the user works: through them they may pass it on.
    passable_shares: list[CaseShare] = field(default_factory=list)
    via_name: str = ""  # the desk or organisation whose grant gives the access

    def __getattr__(self, name):
        return getattr(self.answer, name)

    @property
    def held_only_under_h2(self) -> bool:
        return bool(self.passable_shares) and all(
            share.handling_code == HandlingCode.H2 for share in self.passable_shares
        )

    @property
    def can_share(self) -> bool:
        """The lead office shares; a recipient office passes on, unless it holds it under H2."""
        return self.answer.can_change or (
            bool(self.passable_shares) and not self.held_only_under_h2
        )

    def can_revoke(self, share: CaseShare) -> bool:
        if share.revoked_at is not None:
            return False
        if self.answer.can_change:
            return True
        return share.passed_on_from_id in {s.pk for s in self.passable_shares}


def case_access(user, case: Case, shares: list[CaseShare] | None = None) -> PageAccess:
    """`shares`: the case's shares as `shares_for_page` returns them (read by the caller when
    it shows them anyway), else the user's passable shares are read here (one query)."""
    answer = access_to_case(user, case)
    if answer.is_owner or not answer.sees:
        return PageAccess(answer=answer, via_name=_via_name(answer, case, shares or []))
    scope = scope_of(user)
    if shares is None:
        passable = list(
            CaseShare.objects.held_by(user, working=True).filter(case=case).select_related("office")
        )
    else:
        # Rows of `shares_for_page`, whose `live` comes from their grants.
        passable = [s for s in shares if s.live and s.office_id in scope.change_office_ids]
    return PageAccess(
        answer=answer, passable_shares=passable, via_name=_via_name(answer, case, shares or [])
    )


def _via_name(answer: CaseAccess, case: Case, shares: list[CaseShare]) -> str:
    """The code of the desk, or the name of the organisation, the access comes through."""
    if answer.office_id == case.lead_office_id and answer.office_id is not None:
        return case.lead_office.code
    for share in shares:
        if answer.office_id is not None and share.office_id == answer.office_id:
            return share.office.code
        if answer.partner_id is not None and share.partner_id == answer.partner_id:
            return str(share.partner)
    return ""


def case_or_404(request, reference: str, action: str = "view") -> Case:
    return get_case_for_user(request.user, reference, action)


def shares_for_page(user, case: Case) -> list[CaseShare]:
    """The shares the user sees on this case (`CaseShare.objects.visible_to`): every share for
    the lead office and HQ; for a recipient, their own live share and those they passed on.
    Each carries `live` (its grant still holds)."""
    return list(
        CaseShare.objects.visible_to(user)
        .with_liveness()
        .filter(case=case)
        .select_related("office", "partner")
        .order_by("-created_at", "-id")
    )
