"""Cooperation requests between offices and partners, and graded messages on cases."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from cases.constants import (
    REQUEST_TRANSITIONS,
    URGENCY_DUE,
    InformationAccuracy,
    RequestKind,
    RequestStatus,
    ShareLevel,
    SourceReliability,
    TimelineKind,
    Urgency,
    grade_code,
)
from cases.models import Case, CaseShare, CooperationRequest, Message
from cases.sentences import request_parties
from cases.services._common import (
    acting_organisation,
    case_audience,
    check_choice,
    lock_case_for_view,
    office_sees_case,
    partner_sees_case,
    record,
)
from glo_act.errors import DomainError, InvalidTransition, PermissionDenied
from liaison_offices.access import can_work_office, scope_of
from liaison_offices.constants import HQ_CODE, EventKind
from liaison_offices.models import LinkOffice, PartnerOrganisation
from liaison_offices.notifications import publish

__all__ = ["message_post", "request_answer", "request_close", "request_create"]


def _name(organisation: LinkOffice | PartnerOrganisation | None) -> str:
    if organisation is None:
        return "HQ"
    return organisation.code if isinstance(organisation, LinkOffice) else str(organisation)


def _request_payload(request: CooperationRequest, case: Case) -> dict:
    return {
        "reference": case.reference,
        "request_kind": request.kind,
        "urgency": request.urgency,
        "status": request.status,
        "due_at": request.due_at.isoformat(),
        **request_parties(request),
    }


def _check_grade(reliability, accuracy) -> tuple[str, int]:
    """A Europol 4x4 grade, checked: (A, B, C or X; 1 to 4)."""
    reliability = check_choice(
        reliability, SourceReliability, field="reliability", label="source reliability grade"
    )
    try:
        accuracy = InformationAccuracy(int(accuracy))
    except (TypeError, ValueError):
        raise DomainError(
            f"{accuracy!r} is not an information accuracy grade; use 1 to 4.", field="accuracy"
        )
    return reliability, int(accuracy)


def _acts_for_recipient(user, request: CooperationRequest) -> bool:
    if request.to_office_id is not None:
        return can_work_office(user, request.to_office_id)
    return request.to_partner_id in scope_of(user).partner_ids


def _request_party(
    user, request: CooperationRequest
) -> tuple[LinkOffice | None, PartnerOrganisation | None]:
    """The side of the request the user acts for: the sender, else the recipient."""
    if can_work_office(user, request.from_office_id):
        return request.from_office, None
    if _acts_for_recipient(user, request):
        return request.to_office, request.to_partner
    raise PermissionDenied("Only the two parties to a request write in its thread.")


def _lock_request(user, request: CooperationRequest) -> CooperationRequest:
    """Lock the request row if the user may see it; else 404."""
    locked = (
        CooperationRequest.objects.visible_to(user)
        .select_for_update(of=("self",))
        .select_related("case", "from_office", "to_office", "to_partner")
        .filter(pk=request.pk)
        .first()
    )
    if locked is None:
        raise Http404("No such request.")
    return locked


def _may_ask(from_office: LinkOffice, case: Case, to_office, to_partner) -> bool:
    """The lead office and HQ may ask whoever sees the case; an office holding it through a
    share asks the lead office, or those it passed the case on to (shares it knows of).
    """
    if from_office.code == HQ_CODE or from_office.pk == case.lead_office_id:
        return True
    if to_office is not None and to_office.pk == case.lead_office_id:
        return True
    return (
        CaseShare.objects.live()
        .filter(case=case, passed_on_from__office=from_office, office=to_office, partner=to_partner)
        .exists()
    )


@transaction.atomic
def request_create(
    *,
    acting_user,
    case: Case,
    from_office: LinkOffice,
    kind: str,
    urgency: str,
    question: str,
    to_office: LinkOffice | None = None,
    to_partner: PartnerOrganisation | None = None,
    due_at: dt.datetime | None = None,
) -> CooperationRequest:
    """Ask another office or a partner for help on a case, by `due_at` (in the future); left
    out, the due time follows the urgency (`URGENCY_DUE`)."""
    if (to_office is None) == (to_partner is None):
        raise DomainError("Address the request to exactly one office or one partner organisation.")
    kind = check_choice(kind, RequestKind, field="kind", label="request kind")
    urgency = check_choice(urgency, Urgency, field="urgency", label="urgency")
    question = (question or "").strip()
    if not question:
        raise DomainError("Say what you are asking for.", field="question")
    if due_at is not None and due_at <= timezone.now():
        raise DomainError("The due time must be in the future.", field="due_at")
    if not can_work_office(acting_user, from_office.pk):
        raise PermissionDenied(f"You do not act for {from_office}.", field="from_office")
    locked = lock_case_for_view(acting_user, case)
    if not office_sees_case(from_office, locked):
        raise PermissionDenied(
            f"{from_office.code} does not hold {locked.reference}.", field="from_office"
        )
    if to_office is not None and to_office.pk == from_office.pk:
        raise DomainError("An office does not send a request to itself.", field="to_office")
    if not _may_ask(from_office, locked, to_office, to_partner):
        # Who else holds the case is the lead office's to know: the same refusal whether or
        # not the target holds it, so a recipient cannot probe the case's other recipients.
        raise DomainError(
            f"{from_office.code} holds {locked.reference} through a share: send requests to "
            f"{locked.lead_office.code}, or to an office you passed the case on to.",
            field="to_office" if to_office is not None else "to_partner",
        )
    recipient = to_office or to_partner
    sees = (
        office_sees_case(to_office, locked)
        if to_office is not None
        else partner_sees_case(to_partner, locked)
    )
    if not sees:
        raise DomainError(
            f"{_name(recipient)} cannot see {locked.reference}. Share the case with them first, "
            "then send the request.",
            field="to_office" if to_office is not None else "to_partner",
            code="share_first",
        )
    now = timezone.now()
    request = CooperationRequest.objects.create(
        case=locked,
        from_office=from_office,
        to_office=to_office,
        to_partner=to_partner,
        kind=kind,
        urgency=urgency,
        question=question,
        due_at=due_at or now + URGENCY_DUE[urgency],
        created_by=acting_user,
        created_at=now,
    )
    record(
        locked,
        TimelineKind.REQUEST_SENT,
        acting_user,
        f"{request.get_kind_display()} request from {from_office.code} to {_name(recipient)}, "
        f"due {request.due_at:%d %b %Y %H:%M} UTC",
        {
            "request": request.pk,
            "kind": kind,
            "urgency": urgency,
            "from": from_office.code,
            "to": _name(recipient),
            "due_at": request.due_at.isoformat(),
        },
    )
    publish(
        kind=EventKind.REQUEST_RECEIVED,
        subject=request,
        subject_label=locked.reference,
        actor=acting_user,
        offices=[to_office] if to_office else [],
        partners=[to_partner] if to_partner else [],
        payload=_request_payload(request, locked),
    )
    return request


@transaction.atomic
def request_answer(
    *,
    acting_user,
    request: CooperationRequest,
    answer: str,
    late_reason: str = "",
    reliability: str = SourceReliability.X,
    accuracy: int = InformationAccuracy.NOT_CORROBORATED,
) -> CooperationRequest:
    """The recipient answers an open request, graded as a message is (Europol's 4x4); an
    answer after the due time needs a reason."""
    reliability, accuracy = _check_grade(reliability, accuracy)
    locked = _lock_request(acting_user, request)
    if not _acts_for_recipient(acting_user, locked):
        raise PermissionDenied(f"Only {_name(locked.recipient)} can answer this request.")
    if locked.status != RequestStatus.OPEN:
        raise InvalidTransition(
            f"This request is {locked.get_status_display().lower()}; only an open request can be "
            "answered.",
            field="status",
        )
    answer = (answer or "").strip()
    if not answer:
        raise DomainError("The answer is empty.", field="answer")
    now = timezone.now()
    late_reason = (late_reason or "").strip()
    late = now > locked.due_at
    if late and not late_reason:
        raise DomainError(
            f"This request was due on {locked.due_at:%d %b %Y at %H:%M} UTC; say why the answer "
            "is late.",
            field="late_reason",
        )
    locked.status = RequestStatus.ANSWERED
    locked.answer = answer
    locked.late_reason = late_reason if late else ""
    locked.answered_at = now
    locked.answered_by = acting_user
    locked.answer_reliability = reliability
    locked.answer_accuracy = accuracy
    locked.save(
        update_fields=[
            "status",
            "answer",
            "late_reason",
            "answered_at",
            "answered_by",
            "answer_reliability",
            "answer_accuracy",
        ]
    )
    case = locked.case
    grading = grade_code(reliability, accuracy)
    record(
        case,
        TimelineKind.REQUEST_ANSWERED,
        acting_user,
        f"{locked.get_kind_display()} request answered by {_name(locked.recipient)} ({grading})"
        + (" (late)" if late else ""),
        {"request": locked.pk, "late": late, "reliability": reliability, "accuracy": accuracy},
    )
    publish(
        kind=EventKind.REQUEST_ANSWERED,
        subject=locked,
        subject_label=case.reference,
        actor=acting_user,
        offices=[locked.from_office],
        payload=_request_payload(locked, case),
    )
    return locked


@transaction.atomic
def request_close(
    *, acting_user, request: CooperationRequest, reason: str = ""
) -> CooperationRequest:
    """The requesting office closes a request: answered, or withdrawn while still open."""
    locked = _lock_request(acting_user, request)
    if not can_work_office(acting_user, locked.from_office_id):
        raise PermissionDenied(f"Only {locked.from_office.code}, which sent it, can close it.")
    if RequestStatus.CLOSED not in REQUEST_TRANSITIONS[locked.status]:
        raise InvalidTransition("This request is already closed.", field="status")
    withdrawn = locked.status == RequestStatus.OPEN
    reason = (reason or "").strip()
    locked.status = RequestStatus.CLOSED
    locked.closed_at = timezone.now()
    locked.save(update_fields=["status", "closed_at"])
    summary = f"{locked.get_kind_display()} request to {_name(locked.recipient)} closed"
    if withdrawn:
        summary += " unanswered"
    if reason:
        summary += f": {reason}"
    record(
        locked.case,
        TimelineKind.REQUEST_CLOSED,
        acting_user,
        summary,
        {"request": locked.pk, "withdrawn": withdrawn, "reason": reason},
    )
    return locked


@transaction.atomic
def message_post(
    *,
    acting_user,
    case: Case,
    body: str,
    reliability: str,
    accuracy: int,
    request: CooperationRequest | None = None,
) -> Message:
    """Post a graded message on a case (seen at FULL level or more) or on one of its requests."""
    body = (body or "").strip()
    if not body:
        raise DomainError("The message is empty.", field="body")
    reliability, accuracy = _check_grade(reliability, accuracy)
    if request is not None:
        # A request's thread belongs to its two parties, even if a share has ended since.
        request = _lock_request(acting_user, request)
        if request.case_id != case.pk:
            raise Http404("No such request.")
        case = request.case
        office, partner = _request_party(acting_user, request)
    else:
        case_id = case.pk
        case = (
            Case.objects.visible_to(acting_user, ShareLevel.FULL)
            .with_access(acting_user)
            .select_related("lead_office")
            .filter(pk=case_id)
            .first()
        )
        if case is None:  # a second query on this path only: hidden, or seen as a summary?
            if Case.objects.visible_to(acting_user).filter(pk=case_id).exists():
                raise PermissionDenied(
                    "A summary share does not include the case's messages; "
                    "ask the lead office for a full share."
                )
            raise Http404("No such case.")
        office, partner = acting_organisation(acting_user, case)
    message = Message.objects.create(
        case=case,
        request=request,
        author=acting_user,
        author_office=office,
        author_partner=partner,
        body=body,
        reliability=reliability,
        accuracy=accuracy,
    )
    grading = f"{reliability}{int(accuracy)}"
    payload = {"reference": case.reference, "case_kind": case.kind, "grading": grading}
    if office is not None:
        payload["by"] = office.code
    elif partner is not None:
        payload["by_partner"] = partner.pk
    if request is None:
        record(
            case,
            TimelineKind.MESSAGE,
            acting_user,
            f"Message from {_name(office or partner)} ({grading})",
            {"message": message.pk, "reliability": reliability, "accuracy": int(accuracy)},
        )
        offices, partners = case_audience(
            case, exclude_office=office, exclude_partner=partner, min_level=ShareLevel.FULL
        )
        # The message is the subject: at delivery, Message.objects.visible_to asks again
        # whether each recipient still reads the case at FULL level (a share may have been
        # lowered to summary since).
        subject = message
    else:
        # A request's thread is seen by its two parties only (MessageQuerySet.visible_to).
        offices = [o for o in (request.from_office, request.to_office) if o and o != office]
        partners = [p for p in (request.to_partner,) if p and p != partner]
        payload["request_kind"] = request.kind
        subject = request
    publish(
        kind=EventKind.CASE_MESSAGE,
        subject=subject,
        subject_label=case.reference,
        actor=acting_user,
        offices=offices,
        partners=partners,
        payload=payload,
    )
    return message
