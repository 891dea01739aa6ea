"""Reads for budgets and forecasts: the budget pages and the planning API go through these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from costdata.planning.forecasting import Projection, first_of_month
from costdata.planning.models import Budget, BudgetLine, BudgetVersion


def budget_list(*, visible_lines: Q | None = None) -> QuerySet[Budget]:
    """Budgets with their versions, each version's `line_count` counting only the lines the reader may
    see (`visible_lines`, costdata.permissions.budget_line_condition): a count says what exists."""
    lines = BudgetLine.objects.filter(version=OuterRef("pk"))
    if visible_lines is not None:
        lines = lines.filter(visible_lines)
    count = lines.order_by().values("version").annotate(n=Count("pk")).values("n")
    versions = BudgetVersion.objects.annotate(line_count=Coalesce(Subquery(count), 0)).order_by("number")
    return Budget.objects.select_related("active_version").prefetch_related(
        Prefetch("versions", queryset=versions)
    )


def budget_version_detail(*, pk: int) -> BudgetVersion:
    return BudgetVersion.objects.select_related("budget", "locked_by", "created_by").get(pk=pk)


def budget_version_effective(version: BudgetVersion) -> bool:
    """Is this the version variances are judged against?"""
    budget = version.budget
    if budget.active_version_id:
        return budget.active_version_id == version.pk
    return not budget.versions.filter(number__gt=version.number).exists()


@dataclass(frozen=True)
class ScopeLines:
    scope_type: str
    scope_value: str
    months: list[Decimal | None]
    total: Decimal


def budget_version_grid(
    version: BudgetVersion, months: list[date], *, lines: QuerySet[BudgetLine] | None = None
) -> list[ScopeLines]:
    """One row per scope, one column per fiscal month: the layout finance reads a budget in.
    `lines` narrows the grid to the lines the reader may see."""
    cells: dict[tuple[str, str], dict[date, Decimal]] = {}
    lines = BudgetLine.objects.all() if lines is None else lines
    for line in lines.filter(version=version).order_by("scope_type", "scope_value", "month"):
        cells.setdefault((line.scope_type, line.scope_value), {})[line.month] = line.amount
    rows = []
    for (scope_type, scope_value), by_month in cells.items():
        values = [by_month.get(m) for m in months]
        rows.append(
            ScopeLines(scope_type, scope_value, values, sum((v for v in values if v is not None), Decimal(0)))
        )
    return rows


@dataclass(frozen=True)
class ScopeForecast:
    scope_type: str
    scope_value: str
    month: date
    currency: str
    data_through: date
    projection: Projection
    budget: Decimal | None


def scope_forecast(*, scope_type: str, scope_value: str, month: date) -> ScopeForecast | None:
    """Month-end projection (Cost Explorer's forecast for the organisation where a source gives one,
    else the run rate of docs/variance-method.md) with its range, and the active budget if any."""
    from costdata.planning.services import fiscal_year_for
    from costdata.variances.rules import ScopeKey
    from costdata.variances.rules import ScopeType as RuleScope
    from costdata.variances.services.detection import _budget_lines, _currency, data_through, scope_projection

    through = data_through()
    if through is None:
        return None
    month = first_of_month(month)
    scope = ScopeKey(RuleScope(scope_type), scope_value)
    budget = Budget.objects.filter(fiscal_year=fiscal_year_for(month)).first()
    currency = budget.currency if budget else _currency()
    result = scope_projection(scope=scope, month=month, through=through, currency=currency)
    if result is None:
        return None
    return ScopeForecast(
        scope_type=scope_type,
        scope_value=scope_value,
        month=month,
        currency=currency,
        data_through=through,
        projection=result[0],
        budget=_budget_lines(budget, month).get(scope),
    )


@dataclass(frozen=True)
class ScopeComparison:
    scope_type: str
    scope_value: str
    this: Decimal
    other: Decimal

    @property
    def difference(self) -> Decimal:
        return self.this - self.other


def budget_version_comparison(
    version: BudgetVersion, other: BudgetVersion, *, lines: QuerySet[BudgetLine] | None = None
) -> list[ScopeComparison]:
    """Each scope's fiscal-year total in two versions of the same budget (locked ones stay comparable)."""
    totals: dict[tuple[str, str], list[Decimal]] = {}
    lines = BudgetLine.objects.all() if lines is None else lines
    for index, each in enumerate((version, other)):
        for line in lines.filter(version=each):
            pair = totals.setdefault((line.scope_type, line.scope_value), [Decimal(0), Decimal(0)])
            pair[index] += line.amount
    return [ScopeComparison(t, v, pair[0], pair[1]) for (t, v), pair in sorted(totals.items())]
