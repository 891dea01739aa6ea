"""Cost Explorer answering slower than the client waits (COST_EXPLORER_READ_TIMEOUT), then recovering:
the run fails saying it timed out, and the task retries and succeeds."""

from __future__ import annotations

import pytest
from celery.result import AsyncResult

from costdata.ingestion import services
from costdata.ingestion.services.errors import PullTimedOut
from costdata.models import IngestionRun
from tests.faults.conftest import clean_pull, facts, requires_services, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_stalled_endpoint_fails_the_run_as_timed_out_and_the_next_pull_succeeds(
    fake_ce, aws_source, window, settings
):
    settings.COST_EXPLORER_READ_TIMEOUT = 1
    settings.COST_EXPLORER_MAX_ATTEMPTS = 2
    fake_ce.stall_seconds, fake_ce.stall_next = 4, 2  # both attempts at the first page

    with pytest.raises(PullTimedOut) as raised:
        services.source_pull(source_id=aws_source.pk, start=window[0], end=window[1], trigger="backfill")

    assert fake_ce.requests == 2, "botocore tried twice (COST_EXPLORER_MAX_ATTEMPTS), then gave up"
    failed = aws_source.runs.get()
    assert failed.status == IngestionRun.Status.FAILED
    assert failed.error == str(raised.value)
    assert failed.error.startswith(
        "Cost Explorer timed out: no answer within 1 seconds (COST_EXPLORER_READ_TIMEOUT), tried up to 2 times"
    )
    assert failed.requests_made == 1
    assert not facts(aws_source)["daily"]

    # It recovers: the next pull reads the whole window.
    run = services.source_pull(source_id=aws_source.pk, start=window[0], end=window[1], trigger="backfill")
    assert run.status == IngestionRun.Status.SUCCEEDED
    reference = clean_pull(fake_ce, name="Reference", start=window[0], end=window[1])
    assert facts(aws_source) == facts(reference)


@pytest.mark.worker
@requires_services
def test_a_pull_timed_out_on_the_worker_is_retried_and_succeeds_once_the_endpoint_recovers(
    fake_ce, start_worker, aws_source, window
):
    start_worker(
        COST_EXPLORER_READ_TIMEOUT="1", COST_EXPLORER_MAX_ATTEMPTS="2", PULL_RETRY_BACKOFF_SECONDS="1"
    )
    fake_ce.stall_seconds, fake_ce.stall_next = 4, 2
    queued = services.source_pull_enqueue(source=aws_source, start=window[0], end=window[1])

    first = wait_for(
        lambda: IngestionRun.objects.filter(pk=queued.pk, status=IngestionRun.Status.FAILED).first(),
        "the first run to time out",
    )
    assert first.error.startswith("Cost Explorer timed out: no answer within 1 seconds")
    outcome = AsyncResult(first.task_id).get(timeout=120)

    assert outcome["status"] == "succeeded"
    history = list(aws_source.runs.filter(task_id=first.task_id).order_by("started_at", "pk"))
    assert [run.status for run in history] == [IngestionRun.Status.FAILED, IngestionRun.Status.SUCCEEDED]
    reference = clean_pull(fake_ce, name="Reference", start=window[0], end=window[1])
    assert facts(aws_source) == facts(reference)


def test_an_endpoint_that_refuses_connections_fails_the_run_as_worth_retrying(
    fake_ce, aws_source, window, settings, monkeypatch
):
    from tests.partnership.helpers import free_port

    settings.COST_EXPLORER_MAX_ATTEMPTS = 2
    monkeypatch.setenv("AWS_ENDPOINT_URL_COST_EXPLORER", f"http://127.0.0.1:{free_port()}")

    with pytest.raises(PullTimedOut) as raised:
        services.source_pull(source_id=aws_source.pk, start=window[0], end=window[1], trigger="backfill")

    failed = aws_source.runs.get()
    assert failed.status == IngestionRun.Status.FAILED
    assert failed.error == str(raised.value)
    assert failed.error.startswith("Could not reach Cost Explorer: Could not connect to the endpoint URL")
