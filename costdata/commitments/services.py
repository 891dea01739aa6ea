"""The month forecast and Savings Plans / Reserved Instance coverage and utilisation, stored per source."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.utils import timezone

from costdata.commitments import insights
from costdata.commitments.models import CommitmentMetric
from costdata.ingestion.models import CostSource
from costdata.ingestion.services.errors import describe_error, error_code
from costdata.planning.models import CostForecast

logger = logging.getLogger(__name__)


# --- forecast and commitments --------------------------------------------------------------------
# Each refresh costs five requests; Cost Explorer updates these figures a few times a day.
INSIGHTS_REFRESH_HOURS = 12


def source_insights_pull(
    *, source: CostSource, client: Any, today: date, count: Callable[[], None]
) -> list[str]:
    """Store the open month's forecast and commitment coverage/utilisation; return notes on what was
    not available. Never fails the pull: these figures are additions to the cost facts, not part of them."""
    notes: list[str] = []
    fresh_after = timezone.now() - timedelta(hours=INSIGHTS_REFRESH_HOURS)
    month = insights.commitment_period(today=today)[0]
    if CommitmentMetric.objects.filter(source=source, month=month, fetched_at__gte=fresh_after).exists():
        return notes  # fetched recently: Cost Explorer refreshes these a few times a day at most

    def call(method: str, params: dict[str, Any]) -> Mapping[str, Any] | None:
        return _insight_call(client, method, params, notes=notes, count=count)

    request = insights.forecast_request(today=today)
    response = call("get_cost_forecast", request) if request else None
    if response is not None:
        _forecast_store(source=source, forecast=insights.read_forecast(response, today=today))
    elif request:
        notes.append("No forecast this time (Cost Explorer needs enough history to forecast).")
    answers = {
        method: call(method, params) for method, params in insights.commitment_requests(today=today).items()
    }
    _commitments_store(source=source, answers=answers, month=month)
    return notes


def _insight_call(
    client: Any, method: str, params: dict[str, Any], *, notes: list[str], count: Callable[[], None]
) -> Mapping[str, Any] | None:
    """One Cost Explorer request, counted whatever happens; a failure becomes a note and None (no data
    for the period is no failure, and no note)."""
    try:
        answer: Mapping[str, Any] = getattr(client, method)(**params)
        return answer
    except ClientError as exc:
        if error_code(exc) != "DataUnavailableException":
            notes.append(f"{method}: {describe_error(exc)}")
        return None
    except BotoCoreError as exc:
        notes.append(f"{method}: {describe_error(exc)}")
        return None
    finally:
        count()


def _forecast_store(*, source: CostSource, forecast: insights.Forecast) -> None:
    CostForecast.objects.update_or_create(
        source=source,
        month=forecast.month,
        defaults={
            "forecast_start": forecast.start,
            "forecast_end": forecast.end,
            "amount": forecast.amount,
            "lower": forecast.lower,
            "upper": forecast.upper,
            "currency": forecast.currency,
            "fetched_at": timezone.now(),
        },
    )


def _commitments_store(
    *, source: CostSource, answers: Mapping[str, Mapping[str, Any] | None], month: date
) -> None:
    """Store the month's Savings Plans and Reserved Instance figures from the four answers."""
    for metric in (
        insights.read_savings_plans(
            answers["get_savings_plans_coverage"], answers["get_savings_plans_utilization"], month=month
        ),
        insights.read_reservations(
            answers["get_reservation_coverage"], answers["get_reservation_utilization"], month=month
        ),
    ):
        CommitmentMetric.objects.update_or_create(
            source=source,
            month=metric.month,
            kind=metric.kind,
            defaults={
                "coverage_percent": metric.coverage_percent,
                "utilisation_percent": metric.utilisation_percent,
                "on_demand_cost": metric.on_demand_cost,
                "covered_cost": metric.covered_cost,
                "total_commitment": metric.total_commitment,
                "unused_commitment": metric.unused_commitment,
                "fetched_at": timezone.now(),
            },
        )
