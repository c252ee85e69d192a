"""Routes of the files API, under /api/v1/."""

from rest_framework.routers import SimpleRouter

from evidence.api.views import FileViewSet

router = SimpleRouter()
router.register("files", FileViewSet, basename="api-file")

urlpatterns = router.urls
