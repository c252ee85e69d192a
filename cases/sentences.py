"""The words of the notifications the cases app publishes (liaison_offices/sentences.py).

Each function turns an event's payload (codes, references, ISO dates) into the words its
template, `templates/notifications/<kind>.txt`, puts in a sentence: labels for codes, offices
by their country, times in the reader's zone. A key an older payload lacks gives an empty
word, and the template says less.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cases.constants import (
    CaseOutcome,
    CaseStatus,
    HandlingCode,
    InformationAccuracy,
    RequestKind,
    ShareLevel,
    SourceReliability,
    Urgency,
)
from liaison_offices.constants import EventKind
from liaison_offices.sentences import label_of, local_date, local_time

__all__ = ["HANDLING_MEANING", "REQUEST_NAMES", "WORDS", "request_name", "request_parties"]

# What each handling code asks of the reader, in the words a sentence uses after "under H2:".
HANDLING_MEANING = {
    HandlingCode.H0: _("use it for crime prevention and investigation only"),
    HandlingCode.H1: _("not for court without the originator's consent"),
    HandlingCode.H2: _("do not pass it on"),
    HandlingCode.H3: _("other restrictions apply, stated on the share"),
}


# A request named as people name it in a sentence: "your travel-history request".
REQUEST_NAMES = {
    RequestKind.IDENTITY_CHECK: _("identity-check request"),
    RequestKind.TRAVEL_HISTORY: _("travel-history request"),
    RequestKind.WITNESS_STATEMENT: _("witness-statement request"),
    RequestKind.EVIDENCE: _("request for evidence"),
    RequestKind.MUTUAL_LEGAL_ASSISTANCE: _("mutual legal assistance request"),
    RequestKind.OTHER: _("cooperation request"),
}


def request_name(kind) -> str:
    """ "travel-history request"; a kind not known is a "cooperation request"."""
    try:
        return str(REQUEST_NAMES[RequestKind(kind)])
    except ValueError:
        return str(REQUEST_NAMES[RequestKind.OTHER])


def _handling(payload: dict) -> dict:
    code = payload.get("handling_code") or ""
    try:
        meaning = HANDLING_MEANING[HandlingCode(code)]
    except ValueError:
        return {"handling_code": "", "handling_meaning": ""}
    return {"handling_code": code, "handling_meaning": str(meaning)}


def _level(payload: dict) -> str:
    return label_of(ShareLevel, payload.get("level"))


def _case(payload: dict, names) -> dict:
    # Without a reference (an older payload) the title names the event's subject label.
    return {"about": payload["reference"]} if payload.get("reference") else {}


def case_shared(payload: dict, names) -> dict:
    return {
        **_case(payload, names),
        "by": names.office(payload.get("by") or ""),
        "level": _level(payload),
        "expires": local_time(payload.get("expires_at")),
        **_handling(payload),
    }


def share_revoked(payload: dict, names) -> dict:
    return {**_case(payload, names), "by": names.office(payload.get("by") or "")}


def case_status_changed(payload: dict, names) -> dict:
    return {
        **_case(payload, names),
        "from_status": label_of(CaseStatus, payload.get("from_status")),
        "to_status": label_of(CaseStatus, payload.get("to_status")),
        "closed": payload.get("to_status") == CaseStatus.CLOSED,
        "reopened": payload.get("from_status") == CaseStatus.CLOSED,
        "outcome": label_of(CaseOutcome, payload.get("outcome")),
    }


def _grading(code: str) -> dict:
    code = code or ""
    reliability = label_of(SourceReliability, code[:1], lower=False)
    try:
        accuracy = label_of(InformationAccuracy, int(code[1:]), lower=False)
    except ValueError:
        accuracy = ""
    if not (reliability and accuracy):
        return {"grading": "", "grading_words": ""}
    # Europol's 4x4 (docs/investigation.md#grading): "B — in most instances proved reliable"
    # and "2 — known personally to the source, …" make "in most instances proved reliable;
    # known personally to the source, …" (a semicolon: the accuracy words hold a comma).
    words = [part.split("—", 1)[-1].strip() for part in (reliability, accuracy)]
    return {"grading": code, "grading_words": "; ".join(words)}


def case_message(payload: dict, names) -> dict:
    by = payload.get("by")
    return {
        **_case(payload, names),
        "by": names.office(by) if by else names.partner(payload.get("by_partner")),
        "request": request_name(payload.get("request_kind")) if payload.get("request_kind") else "",
        **_grading(payload.get("grading") or ""),
    }


def _assignment(payload: dict, names) -> dict:
    count = payload.get("count")
    return {
        **_case(payload, names),
        "count": count if isinstance(count, int) and count > 1 else 0,
        "office": names.office(payload.get("office") or ""),
    }


def case_flag_due(payload: dict, names) -> dict:
    return {**_case(payload, names), "due_on": local_date(payload.get("due_on"))}


def _handover(payload: dict, names) -> dict:
    return {
        **_case(payload, names),
        "from_office": names.office(payload.get("from_office") or ""),
        "to_office": names.office(payload.get("to_office") or ""),
    }


def request_parties(request) -> dict:
    """The payload keys that name a request's two parties (codes and an id): who asks, who
    answers. Added to the request events' payloads for their sentences."""
    parties = {"from_office": request.from_office.code}
    if request.to_office_id is not None:
        parties["to_office"] = request.to_office.code
    elif request.to_partner_id is not None:
        parties["to_partner"] = request.to_partner_id
    return parties


def _request(payload: dict, names) -> dict:
    to_office = payload.get("to_office")
    return {
        **_case(payload, names),
        "request": request_name(payload.get("request_kind")),
        "urgent": payload.get("urgency") == Urgency.URGENT,
        "due": local_time(payload.get("due_at")),
        "from_office": names.office(payload.get("from_office") or ""),
        "answerer": names.country(to_office)
        if to_office
        else names.partner(payload.get("to_partner")),
    }


WORDS = {
    EventKind.CASE_SHARED: case_shared,
    EventKind.SHARE_REVOKED: share_revoked,
    EventKind.CASE_STATUS_CHANGED: case_status_changed,
    EventKind.CASE_MESSAGE: case_message,
    EventKind.CASE_ASSIGNED: _assignment,
    EventKind.CASE_UNASSIGNED: _assignment,
    EventKind.CASE_FLAG_DUE: case_flag_due,
    EventKind.HANDOVER_REQUESTED: _handover,
    EventKind.HANDOVER_ACCEPTED: _handover,
    EventKind.HANDOVER_DECLINED: _handover,
    EventKind.HANDOVER_WITHDRAWN: _handover,
    EventKind.REQUEST_RECEIVED: _request,
    EventKind.REQUEST_ANSWERED: _request,
    EventKind.REQUEST_DUE_SOON: _request,
    EventKind.REQUEST_OVERDUE: _request,
}
