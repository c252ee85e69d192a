"""Every write of the person index: one transactional function per use case.

Keyword-only, `acting_user` first, as every service of the project (docs/architecture.md).
People and identifiers are part of a case's record: only those who may change the case (its
lead office, HQ) add or remove them, each re-checked on the locked case row. The timeline says
that a person or an identifier was added or removed and of which kind — never the value.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.http import Http404

from cases.constants import HandlingCode, RequestKind, ShareLevel, TimelineKind, Urgency
from cases.models import Case, CooperationRequest, Suspect
from cases.services import case_share, request_create
from cases.services._common import check_choice, lock_case_for_change, office_sees_case, record
from glo_act.errors import DomainError, PermissionDenied
from liaison_offices.access import can_work_office
from liaison_offices.models import LinkOffice
from people.constants import IdentifierKind, PersonRole
from people.indexing import identifier_index
from people.matching import find_matches, may_see_hidden_matches
from people.models import Identifier, PersonOfInterest
from people.normalise import InvalidIdentifier, normalise
from victims.crypto import PersonalDataUnreadable, Sealed

logger = logging.getLogger(__name__)

__all__ = [
    "identifier_add",
    "identifier_remove",
    "identifiers_reindex",
    "match_request_cooperation",
    "person_add",
    "person_remove",
]


@transaction.atomic
def person_add(
    *,
    acting_user,
    case: Case,
    role: str,
    label: str = "",
    suspect: Suspect | None = None,
) -> PersonOfInterest:
    """Put a person of interest on a case: one of its suspects, a witness or another person."""
    locked = lock_case_for_change(acting_user, case)
    role = check_choice(role, PersonRole, field="role", label="role")
    label = (label or "").strip()
    if suspect is not None:
        if role != PersonRole.SUSPECT:
            raise DomainError("Only a suspect is linked to a suspect of the case.", field="suspect")
        if suspect.case_id != locked.pk:
            raise DomainError("That suspect is not on this case.", field="suspect")
        if PersonOfInterest.objects.filter(suspect=suspect).exists():
            raise DomainError("That suspect already has a record here.", field="suspect")
        label = label or suspect.name or f"Suspect ({suspect.get_role_display().lower()})"
    if not label:
        raise DomainError(
            "Say how the case refers to this person (not a name: “Witness 1”).", field="label"
        )
    person = PersonOfInterest.objects.create(
        case=locked, role=role, suspect=suspect, label=label[:120], created_by=acting_user
    )
    record(
        locked,
        TimelineKind.EDITED,
        acting_user,
        f"Person of interest added: {person.label} ({person.get_role_display().lower()})",
        {"person": person.pk, "role": role},
    )
    return person


@transaction.atomic
def person_remove(*, acting_user, person: PersonOfInterest) -> None:
    """Take a person of interest, and their identifiers, off the case."""
    locked = lock_case_for_change(acting_user, person.case_id)
    person = PersonOfInterest.objects.filter(pk=person.pk, case=locked).first()
    if person is None:
        raise Http404("No such person.")
    label, role = person.label, person.get_role_display().lower()
    person.delete()
    record(
        locked,
        TimelineKind.EDITED,
        acting_user,
        f"Person of interest removed: {label} ({role})",
        {"person": None, "role": person.role},
    )


@transaction.atomic
def identifier_add(*, acting_user, person: PersonOfInterest, kind: str, value: str) -> Identifier:
    """Record an identifier of a person: encrypted, with the blind index of its match key.

    A phone number is kept in E.164; other kinds as written (trimmed). The same identifier
    twice on one person is refused.
    """
    locked = lock_case_for_change(acting_user, person.case_id)
    person = PersonOfInterest.objects.filter(pk=person.pk, case=locked).first()
    if person is None:
        raise Http404("No such person.")
    kind = check_choice(kind, IdentifierKind, field="kind", label="kind of identifier")
    value = (value or "").strip()
    try:
        normal = normalise(kind, value)
        index = identifier_index(kind, value)
    except InvalidIdentifier as exc:
        raise DomainError(str(exc), field="value") from None
    if Identifier.objects.filter(person=person, match_index=index).exists():
        raise DomainError(
            f"{person.label} already has this {IdentifierKind(kind).label.lower()}.", field="value"
        )
    identifier = Identifier.objects.create(
        person=person,
        case=locked,
        kind=kind,
        value=normal if kind == IdentifierKind.PHONE else value[:500],
        match_index=index,
        created_by=acting_user,
    )
    record(
        locked,
        TimelineKind.EDITED,
        acting_user,
        f"{IdentifierKind(kind).label} recorded for {person.label}",
        {"person": person.pk, "identifier": identifier.pk, "kind": kind},
    )
    return identifier


@transaction.atomic
def identifier_remove(*, acting_user, identifier: Identifier) -> None:
    locked = lock_case_for_change(acting_user, identifier.case_id)
    identifier = (
        Identifier.objects.filter(pk=identifier.pk, case=locked).select_related("person").first()
    )
    if identifier is None:
        raise Http404("No such identifier.")
    identifier.delete()
    record(
        locked,
        TimelineKind.EDITED,
        acting_user,
        f"{identifier.get_kind_display()} removed from {identifier.person.label}",
        {"person": identifier.person_id, "kind": identifier.kind},
    )


MATCH_REQUEST_QUESTION = (
    "A {kind} recorded on {reference} matches one on a case your office leads (the person "
    "index found it; it does not tell us which case). Please check your cases for this person "
    "and tell us whether the cases are linked. {reference} has been shared with you at summary "
    "level for this request."
)


@transaction.atomic
def match_request_cooperation(
    *,
    acting_user,
    identifier: Identifier,
    office: LinkOffice,
    urgency: str = Urgency.NORMAL,
) -> CooperationRequest:
    """Ask the office that holds a match the user may not see to look at it: one action.

    The request is about the user's own case (the identifier's), sent by its lead office
    through `cases.services.request_create`, and addressed as every request is: the recipient
    must see the case, so the case is first shared with the office at summary level under H2
    (no onward dissemination without consent) unless it already holds it. The question names
    the kind of identifier and the user's own case only — never the other case, which the
    sender does not know.
    """
    case = lock_case_for_change(acting_user, identifier.case_id)
    identifier = Identifier.objects.filter(pk=identifier.pk, case=case).first()
    if identifier is None:
        raise Http404("No such identifier.")
    if not can_work_office(acting_user, case.lead_office_id):
        raise PermissionDenied(f"Only {case.lead_office.code} sends requests about this case.")
    if not may_see_hidden_matches(acting_user):
        raise PermissionDenied("Only office staff are told of matches in other offices.")
    matches = find_matches(acting_user, [identifier.match_index], exclude_case_id=case.pk)
    if not any(match.office_id == office.pk for match in matches.hidden):
        raise DomainError(
            f"{office.code} holds no match of this identifier that you cannot see.",
            field="office",
        )
    if office.pk == case.lead_office_id:
        raise DomainError("An office does not send a request to itself.", field="office")
    if not office_sees_case(office, case):
        case_share(
            acting_user=acting_user,
            case=case,
            office=office,
            level=ShareLevel.SUMMARY,
            handling_code=HandlingCode.H2,
        )
    kind = identifier.get_kind_display().lower()
    return request_create(
        acting_user=acting_user,
        case=case,
        from_office=case.lead_office,
        to_office=office,
        kind=RequestKind.IDENTITY_CHECK,
        urgency=urgency,
        question=MATCH_REQUEST_QUESTION.format(kind=kind, reference=case.reference),
    )


# --- keys --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReindexReport:
    checked: int
    changed: int
    unreadable: int


def expected_index(identifier: Identifier) -> str:
    """The blind index of `identifier` under the current key (PersonalDataUnreadable when its
    value no key opens)."""
    value = identifier.value
    plain = value.reveal() if isinstance(value, Sealed) else value
    try:
        return identifier_index(identifier.kind, plain or "")
    except InvalidIdentifier:
        return identifier.match_index  # a value the rules of today refuse keeps its index


def identifiers_reindex(*, batch_size: int = 500, dry_run: bool = False) -> ReindexReport:
    """Recompute every identifier's blind index under the current BLIND_INDEX_KEY (after an
    intended change of the key: `manage.py reindex_blind_indexes`), batch by batch, each
    locked and written in its own transaction. With `dry_run`, nothing is written."""
    checked = changed = unreadable = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            batch = list(
                Identifier.objects.select_for_update(of=("self",))
                .filter(pk__gt=last_pk)
                .order_by("pk")[:batch_size]
            )
            if not batch:
                break
            last_pk = batch[-1].pk
            stale = []
            for identifier in batch:
                checked += 1
                try:
                    expected = expected_index(identifier)
                except PersonalDataUnreadable:
                    unreadable += 1
                    continue
                if identifier.match_index != expected:
                    identifier.match_index = expected
                    stale.append(identifier)
            changed += len(stale)
            if stale and not dry_run:
                Identifier.objects.bulk_update(stale, ["match_index"])
    logger.info(
        "Identifier blind indexes rebuilt%s: %d checked, %d changed, %d unreadable",
        " (dry run)" if dry_run else "",
        checked,
        changed,
        unreadable,
    )
    return ReindexReport(checked, changed, unreadable)
