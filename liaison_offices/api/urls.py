"""Routes of the liaison_offices API, under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from liaison_offices.api.views import MeView, NotificationViewSet

router = SimpleRouter()
router.register("notifications", NotificationViewSet, basename="api-notification")

urlpatterns = [
    path("me/", MeView.as_view(), name="api-me"),
    *router.urls,
]
