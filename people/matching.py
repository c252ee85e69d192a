"""Matches across cases, within what the user may see (docs/people.md).

An identifier on one case matches one on another case when their blind indexes are equal. What
a user learns of the other case depends on the case rule alone (`Case.objects.visible_to`):

- a case they may see: its reference, title and lead office, a link, and the kind matched;
- a case they may not see: only its lead office and the kind of identifier matched, and only
  if they work at an office (partners' members see matches to the cases they hold, nothing
  else); never the reference, the title or anything else of it. Several hidden cases of one
  office read as one line.

Each answer is two queries, whatever the number of identifiers or matches: the identifiers
with those indexes (the `identifier_match` index, with their case's lead office), and the
visible cases among them (the grants probe). At most `MATCH_LIMIT` matching rows are read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from cases.models import Case
from liaison_offices.access import scope_of
from people.constants import MATCH_LIMIT, IdentifierKind
from people.models import Identifier

__all__ = ["HiddenMatch", "Matches", "VisibleMatch", "find_matches", "may_see_hidden_matches"]


@dataclass(frozen=True)
class VisibleMatch:
    """Another case the user may see that holds a matching identifier."""

    case_id: int
    reference: str
    title: str
    lead_office_code: str
    kind: str
    match_index: str  # whose own identifier it answers (not shown)

    @property
    def kind_label(self) -> str:
        return IdentifierKind(self.kind).label

    @property
    def url(self) -> str:
        from django.urls import reverse

        return reverse("cases:detail", kwargs={"reference": self.reference})


@dataclass(frozen=True)
class HiddenMatch:
    """An office whose cases, which the user may not see, hold a matching identifier."""

    office_id: int
    office_code: str
    office_name: str
    kind: str
    match_index: str

    @property
    def kind_label(self) -> str:
        return IdentifierKind(self.kind).label


@dataclass
class Matches:
    visible: list[VisibleMatch] = field(default_factory=list)
    hidden: list[HiddenMatch] = field(default_factory=list)
    truncated: bool = False  # more matching rows than MATCH_LIMIT: not all are listed

    def __bool__(self) -> bool:
        return bool(self.visible or self.hidden)

    def visible_for(self, match_index: str) -> list[VisibleMatch]:
        return [m for m in self.visible if m.match_index == match_index]

    def hidden_for(self, match_index: str) -> list[HiddenMatch]:
        return [m for m in self.hidden if m.match_index == match_index]


def may_see_hidden_matches(user) -> bool:
    """Told of matches in cases they may not see: HQ (who sees all anyway) and office staff."""
    scope = scope_of(user)
    return scope.is_hq or bool(scope.view_office_ids)


def find_matches(user, indexes: Iterable[str], *, exclude_case_id: int | None = None) -> Matches:
    """The matches of the blind indexes `indexes` on cases other than `exclude_case_id`."""
    wanted = sorted({index for index in indexes if index})
    if not wanted:
        return Matches()
    # Index-backed (identifier_match); nothing of the other cases but their id and lead office.
    rows = (
        Identifier.objects.filter(match_index__in=wanted)  # scoped: only ids and offices read
        .exclude(case_id=exclude_case_id)
        .order_by("case__lead_office__code", "case_id", "kind", "match_index")
        .values_list(
            "match_index",
            "kind",
            "case_id",
            "case__lead_office_id",
            "case__lead_office__code",
            "case__lead_office__name",
        )
        .distinct()[: MATCH_LIMIT + 1]
    )
    rows = list(rows)
    truncated = len(rows) > MATCH_LIMIT
    rows = rows[:MATCH_LIMIT]
    if not rows:
        return Matches()
    case_ids = {row[2] for row in rows}
    seen = {
        pk: (reference, title)
        for pk, reference, title in Case.objects.visible_to(user)
        .filter(pk__in=case_ids)
        .values_list("pk", "reference", "title")
    }
    hidden_allowed = may_see_hidden_matches(user)
    matches = Matches(truncated=truncated)
    told = set()
    for match_index, kind, case_id, office_id, office_code, office_name in rows:
        if case_id in seen:
            reference, title = seen[case_id]
            matches.visible.append(
                VisibleMatch(case_id, reference, title, office_code, kind, match_index)
            )
        elif hidden_allowed and (office_id, kind, match_index) not in told:
            told.add((office_id, kind, match_index))
            hint = HiddenMatch(office_id, office_code, office_name, kind, match_index)
            matches.hidden.append(hint)
    return matches
