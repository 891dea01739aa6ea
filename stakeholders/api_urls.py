from django.urls import path
from rest_framework.routers import SimpleRouter

from stakeholders import apis

router = SimpleRouter()
router.register("stakeholders", apis.StakeholderViewSet, basename="stakeholder")
router.register("teams", apis.TeamViewSet, basename="team")
router.register("ownerships", apis.OwnershipViewSet, basename="ownership")
router.register("engagements", apis.EngagementViewSet, basename="engagement")
router.register("engagement-savings", apis.SavingViewSet, basename="engagement-saving")

urlpatterns = [
    path("readiness/", apis.ReadinessApi.as_view(), name="readiness-api"),
    *router.urls,
]
