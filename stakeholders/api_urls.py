from rest_framework.routers import SimpleRouter

from stakeholders import apis

router = SimpleRouter()
router.register("stakeholders", apis.StakeholderViewSet, basename="stakeholder")
router.register("teams", apis.TeamViewSet, basename="team")

urlpatterns = router.urls
