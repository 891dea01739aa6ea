from rest_framework.routers import SimpleRouter

from costdata import apis

router = SimpleRouter()
router.register("sources", apis.CostSourceViewSet, basename="source")
router.register("runs", apis.IngestionRunViewSet, basename="run")
router.register("costs", apis.CostViewSet, basename="cost")

urlpatterns = router.urls
