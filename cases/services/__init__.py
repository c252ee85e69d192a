"""Every write on cases: one function per use case (docs/architecture.md).

All take keyword-only arguments with `acting_user` first, run in one transaction, re-check the
user's access on the locked row inside it, write the timeline entry and publish the outbox event
(`liaison_offices.notifications.publish`) in that same transaction. Refusals are
`glo_act.errors.DomainError` subclasses (pages and API render them alike); a case the user may
not see at all is `Http404`, never a 403 that would confirm it exists.

Route legs and suspects: `route_leg_add` / `route_leg_remove` / `suspect_add` /
`suspect_remove` for one row (the API), and `case_set_route` / `case_set_suspects` to replace
the whole list at once (a page's formset, the admin inlines). Each bumps the case version.

Justice per suspect — arrest, charge, court, verdict, sentence, hand-over — is
`cases.services.justice` (docs/investigation.md#justice-per-suspect).

Who works a case — assignment, bulk reassignment, hand-over of the lead office — is
`cases.services.casework` (docs/casework.md).
"""

from __future__ import annotations

from cases.services.casework import (
    case_assign,
    cases_reassign,
    flag_add,
    flag_clear,
    handover_accept,
    handover_decline,
    handover_request,
    handover_withdraw,
    is_supervisor,
    officers_of,
)
from cases.services.cooperation import (
    message_post,
    request_answer,
    request_close,
    request_create,
)
from cases.services.justice import justice_event_add, justice_event_withdraw
from cases.services.records import (
    EDITABLE_FIELDS,
    case_create,
    case_set_legal_provisions,
    case_set_route,
    case_set_suspects,
    case_transition,
    case_update,
    check_version,
    route_leg_add,
    route_leg_remove,
    suspect_add,
    suspect_remove,
)
from cases.services.sharing import case_change_lead_office, case_share, share_revoke

__all__ = [
    "EDITABLE_FIELDS",
    "case_assign",
    "cases_reassign",
    "flag_add",
    "flag_clear",
    "handover_accept",
    "handover_decline",
    "handover_request",
    "handover_withdraw",
    "is_supervisor",
    "justice_event_add",
    "justice_event_withdraw",
    "officers_of",
    "case_change_lead_office",
    "case_create",
    "case_set_legal_provisions",
    "case_set_route",
    "case_set_suspects",
    "case_share",
    "case_transition",
    "case_update",
    "check_version",
    "message_post",
    "request_answer",
    "request_close",
    "request_create",
    "route_leg_add",
    "route_leg_remove",
    "share_revoke",
    "suspect_add",
    "suspect_remove",
]
