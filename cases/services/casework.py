"""Who works a case: assigning an officer, reassigning an officer's cases, and handing the lead
of a case over to another office (docs/casework.md).

- An officer who may work the lead office assigns a case to a colleague of that office (or to
  themself), or unassigns it: `case_assign`.
- The office's supervisors — its office leads — and HQ move cases from one officer to another
  in one action, chosen or "all of this officer's open cases": `cases_reassign`.
- The lead office flags a case with a reason and an optional date (`flag_add`, `flag_clear`).
- The lead office offers a case to another office (`handover_request`); the receiving office,
  or HQ, accepts (`handover_accept`: the lead changes through `move_lead_office`, the grants
  follow) or declines with a reason (`handover_decline`); the sender may withdraw
  (`handover_withdraw`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from cases.constants import (
    OPEN_STATUSES,
    HandlingCode,
    HandOverStatus,
    ShareLevel,
    TimelineKind,
)
from cases.models import Case, CaseFlag, HandOver, TimelineEvent
from cases.services._common import (
    check_choice,
    display_name,
    lock_case_for_change,
    record,
)
from cases.services.sharing import move_lead_office
from glo_act.errors import DomainError, PermissionDenied
from glo_act.validation import check_not_past
from liaison_offices.access import can_work_office, scope_of
from liaison_offices.constants import HQ_CODE, OFFICE_ROLES, EventKind, OfficeStatus, Role
from liaison_offices.models import LinkOffice, Membership
from liaison_offices.notifications import publish

__all__ = [
    "case_assign",
    "cases_reassign",
    "flag_add",
    "flag_clear",
    "handover_accept",
    "handover_decline",
    "handover_request",
    "handover_withdraw",
    "is_supervisor",
    "officers_of",
]


def officers_of(office: LinkOffice | int) -> QuerySet:
    """The active users who are active members of `office` in an office role: whom its cases
    may be assigned to."""
    office_id = getattr(office, "pk", office)
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__office_id=office_id,
            memberships__ended_at__isnull=True,
            memberships__role__in=sorted(OFFICE_ROLES),
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def is_supervisor(user, office: LinkOffice | int) -> bool:
    """HQ, or an office lead of `office` who may work its cases: may reassign its cases."""
    office_id = getattr(office, "pk", office)
    if scope_of(user).is_hq:
        return True
    if not can_work_office(user, office_id):
        return False
    return Membership.objects.filter(
        user=user, office_id=office_id, role=Role.OFFICE_LEAD, ended_at__isnull=True
    ).exists()


def _check_officer(officer, office: LinkOffice, field: str = "officer") -> None:
    if not officers_of(office).filter(pk=officer.pk).exists() or not can_work_office(
        officer, office.pk
    ):
        raise DomainError(
            f"{display_name(officer)} is not an officer of {office.code}; a case is assigned "
            "to an officer of its lead office.",
            field=field,
        )


def _case_payload(case: Case, **extra) -> dict:
    return {"reference": case.reference, "case_kind": case.kind, **extra}


# --- assignment ---------------------------------------------------------------------------------


@transaction.atomic
def case_assign(*, acting_user, case: Case, officer) -> Case:
    """Assign `case` to `officer` (an officer of its lead office), or unassign it (None).

    Anyone who may work the lead office does it; a timeline line records it, the new officer
    is told, and so is the officer it was taken from.
    """
    locked = lock_case_for_change(acting_user, case)
    office = locked.lead_office
    former = locked.assigned_to
    if officer is not None:
        _check_officer(officer, office)
    if (former.pk if former else None) == (officer.pk if officer else None):
        who = display_name(officer) if officer else "nobody"
        raise DomainError(f"{locked.reference} is already assigned to {who}.", field="officer")
    now = timezone.now()
    locked.assigned_to = officer
    locked.assigned_at = now if officer else None
    locked._history_user = acting_user
    locked.save(update_fields=["assigned_to", "assigned_at"])
    if officer is None:
        summary = f"Unassigned (was {display_name(former)})"
    elif former is None:
        summary = f"Assigned to {display_name(officer)}"
    else:
        summary = f"Reassigned from {display_name(former)} to {display_name(officer)}"
    record(
        locked,
        TimelineKind.ASSIGNED,
        acting_user,
        summary,
        {"from": former.pk if former else None, "to": officer.pk if officer else None},
    )
    if officer is not None:
        publish(
            kind=EventKind.CASE_ASSIGNED,
            subject=locked,
            actor=acting_user,
            users=[officer],
            payload=_case_payload(locked),
        )
    if former is not None:
        publish(
            kind=EventKind.CASE_UNASSIGNED,
            subject=locked,
            actor=acting_user,
            users=[former],
            payload=_case_payload(locked),
        )
    return locked


@transaction.atomic
def cases_reassign(
    *,
    acting_user,
    office: LinkOffice,
    from_officer,
    to_officer,
    cases: Iterable[Case | int] | None = None,
) -> list[Case]:
    """Move cases of `office` from one officer to another in one action (an office lead of
    `office`, or HQ): the chosen `cases`, or with None every open case of `from_officer`.

    Each case gets its timeline line; the new officer is told once, with the count, and the
    former officer too. Returns the cases moved, by reference. A chosen case that is not
    `from_officer`'s (any more) refuses the whole action: nothing is moved.
    """
    if not is_supervisor(acting_user, office):
        raise PermissionDenied(
            f"Only an office lead of {office.code} or HQ can reassign its officers' cases."
        )
    if from_officer is not None and to_officer is not None and from_officer.pk == to_officer.pk:
        raise DomainError("Choose another officer to hand the cases to.", field="to_officer")
    if to_officer is not None:
        _check_officer(to_officer, office, field="to_officer")
    mine = Case.objects.select_for_update().filter(lead_office=office)
    mine = (
        mine.filter(assigned_to=from_officer)
        if from_officer
        else mine.filter(assigned_to__isnull=True)
    )
    if cases is None:
        locked = list(mine.filter(status__in=sorted(OPEN_STATUSES)).order_by("reference"))
    else:
        wanted = {getattr(case, "pk", case) for case in cases}
        if not wanted:
            raise DomainError("Choose at least one case.", field="cases")
        locked = list(mine.filter(pk__in=sorted(wanted)).order_by("reference"))
        if len(locked) != len(wanted):
            whose = display_name(from_officer) if from_officer else "nobody"
            raise DomainError(
                f"{len(wanted) - len(locked)} of the chosen cases are not led by {office.code} "
                f"and assigned to {whose} any more; reload the list and choose again.",
                field="cases",
            )
    if not locked:
        raise DomainError("There are no such open cases to reassign.", field="cases")
    now = timezone.now()
    ids = [case.pk for case in locked]
    Case.objects.filter(pk__in=ids).update(
        assigned_to=to_officer, assigned_at=now if to_officer else None
    )
    old = display_name(from_officer) if from_officer else "nobody"
    new = display_name(to_officer) if to_officer else "nobody"
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            case=case,
            kind=TimelineKind.ASSIGNED,
            actor=acting_user,
            summary=f"Reassigned from {old} to {new} (with {len(locked)} cases of {office.code})",
            changes={
                "from": from_officer.pk if from_officer else None,
                "to": to_officer.pk if to_officer else None,
                "batch": len(locked),
            },
            created_at=now,
        )
        for case in locked
    )
    for case in locked:
        case.assigned_to, case.assigned_at = to_officer, now if to_officer else None
    payload = {"office": office.code, "count": len(locked), "reference": locked[0].reference}
    label = f"{len(locked)} case{'s' if len(locked) != 1 else ''} of {office.code}"
    if to_officer is not None:
        publish(
            kind=EventKind.CASE_ASSIGNED,
            subject=locked[0],
            subject_label=label,
            actor=acting_user,
            users=[to_officer],
            payload=payload,
        )
    if from_officer is not None:
        publish(
            kind=EventKind.CASE_UNASSIGNED,
            subject=locked[0],
            subject_label=label,
            actor=acting_user,
            users=[from_officer],
            payload=payload,
        )
    return locked


# --- flags --------------------------------------------------------------------------------------


@transaction.atomic
def flag_add(*, acting_user, case: Case, reason: str, due_on: dt.date | None = None) -> CaseFlag:
    """Flag a case (the lead office, or HQ): a reason, and a date it is reminded before."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError("Say what the flag is for, e.g. “Court hearing”.", field="reason")
    if len(reason) > 200:
        raise DomainError("Keep the flag to 200 characters.", field="reason")
    check_not_past(due_on, field="due_on", what=gettext("The flag's date"))
    locked = lock_case_for_change(acting_user, case)
    flag = CaseFlag.objects.create(
        case=locked, reason=reason, due_on=due_on, created_by=acting_user
    )
    when = f" ({due_on:%d %b %Y})" if due_on else ""
    record(
        locked,
        TimelineKind.FLAGGED,
        acting_user,
        f"Flagged: {reason}{when}",
        {"flag": flag.pk, "due_on": due_on.isoformat() if due_on else None},
    )
    return flag


@transaction.atomic
def flag_clear(*, acting_user, flag: CaseFlag) -> CaseFlag:
    """Clear a flag (the lead office, or HQ); the timeline keeps what it said."""
    locked = lock_case_for_change(acting_user, flag.case_id)
    current = CaseFlag.objects.select_for_update().get(pk=flag.pk, case=locked)
    if current.cleared_at is not None:
        raise DomainError(f"This flag was already cleared on {current.cleared_at:%d %b %Y}.")
    current.cleared_at, current.cleared_by = timezone.now(), acting_user
    current.save(update_fields=["cleared_at", "cleared_by"])
    record(
        locked,
        TimelineKind.FLAGGED,
        acting_user,
        f"Flag cleared: {current}",
        {"flag": current.pk, "cleared": True},
    )
    return current


# --- hand-over of the lead office ---------------------------------------------------------------


def _handover_payload(handover: HandOver, case: Case) -> dict:
    return _case_payload(
        case,
        from_office=handover.from_office.code,
        to_office=handover.to_office.code,
        status=handover.status,
    )


def _lock_handover(user, handover: HandOver | int) -> HandOver:
    """The hand-over, locked, if the user sees it (one of its two offices, or HQ); else 404.
    Its case is locked first, as every case write does."""
    pk = getattr(handover, "pk", handover)
    visible = HandOver.objects.visible_to(user).filter(pk=pk).values_list("case_id", flat=True)
    case_id = visible.first()
    if case_id is None:
        raise Http404("No such hand-over.")
    Case.objects.select_for_update().filter(pk=case_id).first()
    return (
        HandOver.objects.select_for_update(of=("self",))
        .select_related("case__lead_office", "from_office", "to_office")
        .get(pk=pk)
    )


def _check_pending(handover: HandOver) -> None:
    if handover.status != HandOverStatus.PENDING:
        raise DomainError(
            f"This hand-over was already {handover.get_status_display().lower()} on "
            f"{handover.decided_at:%d %b %Y %H:%M} UTC."
        )


@transaction.atomic
def handover_request(
    *,
    acting_user,
    case: Case,
    to_office: LinkOffice,
    note: str = "",
    keep_level: int | None = ShareLevel.SUMMARY,
    keep_handling_code: str = HandlingCode.H0,
) -> HandOver:
    """Offer the lead of `case` to `to_office` (the lead office, or HQ): pending until that
    office or HQ accepts or declines. `keep_level`: the share the lead office keeps once it is
    accepted (None: none), under `keep_handling_code`."""
    locked = lock_case_for_change(acting_user, case)
    lead = locked.lead_office
    if to_office.pk == lead.pk:
        raise DomainError(f"{lead.code} already leads {locked.reference}.", field="to_office")
    if to_office.status != OfficeStatus.ACTIVE:
        raise DomainError(f"{to_office} is not an active office.", field="to_office")
    if keep_level not in (None, ""):
        try:
            keep_level = ShareLevel(int(keep_level))
        except (TypeError, ValueError):
            raise DomainError(f"{keep_level!r} is not a share level.", field="keep_level")
    else:
        keep_level = None
    keep_handling_code = check_choice(
        keep_handling_code, HandlingCode, field="keep_handling_code", label="handling code"
    )
    if keep_handling_code == HandlingCode.H3:
        raise DomainError(
            "A share kept after a hand-over is H0, H1 or H2; the new lead office can share "
            "under H3 with stated conditions.",
            field="keep_handling_code",
        )
    pending = HandOver.objects.filter(case=locked, status=HandOverStatus.PENDING).first()
    if pending is not None:
        raise DomainError(
            f"{locked.reference} is already offered to {pending.to_office.code}; withdraw that "
            "hand-over first.",
            field="to_office",
        )
    handover = HandOver.objects.create(
        case=locked,
        from_office=lead,
        to_office=to_office,
        note=(note or "").strip(),
        keep_level=keep_level,
        keep_handling_code=keep_handling_code,
        requested_by=acting_user,
    )
    record(
        locked,
        TimelineKind.HANDOVER,
        acting_user,
        f"Hand-over to {to_office.code} requested",
        {"handover": handover.pk, "to_office": to_office.code, "keep_level": keep_level},
    )
    publish(
        kind=EventKind.HANDOVER_REQUESTED,
        subject=handover,
        actor=acting_user,
        offices=[to_office],
        payload=_handover_payload(handover, locked),
    )
    return handover


def _may_decide(user, handover: HandOver) -> bool:
    return scope_of(user).is_hq or can_work_office(user, handover.to_office_id)


def _tell_both_sides_and_hq(handover: HandOver, case: Case, kind: str, actor) -> None:
    hq = LinkOffice.objects.filter(code=HQ_CODE).first()
    offices = [handover.from_office, handover.to_office, *([hq] if hq else [])]
    publish(
        kind=kind,
        subject=handover,
        actor=actor,
        offices=offices,
        payload=_handover_payload(handover, case),
    )


@transaction.atomic
def handover_accept(*, acting_user, handover: HandOver) -> HandOver:
    """The receiving office (or HQ) takes the lead: the grants follow at once, the sending
    office keeps the share it chose, the assigned officer is unassigned; both offices and HQ
    are told."""
    locked = _lock_handover(acting_user, handover)
    if not _may_decide(acting_user, locked):
        raise PermissionDenied(f"Only {locked.to_office.code} or HQ can accept this hand-over.")
    _check_pending(locked)
    case = Case.objects.select_related("lead_office").get(pk=locked.case_id)
    if case.lead_office_id != locked.from_office_id:  # defensive: moves withdraw the pending
        raise DomainError(f"{case.reference} is no longer led by {locked.from_office.code}.")
    locked.status = HandOverStatus.ACCEPTED
    locked.decided_by, locked.decided_at = acting_user, timezone.now()
    locked.save(update_fields=["status", "decided_by", "decided_at"])
    move_lead_office(
        case,
        locked.to_office,
        acting_user,
        keep_level=locked.keep_level,
        keep_handling_code=locked.keep_handling_code,
        why=" (hand-over accepted)",
    )
    _tell_both_sides_and_hq(locked, case, EventKind.HANDOVER_ACCEPTED, acting_user)
    return locked


@transaction.atomic
def handover_decline(*, acting_user, handover: HandOver, reason: str) -> HandOver:
    """The receiving office (or HQ) declines, saying why; nothing changes on the case."""
    locked = _lock_handover(acting_user, handover)
    if not _may_decide(acting_user, locked):
        raise PermissionDenied(f"Only {locked.to_office.code} or HQ can decline this hand-over.")
    _check_pending(locked)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the hand-over is declined.", field="reason")
    locked.status = HandOverStatus.DECLINED
    locked.decline_reason = reason
    locked.decided_by, locked.decided_at = acting_user, timezone.now()
    locked.save(update_fields=["status", "decline_reason", "decided_by", "decided_at"])
    record(
        locked.case,
        TimelineKind.HANDOVER,
        acting_user,
        f"Hand-over to {locked.to_office.code} declined: {reason}",
        {"handover": locked.pk, "status": locked.status},
    )
    _tell_both_sides_and_hq(locked, locked.case, EventKind.HANDOVER_DECLINED, acting_user)
    return locked


@transaction.atomic
def handover_withdraw(*, acting_user, handover: HandOver) -> HandOver:
    """The sending office (or HQ) takes the offer back while it is pending."""
    locked = _lock_handover(acting_user, handover)
    if not (scope_of(acting_user).is_hq or can_work_office(acting_user, locked.from_office_id)):
        raise PermissionDenied(f"Only {locked.from_office.code} or HQ can withdraw this hand-over.")
    _check_pending(locked)
    locked.status = HandOverStatus.WITHDRAWN
    locked.decided_by, locked.decided_at = acting_user, timezone.now()
    locked.save(update_fields=["status", "decided_by", "decided_at"])
    record(
        locked.case,
        TimelineKind.HANDOVER,
        acting_user,
        f"Hand-over to {locked.to_office.code} withdrawn",
        {"handover": locked.pk, "status": locked.status},
    )
    publish(
        kind=EventKind.HANDOVER_WITHDRAWN,
        subject=locked,
        actor=acting_user,
        offices=[locked.to_office],
        check_visibility=False,
        payload=_handover_payload(locked, locked.case),
    )
    return locked
