"""The pull task: throttling retries, permanent errors end quietly, busy sources skip."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from costdata import tasks
from costdata.ingestion import services
from costdata.models import DailyCost, IngestionRun
from tests.costdata.conftest import day_result, group, page, request

D1, END = date(2026, 11, 1), date(2026, 11, 3)


def test_throttling_is_retried_by_the_task_until_it_succeeds(aws_source, stubbed, monkeypatch):
    client, stubber = stubbed
    monkeypatch.setattr(services.pull, "cost_explorer_for", lambda source, today: client)
    stubber.add_client_error(
        "get_cost_and_usage", service_error_code="LimitExceededException", http_status_code=400
    )
    stubber.add_response(
        "get_cost_and_usage",
        page([day_result(D1, [group(["111111111111", "AWS Lambda"], "1.5")])]),
        request(D1, END),
    )

    outcome = tasks.pull_source.apply(args=[aws_source.pk, D1.isoformat(), END.isoformat()]).get()

    assert outcome["status"] == IngestionRun.Status.SUCCEEDED
    statuses = list(aws_source.runs.order_by("id").values_list("status", flat=True))
    assert statuses == [IngestionRun.Status.FAILED, IngestionRun.Status.SUCCEEDED]
    assert DailyCost.objects.get(source=aws_source).unblended == Decimal("1.5")


def test_a_permanent_error_ends_the_task_without_a_retry(aws_source, stubbed, monkeypatch):
    client, stubber = stubbed
    monkeypatch.setattr(services.pull, "cost_explorer_for", lambda source, today: client)
    stubber.add_client_error("get_cost_and_usage", service_error_code="AccessDeniedException")

    outcome = tasks.pull_source.apply(args=[aws_source.pk, D1.isoformat(), END.isoformat()]).get()

    assert outcome["status"] == IngestionRun.Status.FAILED
    assert "Access denied" in outcome["reason"]
    assert aws_source.runs.count() == 1
