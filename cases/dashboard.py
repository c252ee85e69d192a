"""The home page's case panels: open cases by status, cooperation requests due and overdue."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.constants import OPEN_STATUSES, CaseStatus, RequestStatus
from cases.models import Case, CaseFlag, CooperationRequest, HandOver
from cases.views.lists import DUE_SOON
from glo_act import pages
from liaison_offices.access import scope_of
from liaison_offices.dashboard import Panel, Row, list_url


def _any_of(**lookups) -> Q:
    """OR of the `__in` lookups that have ids; matches nothing when none has any."""
    q = Q(pk__in=[])
    for lookup, ids in lookups.items():
        if ids:
            q |= Q(**{lookup: ids})
    return q


def panels(request) -> list[Panel]:
    """Two panels, one aggregate query each, and for those who work an office's cases a
    third, _("Your casework"), in one query of bounded counts."""
    found = [_cases_panel(request.user), _requests_panel(request.user)]
    casework = _casework_panel(request.user)
    if casework is not None:
        found.append(casework)
    return found


def _casework_panel(user) -> Panel | None:
    """My cases, the unassigned open cases of the offices the user works, hand-overs waiting
    for their answer and flags dated within a week (docs/casework.md): one query."""
    scope = scope_of(user)
    if not (scope.is_hq or scope.change_office_ids):
        return None
    today = timezone.localdate()
    open_cases = Case.objects.visible_to(user).exclude(status=CaseStatus.CLOSED)
    worked = Case.objects.restrict(user, "change").exclude(status=CaseStatus.CLOSED)
    handovers = HandOver.objects.visible_to(user).pending()
    if not scope.is_hq:
        handovers = handovers.filter(to_office_id__in=sorted(scope.change_office_ids))
    counts = pages.bounded_counts(
        {
            "mine": open_cases.filter(assigned_to_id=user.pk),
            "unassigned": worked.filter(assigned_to__isnull=True),
            "handovers": handovers,
            "flags": CaseFlag.objects.filter(
                cleared_at__isnull=True,
                due_on__lte=today + dt.timedelta(days=7),
                case__in=worked,
            ),
        }
    )
    limit = pages.COUNT_LIMIT
    return Panel(
        title=_("Your casework"),
        rows=[
            Row(
                _("My open cases"),
                counts["mine"],
                list_url("cases:list", assigned="mine"),
                limit=limit,
            ),
            Row(
                _("Unassigned open cases"),
                counts["unassigned"],
                list_url("cases:list", assigned="unassigned"),
                "warn",
                limit=limit,
            ),
            Row(
                _("Hand-overs waiting for your answer"),
                counts["handovers"],
                list_url("cases:handovers"),
                "warn",
                limit=limit,
            ),
            Row(
                _("Flags dated within a week"),
                counts["flags"],
                list_url("cases:due"),
                "warn",
                limit=limit,
            ),
        ],
        empty=_("Nothing assigned, flagged or waiting."),
        more_url=list_url("cases:list", assigned="mine"),
        more_label=_("My cases"),
        order=15,
    )


def _cases_panel(user) -> Panel:
    """Open cases per status, one query.

    Measured on the 100,000-case bench data: for an office user one GROUP BY over their visible
    cases is fastest (median user 34 ms, 40-office user 67 ms; per-status bounded counts cost
    140 ms for the median user, whose visibility filter then runs once per status). HQ sees
    every case, so there a count per status stopped at the limit costs 3 ms instead of 53 and
    says "1,000+" (docs/performance.md#counting).
    """
    scope = scope_of(user)
    desks = sorted(scope.view_office_ids)
    statuses = [status for status in CaseStatus.values if status in OPEN_STATUSES]
    visible = Case.objects.visible_to(user)
    limit = None
    shared = 0
    if scope.is_hq:
        limit = pages.COUNT_LIMIT
        counts = pages.bounded_counts(
            {status: visible.filter(status=status) for status in statuses}, limit=limit
        )
    else:
        rows = (
            visible.filter(status__in=statuses)
            .values("status")
            .annotate(
                total=Count("pk"),
                shared=Count("pk", filter=~Q(lead_office_id__in=desks)) if desks else Count("pk"),
            )
            .order_by()
        )
        counts = {status: 0 for status in statuses}
        for row in rows:
            counts[row["status"]] = row["total"]
            shared += row["shared"]
    rows = [
        Row(
            CaseStatus(status).label,
            counts[status],
            list_url("cases:list", status=status),
            limit=limit,
        )
        for status in statuses
    ]
    if shared and desks:
        # Only said to someone who also has cases of their own (for a partner, all are shared).
        rows.append(
            Row(
                _("of them shared with you"),
                shared,
                list_url("cases:list", shared=1, status="open"),
            )
        )
    if scope.is_hq:
        title = _("Open cases, all offices")
    elif desks:
        title = _("Open cases of your offices")
    else:
        title = _("Open cases shared with you")
    return Panel(
        title=title,
        rows=rows,
        empty=_("No open cases."),
        more_url=list_url("cases:list", status="open"),
        more_label=_("All open cases"),
        order=10,
    )


def _requests_panel(user) -> Panel:
    """Open requests to and from the user's desks (or partner), due soon and overdue."""
    scope = scope_of(user)
    now = timezone.now()
    incoming = _any_of(
        to_office_id__in=sorted(scope.view_office_ids),
        to_partner_id__in=sorted(scope.partner_ids),
    )
    outgoing = _any_of(from_office_id__in=sorted(scope.view_office_ids))
    overdue = Q(due_at__lt=now)
    due = Q(due_at__gte=now, due_at__lt=now + DUE_SOON)
    if scope.is_hq:
        # HQ sees every request; "to" and "from" HQ would say little: one line each, all offices.
        counts = (
            CooperationRequest.objects.visible_to(user)
            .filter(status=RequestStatus.OPEN)
            .aggregate(overdue=Count("pk", filter=overdue), due=Count("pk", filter=due))
        )
        rows = [
            Row(
                _("Overdue, all offices"),
                counts["overdue"],
                list_url("cases:requests", status="overdue"),
                "danger",
            ),
            Row(
                _("Due within 3 days"),
                counts["due"],
                list_url("cases:requests", status="due"),
                "warn",
            ),
        ]
    else:
        counts = (
            CooperationRequest.objects.visible_to(user)
            .filter(status=RequestStatus.OPEN)
            .aggregate(
                in_overdue=Count("pk", filter=incoming & overdue),
                in_due=Count("pk", filter=incoming & due),
                out_overdue=Count("pk", filter=outgoing & overdue),
                out_due=Count("pk", filter=outgoing & due),
            )
        )
        rows = [
            Row(
                _("To you, overdue"),
                counts["in_overdue"],
                list_url("cases:requests", box="in", status="overdue"),
                "danger",
            ),
            Row(
                _("To you, due within 3 days"),
                counts["in_due"],
                list_url("cases:requests", box="in", status="due"),
                "warn",
            ),
        ]
        if scope.view_office_ids:
            rows += [
                Row(
                    _("From you, overdue"),
                    counts["out_overdue"],
                    list_url("cases:requests", box="out", status="overdue"),
                    "danger",
                ),
                Row(
                    _("From you, due within 3 days"),
                    counts["out_due"],
                    list_url("cases:requests", box="out", status="due"),
                    "warn",
                ),
            ]
    return Panel(
        title=_("Cooperation requests"),
        rows=rows,
        empty=_("No request is due."),
        more_url=list_url("cases:requests", status="open"),
        more_label=_("All open requests"),
        order=20,
    )
