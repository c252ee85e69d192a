"""Reminders for cooperation requests near or past their due time.

Produced here, published once each by `liaison_offices.reminders.send_due_reminders` (beat,
every 15 minutes), which de-duplicates on each reminder's `key`:

- *due soon*: once per deadline, when an open request enters its window (urgent: 2 hours before,
  normal: 1 day, low: 2 days) — to the recipient;
- *overdue*: once per day while the request stays open past its due time — to the recipient and
  the requesting office.

A new deadline would remind again, because the due time is part of the key.

A case flag with a date is reminded once, `FLAG_WINDOW` before it (or at once if set closer),
to the lead office and the assigned officer (docs/casework.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import Q

from cases.constants import RequestStatus, Urgency
from cases.models import CaseFlag, CooperationRequest
from cases.sentences import request_parties
from liaison_offices.constants import EventKind
from liaison_offices.reminders import Reminder

__all__ = ["DUE_SOON_WINDOW", "FLAG_WINDOW", "due_reminders"]

# A case flag is reminded once, when its date comes this close (or when it is set closer).
FLAG_WINDOW = dt.timedelta(days=2)

DUE_SOON_WINDOW = {
    Urgency.URGENT: dt.timedelta(hours=2),
    Urgency.NORMAL: dt.timedelta(days=1),
    Urgency.LOW: dt.timedelta(days=2),
}


def _payload(request: CooperationRequest) -> dict:
    return {
        "reference": request.case.reference,
        "request_kind": request.kind,
        "urgency": request.urgency,
        "status": request.status,
        "due_at": request.due_at.isoformat(),
        **request_parties(request),
    }


def _recipient(request: CooperationRequest) -> dict:
    return {
        "offices": [request.to_office_id] if request.to_office_id else [],
        "partners": [request.to_partner_id] if request.to_partner_id else [],
    }


def due_reminders(now: dt.datetime) -> Iterator[Reminder]:
    """Reminders for open requests due within their window or already overdue, and for case
    flags whose date is near (three queries)."""
    open_requests = CooperationRequest.objects.filter(status=RequestStatus.OPEN).select_related(
        "case", "from_office", "to_office"
    )
    soon = Q()
    for urgency, window in DUE_SOON_WINDOW.items():
        soon |= Q(urgency=urgency, due_at__lte=now + window)
    for request in open_requests.filter(soon, due_at__gt=now).order_by("due_at", "id"):
        yield Reminder(
            kind=EventKind.REQUEST_DUE_SOON,
            subject=request,
            key=f"request_due_soon:{request.pk}:{request.due_at:%Y%m%d%H%M}",
            subject_label=request.case.reference,
            payload=_payload(request),
            **_recipient(request),
        )
    for request in open_requests.overdue(now).order_by("due_at", "id"):
        recipients = _recipient(request)
        recipients["offices"] = sorted({*recipients["offices"], request.from_office_id})
        yield Reminder(
            kind=EventKind.REQUEST_OVERDUE,
            subject=request,
            key=f"request_overdue:{request.pk}:{request.due_at:%Y%m%d%H%M}:{now:%Y%m%d}",
            subject_label=request.case.reference,
            payload=_payload(request),
            **recipients,
        )

    today = now.date()
    flags = (
        CaseFlag.objects.filter(
            cleared_at__isnull=True,
            due_on__lte=today + FLAG_WINDOW,
            due_on__gte=today - FLAG_WINDOW,  # a sweep missed for days still reminds, once
        )
        .exclude(case__status="closed")
        .select_related("case")
        .order_by("due_on", "id")
    )
    for flag in flags:
        case = flag.case
        yield Reminder(
            kind=EventKind.CASE_FLAG_DUE,
            subject=case,
            key=f"case_flag_due:{flag.pk}:{flag.due_on:%Y%m%d}",
            offices=[case.lead_office_id],
            users=[case.assigned_to_id] if case.assigned_to_id else [],
            payload={"reference": case.reference, "due_on": flag.due_on.isoformat()},
        )
