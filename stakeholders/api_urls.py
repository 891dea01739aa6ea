from django.urls import path
from rest_framework.routers import SimpleRouter

from stakeholders import apis

router = SimpleRouter()
router.register("stakeholders", apis.StakeholderViewSet, basename="api-stakeholder")
router.register("teams", apis.TeamViewSet, basename="api-team")
router.register("ownerships", apis.OwnershipViewSet, basename="api-ownership")
router.register("engagements", apis.EngagementViewSet, basename="api-engagement")
router.register("engagement-savings", apis.SavingViewSet, basename="api-engagement-saving")

urlpatterns = [
    path("readiness/", apis.ReadinessApi.as_view(), name="api-readiness"),
    *router.urls,
]
