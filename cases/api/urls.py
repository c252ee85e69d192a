"""Routes of the cases API, under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from cases.api.casework import CaseAssignView, CaseReassignView, HandOverViewSet
from cases.api.exports import CaseExportView
from cases.api.justice import JusticeEventCreateView, JusticeEventWithdrawView
from cases.api.views import (
    CaseMessageViewSet,
    CaseViewSet,
    CooperationRequestViewSet,
    LegalProvisionViewSet,
)

router = SimpleRouter()
router.register("hand-overs", HandOverViewSet, basename="api-handover")
router.register("cases", CaseViewSet, basename="api-case")
router.register("legal-provisions", LegalProvisionViewSet, basename="api-legal-provision")
router.register("cooperation-requests", CooperationRequestViewSet, basename="api-request")

urlpatterns = [
    path("cases/reassign/", CaseReassignView.as_view(), name="api-case-reassign"),
    path("cases/export/", CaseExportView.as_view(), name="api-case-export"),
    path("cases/<str:reference>/assign/", CaseAssignView.as_view(), name="api-case-assign"),
    path(
        "cases/<str:reference>/suspects/<int:suspect>/justice/",
        JusticeEventCreateView.as_view(),
        name="api-justice-create",
    ),
    path(
        "cases/<str:reference>/justice/<int:pk>/withdraw/",
        JusticeEventWithdrawView.as_view(),
        name="api-justice-withdraw",
    ),
    path(
        "cases/<str:reference>/messages/",
        CaseMessageViewSet.as_view({"get": "list", "post": "create"}),
        name="api-case-messages",
    ),
    *router.urls,
]
