"""Month forecast and Savings Plans / Reserved Instance coverage and utilisation, through the Stubber."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from botocore.stub import Stubber

from costdata.commitments.insights import commitment_requests, forecast_request
from costdata.ingestion import services
from costdata.ingestion.demo_source import DemoCostExplorer
from costdata.models import CommitmentMetric, CostForecast
from tests.costdata.conftest import TODAY, ce_client, day_result, group, page, request

PERIOD = {"Start": "2026-11-01", "End": "2026-11-20"}


def add_forecast(stubber: Stubber) -> None:
    stubber.add_response(
        "get_cost_forecast",
        {
            "Total": {"Amount": "1234.5678901234", "Unit": "USD"},
            "ForecastResultsByTime": [
                {
                    "TimePeriod": {"Start": "2026-11-20", "End": "2026-12-01"},
                    "MeanValue": "1234.5678901234",
                    "PredictionIntervalLowerBound": "1100.1",
                    "PredictionIntervalUpperBound": "1400.2",
                }
            ],
        },
        forecast_request(today=TODAY),
    )


def add_commitments(stubber: Stubber, *, savings_plans: bool = True) -> None:
    params = commitment_requests(today=TODAY)
    if savings_plans:
        stubber.add_response(
            "get_savings_plans_coverage",
            {
                "SavingsPlansCoverages": [
                    {
                        "Attributes": {},
                        "Coverage": {
                            "SpendCoveredBySavingsPlans": "600",
                            "OnDemandCost": "200",
                            "TotalCost": "800",
                            "CoveragePercentage": "75",
                        },
                        "TimePeriod": PERIOD,
                    }
                ]
            },
            params["get_savings_plans_coverage"],
        )
        stubber.add_response(
            "get_savings_plans_utilization",
            {
                "SavingsPlansUtilizationsByTime": [],
                "Total": {
                    "Utilization": {
                        "TotalCommitment": "700",
                        "UsedCommitment": "665",
                        "UnusedCommitment": "35",
                        "UtilizationPercentage": "95",
                    }
                },
            },
            params["get_savings_plans_utilization"],
        )
    else:
        # Cost Explorer answers DataUnavailableException for an account with no Savings Plans.
        stubber.add_client_error("get_savings_plans_coverage", service_error_code="DataUnavailableException")
        stubber.add_client_error(
            "get_savings_plans_utilization", service_error_code="DataUnavailableException"
        )
    stubber.add_response(
        "get_reservation_coverage",
        {
            "CoveragesByTime": [],
            "Total": {
                "CoverageHours": {
                    "OnDemandHours": "300",
                    "ReservedHours": "100",
                    "TotalRunningHours": "400",
                    "CoverageHoursPercentage": "25",
                },
                "CoverageCost": {"OnDemandCost": "115.2"},
            },
        },
        params["get_reservation_coverage"],
    )
    stubber.add_response(
        "get_reservation_utilization",
        {
            "UtilizationsByTime": [],
            "Total": {
                "UtilizationPercentage": "88.5",
                "TotalAmortizedFee": "50.4",
                "RICostForUnusedHours": "5.796",
            },
        },
        params["get_reservation_utilization"],
    )


def count() -> None:
    pass


def test_forecast_and_commitments_are_stored(aws_source, stubbed):
    client, stubber = stubbed
    add_forecast(stubber)
    add_commitments(stubber)

    notes = services.source_insights_pull(source=aws_source, client=client, today=TODAY, count=count)

    stubber.assert_no_pending_responses()
    assert notes == []
    forecast = CostForecast.objects.get(source=aws_source)
    assert (forecast.month, forecast.forecast_start, forecast.forecast_end) == (
        date(2026, 11, 1),
        TODAY,
        date(2026, 12, 1),
    )
    assert (forecast.amount, forecast.lower, forecast.upper) == (
        Decimal("1234.5678901234"),
        Decimal("1100.1"),
        Decimal("1400.2"),
    )
    sp = CommitmentMetric.objects.get(source=aws_source, kind="savings_plans")
    assert (sp.coverage_percent, sp.utilisation_percent, sp.covered_cost, sp.unused_commitment) == (
        Decimal("75"),
        Decimal("95"),
        Decimal("600"),
        Decimal("35"),
    )
    ri = CommitmentMetric.objects.get(source=aws_source, kind="reservations")
    assert (ri.coverage_percent, ri.utilisation_percent, ri.on_demand_cost) == (
        Decimal("25"),
        Decimal("88.5"),
        Decimal("115.2"),
    )


def test_an_account_without_savings_plans_stores_none_and_says_nothing_is_wrong(aws_source, stubbed):
    client, stubber = stubbed
    add_forecast(stubber)
    add_commitments(stubber, savings_plans=False)

    notes = services.source_insights_pull(source=aws_source, client=client, today=TODAY, count=count)

    assert notes == []
    sp = CommitmentMetric.objects.get(source=aws_source, kind="savings_plans")
    assert sp.coverage_percent is None and sp.utilisation_percent is None


def test_a_refused_forecast_is_a_note_not_a_failed_pull(aws_source, stubbed):
    client, stubber = stubbed
    stubber.add_response(
        "get_cost_and_usage",
        page([day_result(date(2026, 11, 1), [group(["111111111111", "AWS Lambda"], "1")])]),
        request(date(2026, 11, 1), date(2026, 11, 2)),
    )
    stubber.add_client_error("get_cost_forecast", service_error_code="AccessDeniedException")
    add_commitments(stubber)

    run = services.source_pull(
        source_id=aws_source.pk, start=date(2026, 11, 1), end=date(2026, 11, 2), today=TODAY, client=client
    )

    assert run.status == "succeeded"
    assert run.requests_made == 6, "every request is counted: one cost page, five insight requests"
    assert "get_cost_forecast: Access denied" in run.notes
    assert not CostForecast.objects.exists()
    assert CommitmentMetric.objects.count() == 2


def test_figures_fetched_recently_are_not_fetched_again(aws_source, stubbed):
    client, stubber = stubbed
    add_forecast(stubber)
    add_commitments(stubber)
    services.source_insights_pull(source=aws_source, client=client, today=TODAY, count=count)
    made = []

    services.source_insights_pull(source=aws_source, client=client, today=TODAY, count=lambda: made.append(1))

    assert made == []


@pytest.mark.parametrize(
    "method",
    [
        "get_cost_forecast",
        "get_savings_plans_coverage",
        "get_savings_plans_utilization",
        "get_reservation_coverage",
        "get_reservation_utilization",
    ],
)
def test_the_demo_sources_insight_answers_validate_against_the_service_model(method):
    demo = DemoCostExplorer(today=TODAY)
    params = (
        forecast_request(today=TODAY)
        if method == "get_cost_forecast"
        else commitment_requests(today=TODAY)[method]
    )
    answer = getattr(demo, method)(**params)
    client = ce_client()
    with Stubber(client) as stubber:
        stubber.add_response(method, answer, params)
        getattr(client, method)(**params)
        stubber.assert_no_pending_responses()


def test_the_demo_forecast_is_the_rest_of_the_month_and_deterministic():
    one = DemoCostExplorer(today=TODAY).get_cost_forecast(**forecast_request(today=TODAY))
    two = DemoCostExplorer(today=TODAY).get_cost_forecast(**forecast_request(today=TODAY))
    assert one == two
    assert Decimal(one["Total"]["Amount"]) > 0


def test_a_malformed_forecast_answer_is_a_note_and_the_costs_stay_in(aws_source):
    """A client whose forecast answer lacks its Total: the pull still succeeds with its rows."""
    demo = DemoCostExplorer(today=TODAY)

    class BrokenForecast:
        def get_cost_and_usage(self, **params):
            return demo.get_cost_and_usage(**params)

        def get_cost_forecast(self, **params):
            return {"ForecastResultsByTime": []}

        def __getattr__(self, name):
            return getattr(demo, name)

    run = services.source_pull(
        source_id=aws_source.pk,
        start=date(2026, 11, 1),
        end=date(2026, 11, 3),
        today=TODAY,
        client=BrokenForecast(),
    )

    assert run.status == "succeeded" and run.rows_written > 0
    assert "Forecast and commitments not stored" in run.notes
