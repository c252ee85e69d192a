"""Pages of the cases app: the case list, the case page and its forms, cooperation requests.

Reads go through `visible_to(user)` (once per view, `glo_act.pages.VisibleMixin`) and
`case_or_404` (404 for a case the user may not see); writes go through `cases.services`. What a
share recipient sees of a case follows their access (`cases.access`, `access.PageAccess`).
"""

from __future__ import annotations

from cases.views.access import PageAccess, case_access, case_or_404, shares_for_page
from cases.views.case_file import CaseFileView
from cases.views.case_page import CaseDetailView, CaseFormBase, MessagePostView, case_page_context
from cases.views.casework import (
    CaseAssignView,
    CaseReassignView,
    DueView,
    FlagAddView,
    FlagClearView,
    HandOverDecideView,
    HandOverListView,
    HandOverRequestView,
)
from cases.views.exports import CaseExportView, RequestExportView
from cases.views.lists import DUE_SOON, CaseListView, RequestListView
from cases.views.record import (
    CaseCreateView,
    CaseEditView,
    CaseStatusView,
    JusticeEventAddView,
    JusticeEventWithdrawView,
    PartRemoveView,
    RouteLegAddView,
    SuspectAddView,
)
from cases.views.requests import RequestCreateView, RequestDetailView, request_senders
from cases.views.sharing import CaseShareView, ShareRevokeView, share_recipients

__all__ = [
    "DUE_SOON",
    "JusticeEventAddView",
    "JusticeEventWithdrawView",
    "PageAccess",
    "CaseAssignView",
    "CaseReassignView",
    "DueView",
    "FlagAddView",
    "FlagClearView",
    "HandOverDecideView",
    "HandOverListView",
    "HandOverRequestView",
    "CaseCreateView",
    "CaseDetailView",
    "CaseEditView",
    "CaseExportView",
    "CaseFileView",
    "RequestExportView",
    "CaseFormBase",
    "CaseListView",
    "CaseShareView",
    "CaseStatusView",
    "MessagePostView",
    "PartRemoveView",
    "RequestCreateView",
    "RequestDetailView",
    "RequestListView",
    "RouteLegAddView",
    "ShareRevokeView",
    "SuspectAddView",
    "case_access",
    "case_or_404",
    "case_page_context",
    "request_senders",
    "share_recipients",
    "shares_for_page",
]
