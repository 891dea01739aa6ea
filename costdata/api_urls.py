from rest_framework.routers import SimpleRouter

from costdata.facts import apis as cost_apis
from costdata.ingestion import apis
from costdata.planning import apis as planning_apis
from costdata.variances import apis as variance_apis

router = SimpleRouter()
router.register("sources", apis.CostSourceViewSet, basename="api-source")
router.register("runs", apis.IngestionRunViewSet, basename="api-run")
router.register("costs", cost_apis.CostViewSet, basename="api-cost")
router.register("budgets", planning_apis.BudgetViewSet, basename="api-budget")
router.register("budget-versions", planning_apis.BudgetVersionViewSet, basename="api-budget-version")
router.register("budget-lines", planning_apis.BudgetLineViewSet, basename="api-budget-line")
router.register("forecasts", planning_apis.ForecastViewSet, basename="api-forecast")
router.register("variances", variance_apis.VarianceViewSet, basename="api-variance")
router.register("explanations", variance_apis.ExplanationViewSet, basename="api-explanation")

urlpatterns = router.urls
