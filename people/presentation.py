"""The people of a case as a reader sees them: identifiers in clear or masked, with matches.

What a level shows (`cases.access`; docs/people.md):

- below FULL (a summary share): nothing of the people section — no person, no identifier, no
  match; a summary share shows the case's summary only, as for its suspects;
- FULL: the people and their kinds of identifier; a suspect's identifiers in clear (the
  suspects themselves are shown at FULL), a witness's or another person's masked, since
  they are protected as victims are;
- FULL with victims, the lead office, HQ: every identifier in clear.

Matches are computed from the case's own identifiers and shown under `people.matching`'s rule
whatever the masking: they say which other case (or office) holds the same identifier, never
its value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cases.constants import ShareLevel
from people.constants import IdentifierKind, PersonRole
from people.matching import HiddenMatch, Matches, VisibleMatch, find_matches
from people.models import PersonOfInterest
from victims.crypto import PersonalDataUnreadable, Sealed

__all__ = ["CasePeople", "case_people", "mask", "shows_in_clear"]

MASK = "•"


def shows_in_clear(level: int, role: str) -> bool:
    if level >= ShareLevel.FULL_WITH_VICTIMS:
        return True
    return level >= ShareLevel.FULL and role == PersonRole.SUSPECT


def mask(kind: str, text: str) -> str:
    """Enough to tell two identifiers apart on the page, not enough to use one."""
    if kind in (IdentifierKind.NAME, IdentifierKind.VEHICLE):
        return " ".join(word[:1] + MASK * 3 for word in text.split())
    keep = 2 if len(text) > 6 else 0
    head = text[:3] if kind == IdentifierKind.PHONE and text.startswith("+") else ""
    return head + MASK * max(len(text) - len(head) - keep, 3) + (text[-keep:] if keep else "")


@dataclass
class IdentifierView:
    pk: int
    kind: str
    shown: str  # the value, masked or in clear; "" when it cannot be decrypted
    masked: bool
    unreadable: bool
    match_index: str
    visible_matches: list[VisibleMatch] = field(default_factory=list)
    hidden_matches: list[HiddenMatch] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return IdentifierKind(self.kind).label


@dataclass
class PersonView:
    pk: int
    role: str
    label: str
    suspect_id: int | None
    identifiers: list[IdentifierView] = field(default_factory=list)

    @property
    def role_label(self) -> str:
        return PersonRole(self.role).label


@dataclass
class CasePeople:
    people: list[PersonView]
    matches: Matches

    @property
    def other_cases(self) -> list[VisibleMatch]:
        """One entry per other visible case (the first match found with it)."""
        seen, cases = set(), []
        for match in self.matches.visible:
            if match.case_id not in seen:
                seen.add(match.case_id)
                cases.append(match)
        return cases


def _shown(kind: str, value, clear: bool) -> tuple[str, bool]:
    try:
        text = value.reveal() if isinstance(value, Sealed) else (value or "")
    except PersonalDataUnreadable:
        return "", True
    return (text if clear else mask(kind, text)), False


def case_people(user, case, level: int) -> CasePeople | None:
    """The people section of `case` for `user`, who sees it at `level`; None below FULL.

    Three queries at most: the people with their identifiers (one join), and the matches
    (`find_matches`: none when the case holds no identifier).
    """
    if level < ShareLevel.FULL:
        return None
    rows = (
        PersonOfInterest.objects.visible_to(user)
        .filter(case=case)
        .order_by("id", "identifiers__kind", "identifiers__id")
        .values_list(
            "pk",
            "role",
            "label",
            "suspect_id",
            "identifiers__pk",
            "identifiers__kind",
            "identifiers__value",
            "identifiers__match_index",
        )
    )
    people: dict[int, PersonView] = {}
    views = []
    for pk, role, label, suspect_id, id_pk, kind, value, match_index in rows:
        person = people.get(pk)
        if person is None:
            person = people[pk] = PersonView(pk, role, label, suspect_id)
        if id_pk is None:
            continue
        clear = shows_in_clear(level, role)
        shown, unreadable = _shown(kind, value, clear)
        view = IdentifierView(id_pk, kind, shown, not clear, unreadable, match_index)
        person.identifiers.append(view)
        views.append(view)
    matches = find_matches(user, [view.match_index for view in views], exclude_case_id=case.pk)
    for view in views:
        view.visible_matches = matches.visible_for(view.match_index)
        view.hidden_matches = matches.hidden_for(view.match_index)
    return CasePeople(list(people.values()), matches)
