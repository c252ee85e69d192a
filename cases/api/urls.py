"""Routes of the cases API, under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from cases.api.views import CaseMessageViewSet, CaseViewSet, CooperationRequestViewSet

router = SimpleRouter()
router.register("cases", CaseViewSet, basename="api-case")
router.register("cooperation-requests", CooperationRequestViewSet, basename="api-request")

urlpatterns = [
    path(
        "cases/<str:reference>/messages/",
        CaseMessageViewSet.as_view({"get": "list", "post": "create"}),
        name="api-case-messages",
    ),
    *router.urls,
]
