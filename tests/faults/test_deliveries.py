"""The pull task's own bookkeeping of deliveries, run in this process (any database): what a redelivered
task does with the runs its lost deliveries left, the cap, and a database lost mid-pull."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from costdata import tasks
from costdata.ingestion.services import deliveries, pull
from costdata.models import CostSource, IngestionRun
from tests.faults.conftest import clean_pull, facts

pytestmark = pytest.mark.django_db(transaction=True)


def cut_off_run(source, task_id, *, window, holds_lease=True):
    """What a delivery whose worker was SIGKILLed leaves: a run still running, maybe the lease."""
    run = IngestionRun.objects.create(
        source=source, task_id=task_id, trigger="backfill", window_start=window[0], window_end=window[1]
    )
    if holds_lease:
        CostSource.objects.filter(pk=source.pk).update(
            locked_by_run=run, locked_until=timezone.now() + timedelta(minutes=30)
        )
    return run


def pull_task(source, window, task_id):
    return tasks.pull_source.apply(
        args=[source.pk, window[0].isoformat(), window[1].isoformat(), "backfill"], task_id=task_id
    ).get()


def test_a_redelivered_pull_closes_its_cut_off_run_and_takes_over_its_live_lease(fake_ce, aws_source, window):
    cut = cut_off_run(aws_source, "task-1", window=window)

    outcome = pull_task(aws_source, window, "task-1")

    assert outcome["status"] == "succeeded"
    cut.refresh_from_db()
    assert cut.status == IngestionRun.Status.FAILED
    assert cut.error.startswith("Interrupted: the worker running this pull was lost (delivery 1:")
    assert cut.finished_at is not None
    assert list(aws_source.runs.order_by("pk").values_list("status", flat=True)) == ["failed", "succeeded"]


def test_another_task_does_not_take_a_live_lease_and_says_who_holds_it(fake_ce, aws_source, window):
    holder = cut_off_run(aws_source, "task-1", window=window)

    outcome = pull_task(aws_source, window, "task-2")

    assert outcome["status"] == "skipped"
    since = timezone.localtime(holder.started_at).strftime("%Y-%m-%d %H:%M:%S %Z")
    assert (
        f"run #{holder.pk} (backfill, task task-1) since {since}, holding the lease until"
        in outcome["reason"]
    )
    assert fake_ce.requests == 0
    holder.refresh_from_db()
    assert holder.status == IngestionRun.Status.RUNNING, "a live lease's run is not another task's to close"


def test_a_task_gives_up_once_its_deliveries_reach_the_cap_without_asking_cost_explorer(
    fake_ce, aws_source, window, settings
):
    settings.PULL_MAX_DELIVERIES = 3
    first = cut_off_run(aws_source, "task-1", window=window, holds_lease=False)
    deliveries.pull_interrupted_runs_close(source_id=aws_source.pk, task_id="task-1")
    cut_off_run(aws_source, "task-1", window=window, holds_lease=False)
    deliveries.pull_interrupted_runs_close(source_id=aws_source.pk, task_id="task-1")
    cut_off_run(aws_source, "task-1", window=window)
    first.refresh_from_db()
    assert "(delivery 1:" in first.error

    outcome = pull_task(aws_source, window, "task-1")

    assert outcome["status"] == "failed"
    assert outcome["reason"].startswith("Gave up after 3 deliveries: the worker was lost during each one")
    runs = list(aws_source.runs.order_by("pk"))
    assert [run.status for run in runs] == ["failed"] * 4
    assert [
        "(delivery 1:" in runs[0].error,
        "(delivery 2:" in runs[1].error,
        "(delivery 3:" in runs[2].error,
    ] == [True] * 3
    assert runs[3].pk == outcome["run_id"] and (runs[3].window_start, runs[3].window_end) == window
    assert fake_ce.requests == 0
    aws_source.refresh_from_db()
    assert aws_source.locked_by_run is None and aws_source.locked_until is None


def test_throttling_retries_of_the_same_task_do_not_count_as_lost_deliveries(
    fake_ce, aws_source, window, settings
):
    settings.PULL_MAX_DELIVERIES = 1
    IngestionRun.objects.create(
        source=aws_source,
        task_id="task-1",
        status="failed",
        error="Cost Explorer kept throttling the requests",
    )

    assert pull_task(aws_source, window, "task-1")["status"] == "succeeded"


def test_a_database_lost_mid_pull_fails_the_run_saying_so_and_the_task_retries(
    fake_ce, aws_source, window, monkeypatch
):
    renew = pull.source_lease_renew
    calls = []

    def lose_the_database_once(source_id, run):
        calls.append(run.pk)
        if len(calls) == 2:
            raise OperationalError("terminating connection due to administrator command\nSSL closed")
        renew(source_id, run)

    monkeypatch.setattr(pull, "source_lease_renew", lose_the_database_once)

    outcome = pull_task(aws_source, window, "task-1")  # eager: the retry runs at once

    assert outcome["status"] == "succeeded"
    first, second = aws_source.runs.order_by("pk")
    assert first.status == IngestionRun.Status.FAILED
    assert "terminating connection due to administrator command" in first.error
    assert second.status == IngestionRun.Status.SUCCEEDED and second.pk == outcome["run_id"]
    reference = clean_pull(fake_ce, name="Reference", start=window[0], end=window[1])
    assert facts(aws_source) == facts(reference)


def test_a_run_the_database_cut_off_is_closed_as_failed_and_its_lease_freed(aws_source, window):
    cut = cut_off_run(aws_source, "task-1", window=window)
    other = cut_off_run(aws_source, "task-2", window=window, holds_lease=False)

    assert (
        deliveries.pull_database_lost(source_id=aws_source.pk, task_id="task-1", reason="server closed") == 1
    )

    cut.refresh_from_db()
    other.refresh_from_db()
    assert cut.status == "failed"
    assert cut.error == (
        "The database connection was lost during the pull (server closed); nothing was written and the pull "
        "will be retried."
    )
    assert other.status == "running"
    aws_source.refresh_from_db()
    assert aws_source.locked_by_run is None


def test_a_redelivered_pull_that_already_succeeded_reads_nothing_again(fake_ce, aws_source, window):
    done = IngestionRun.objects.create(
        source=aws_source, task_id="task-1", status="succeeded", rows_written=7, requests_made=3
    )

    outcome = pull_task(aws_source, window, "task-1")

    assert outcome == {
        "status": "succeeded",
        "run_id": done.pk,
        "rows": 7,
        "requests": 3,
        "redelivered": True,
    }
    assert fake_ce.requests == 0
    assert aws_source.runs.count() == 1
