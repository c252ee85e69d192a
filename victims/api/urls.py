"""Routes of the victims API, under /api/v1/."""

from rest_framework.routers import SimpleRouter

from victims.api.views import ReferralViewSet, VictimViewSet

router = SimpleRouter()
router.register("victims", VictimViewSet, basename="api-victim")
router.register("referrals", ReferralViewSet, basename="api-referral")

urlpatterns = router.urls
