"""The cost data app's model registry: Django loads `costdata.models`, so every model of the app is
imported here from the sub-package that owns it (ingestion, facts, planning, commitments, variances).

Define no model here; add one to its capability's `models.py` and import it below. Code inside costdata
imports a model from its sub-package; `from costdata.models import X` elsewhere keeps working.
"""

from costdata.commitments.models import CommitmentMetric
from costdata.facts.models import (
    CostRollup,
    DailyAccountCost,
    DailyCost,
    DailyServiceCost,
    DailyTagCost,
    MonthlyCost,
)
from costdata.ingestion.models import CloudAccount, CostSource, IngestionRun, role_arn_validator
from costdata.planning.models import Budget, BudgetLine, BudgetVersion, CostForecast, ScopeType
from costdata.variances.models import (
    DetectionMonth,
    Explanation,
    Holiday,
    Variance,
    VarianceThreshold,
    VarianceTransition,
)

__all__ = [
    "Budget",
    "BudgetLine",
    "BudgetVersion",
    "CloudAccount",
    "CommitmentMetric",
    "CostForecast",
    "CostRollup",
    "CostSource",
    "DailyAccountCost",
    "DailyCost",
    "DailyServiceCost",
    "DailyTagCost",
    "DetectionMonth",
    "Explanation",
    "Holiday",
    "IngestionRun",
    "MonthlyCost",
    "ScopeType",
    "Variance",
    "VarianceThreshold",
    "VarianceTransition",
    "role_arn_validator",
]
