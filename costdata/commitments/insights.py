"""Month forecast and commitment (Savings Plans, Reserved Instances) figures from Cost Explorer. Pure.

Requests are built and responses read here; costdata.ingestion.services calls the client and stores the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from costdata.ingestion.windows import add_months, first_of_month

PERCENT_PLACES = Decimal("0.0000000001")


@dataclass(frozen=True)
class Forecast:
    month: date
    start: date
    end: date  # exclusive
    amount: Decimal
    lower: Decimal | None
    upper: Decimal | None
    currency: str


@dataclass(frozen=True)
class Commitment:
    month: date
    kind: str  # "savings_plans" or "reservations"
    coverage_percent: Decimal | None = None
    utilisation_percent: Decimal | None = None
    on_demand_cost: Decimal | None = None
    covered_cost: Decimal | None = None
    total_commitment: Decimal | None = None
    unused_commitment: Decimal | None = None


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _percent(value: Any) -> Decimal | None:
    amount = _decimal(value)
    return amount.quantize(PERCENT_PLACES) if amount is not None else None


def forecast_request(*, today: date) -> dict[str, Any] | None:
    """The rest of the open month, today included; None on a day with nothing left to forecast."""
    end = add_months(today, 1)
    if end <= today:
        return None
    return {
        "TimePeriod": {"Start": today.isoformat(), "End": end.isoformat()},
        "Metric": "UNBLENDED_COST",
        "Granularity": "MONTHLY",
        "PredictionIntervalLevel": 80,
    }


def read_forecast(response: Mapping[str, Any], *, today: date) -> Forecast:
    total = response["Total"]
    results = response.get("ForecastResultsByTime") or []
    lower = sum((_decimal(r.get("PredictionIntervalLowerBound")) or Decimal(0) for r in results), Decimal(0))
    upper = sum((_decimal(r.get("PredictionIntervalUpperBound")) or Decimal(0) for r in results), Decimal(0))
    has_bounds = any(r.get("PredictionIntervalLowerBound") is not None for r in results)
    return Forecast(
        month=first_of_month(today),
        start=today,
        end=add_months(today, 1),
        amount=Decimal(total["Amount"]),
        lower=lower if has_bounds else None,
        upper=upper if has_bounds else None,
        currency=total["Unit"],
    )


def commitment_period(*, today: date) -> tuple[date, date]:
    """Month to date; on the first of a month, the whole previous month (nothing is in yet for today)."""
    if today.day == 1:
        previous = add_months(today, -1)
        return previous, today
    return first_of_month(today), today


def commitment_requests(*, today: date) -> dict[str, dict[str, Any]]:
    start, end = commitment_period(today=today)
    period = {"TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()}, "Granularity": "MONTHLY"}
    return {
        "get_savings_plans_coverage": dict(period, Metrics=["SpendCoveredBySavingsPlans"]),
        "get_savings_plans_utilization": dict(period),
        "get_reservation_coverage": dict(period),
        "get_reservation_utilization": dict(period),
    }


def read_savings_plans(
    coverage: Mapping[str, Any] | None, utilisation: Mapping[str, Any] | None, *, month: date
) -> Commitment:
    covered = on_demand = coverage_percent = None
    for entry in (coverage or {}).get("SavingsPlansCoverages") or []:
        data = entry.get("Coverage") or {}
        covered = (covered or Decimal(0)) + (_decimal(data.get("SpendCoveredBySavingsPlans")) or Decimal(0))
        on_demand = (on_demand or Decimal(0)) + (_decimal(data.get("OnDemandCost")) or Decimal(0))
    if covered is not None and on_demand is not None and covered + on_demand:
        coverage_percent = (covered * 100 / (covered + on_demand)).quantize(PERCENT_PLACES)
    total = ((utilisation or {}).get("Total") or {}).get("Utilization") or {}
    return Commitment(
        month=month,
        kind="savings_plans",
        coverage_percent=coverage_percent,
        utilisation_percent=_percent(total.get("UtilizationPercentage")),
        on_demand_cost=on_demand,
        covered_cost=covered,
        total_commitment=_decimal(total.get("TotalCommitment")),
        unused_commitment=_decimal(total.get("UnusedCommitment")),
    )


def read_reservations(
    coverage: Mapping[str, Any] | None, utilisation: Mapping[str, Any] | None, *, month: date
) -> Commitment:
    cover = (coverage or {}).get("Total") or {}
    hours = cover.get("CoverageHours") or {}
    cost = cover.get("CoverageCost") or {}
    used = (utilisation or {}).get("Total") or {}
    return Commitment(
        month=month,
        kind="reservations",
        coverage_percent=_percent(hours.get("CoverageHoursPercentage")),
        utilisation_percent=_percent(used.get("UtilizationPercentage")),
        on_demand_cost=_decimal(cost.get("OnDemandCost")),
        total_commitment=_decimal(used.get("TotalAmortizedFee")),
        unused_commitment=_decimal(used.get("RICostForUnusedHours")),
    )
