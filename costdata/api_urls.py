from rest_framework.routers import SimpleRouter

from costdata import apis

router = SimpleRouter()
router.register("sources", apis.CostSourceViewSet, basename="source")

urlpatterns = router.urls
