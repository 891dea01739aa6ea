from rest_framework.routers import SimpleRouter

from costdata import apis

router = SimpleRouter()
router.register("sources", apis.CostSourceViewSet, basename="api-source")
router.register("runs", apis.IngestionRunViewSet, basename="api-run")
router.register("costs", apis.CostViewSet, basename="api-cost")

urlpatterns = router.urls
