"""A worker killed with SIGKILL in the middle of a pull: the broker redelivers the task, the window ends
exactly as one clean pull leaves it, and the run history shows the interrupted run and the good one.
A pull whose worker is lost on every delivery gives up after PULL_MAX_DELIVERIES."""

from __future__ import annotations

import time

import pytest
from celery.result import AsyncResult
from django.utils import timezone

from costdata.ingestion import services
from costdata.models import CostSource, IngestionRun
from tests.faults.conftest import clean_pull, facts, requires_services, wait_for

pytestmark = [pytest.mark.worker, requires_services, pytest.mark.django_db(transaction=True)]


def restated_window(fake, source, window):
    """The source holds the window as first published (version 1); Cost Explorer has since restated
    every figure (version 2)."""
    services.source_pull(source_id=source.pk, start=window[0], end=window[1], trigger="backfill")
    before = facts(source)
    assert before["daily"], "the fake answered no rows"
    fake.version = 2
    return before


def running_run(source, *, task_id=None, exclude=()):
    runs = IngestionRun.objects.filter(source=source, status=IngestionRun.Status.RUNNING).exclude(
        pk__in=exclude
    )
    if task_id:
        runs = runs.filter(task_id=task_id)
    return runs.first()


def held_mid_pull(fake, queue_the_pull, *, pages=3):
    """Queue the pull with Cost Explorer set to answer `pages` pages and hold the next request; return
    once the pull waits on it. The pull is then certainly mid-fetch, nothing of its window written."""
    held = fake.hold_after_pages(pages)
    queued = queue_the_pull()
    wait_for(lambda: fake.requests >= held, f"the pull to ask for page {held}")
    return queued


def test_a_pool_process_killed_mid_pull_is_redelivered_and_the_window_ends_as_one_clean_pull(
    fake_ce, start_worker, aws_source, window
):
    worker = start_worker()  # boots while the window is first pulled
    before = restated_window(fake_ce, aws_source, window)
    queued = held_mid_pull(
        fake_ce, lambda: services.source_pull_enqueue(source=aws_source, start=window[0], end=window[1])
    )
    first = IngestionRun.objects.get(pk=queued.pk)
    assert first.status == IngestionRun.Status.RUNNING and first.task_id
    killed = worker.kill_pool_process()

    # The pool requeues the message (acks_late, reject_on_worker_lost): the same task starts again in
    # a new pool process, finds its first run cut off and closes it, then waits on Cost Explorer.
    second = wait_for(
        lambda: running_run(aws_source, task_id=first.task_id, exclude=[first.pk]), "the redelivered run"
    )
    assert killed not in worker.pool_processes()
    first.refresh_from_db()
    assert first.status == IngestionRun.Status.FAILED
    assert first.error.startswith("Interrupted: the worker running this pull was lost (delivery 1")
    assert first.finished_at is not None
    assert facts(aws_source) == before, "a killed pull must leave the window as it was, not half-written"

    fake_ce.release()
    outcome = AsyncResult(first.task_id).get(timeout=120)
    second.refresh_from_db()
    assert outcome == {
        "status": "succeeded",
        "run_id": second.pk,
        "rows": second.rows_written,
        "requests": second.requests_made,
    }
    history = list(aws_source.runs.filter(task_id=first.task_id).order_by("started_at", "pk"))
    assert [run.status for run in history] == [IngestionRun.Status.FAILED, IngestionRun.Status.SUCCEEDED]
    assert not aws_source.runs.filter(status=IngestionRun.Status.RUNNING).exists()
    aws_source.refresh_from_db()
    assert aws_source.locked_by_run is None and aws_source.locked_until is None

    reference = clean_pull(fake_ce, name="Reference", start=window[0], end=window[1])
    assert facts(aws_source) == facts(reference)
    assert facts(aws_source) != before


def test_a_whole_worker_killed_mid_pull_is_redelivered_by_redis_to_the_next_worker(
    fake_ce, start_worker, aws_source, window
):
    """The container case: the worker and its pool die together, nothing is acknowledged or requeued;
    Redis hands the message to the next worker once the visibility timeout has passed."""
    visibility = 3
    worker = start_worker(CELERY_VISIBILITY_TIMEOUT=str(visibility))
    before = restated_window(fake_ce, aws_source, window)
    queued = held_mid_pull(
        fake_ce, lambda: services.source_pull_enqueue(source=aws_source, start=window[0], end=window[1])
    )
    worker.kill()
    first = IngestionRun.objects.get(pk=queued.pk)
    # Nobody is left to say it stopped: the run still reads running and its lease is held.
    assert first.status == IngestionRun.Status.RUNNING
    aws_source.refresh_from_db()
    assert aws_source.locked_by_run_id == first.pk
    assert facts(aws_source) == before

    # Redis restores an unacknowledged message older than the visibility timeout when a worker starts
    # polling: let it age past that first (a wait, not an assertion).
    while (timezone.now() - first.started_at).total_seconds() < visibility + 1:
        time.sleep(0.2)
    fake_ce.release()
    start_worker(CELERY_VISIBILITY_TIMEOUT=str(visibility))

    outcome = AsyncResult(first.task_id).get(timeout=120)
    assert outcome["status"] == "succeeded"
    history = list(aws_source.runs.filter(task_id=first.task_id).order_by("started_at", "pk"))
    assert [run.status for run in history] == [IngestionRun.Status.FAILED, IngestionRun.Status.SUCCEEDED]
    assert history[0].pk == first.pk and history[0].error.startswith("Interrupted:")
    assert history[1].pk == outcome["run_id"]
    reference = clean_pull(fake_ce, name="Reference", start=window[0], end=window[1])
    assert facts(aws_source) == facts(reference)


def test_a_pull_whose_worker_is_lost_on_every_delivery_gives_up_after_the_cap(
    fake_ce, start_worker, aws_source, window
):
    worker = start_worker(PULL_MAX_DELIVERIES="2")
    before = restated_window(fake_ce, aws_source, window)
    queued = held_mid_pull(
        fake_ce,
        lambda: services.source_pull_enqueue(source=aws_source, start=window[0], end=window[1]),
        pages=1,
    )
    task_id = IngestionRun.objects.get(pk=queued.pk).task_id
    worker.kill_pool_process()

    # The second delivery is killed as well, once it too is waiting on Cost Explorer.
    seen = fake_ce.requests
    wait_for(
        lambda: running_run(aws_source, task_id=task_id, exclude=[queued.pk]) and fake_ce.requests > seen,
        "the second delivery to ask for a page",
    )
    worker.kill_pool_process()

    gave_up = wait_for(
        lambda: aws_source.runs.filter(task_id=task_id, error__startswith="Gave up").first(),
        "the third delivery to give up",
    )
    fake_ce.release()
    assert gave_up.status == IngestionRun.Status.FAILED
    assert gave_up.error.startswith("Gave up after 2 deliveries: the worker was lost during each one")
    assert (gave_up.window_start, gave_up.window_end) == window
    history = list(aws_source.runs.filter(task_id=task_id).order_by("started_at", "pk"))
    assert [run.status for run in history] == [IngestionRun.Status.FAILED] * 3
    assert [run.error.split(" (")[0] for run in history[:2]] == [
        "Interrupted: the worker running this pull was lost"
    ] * 2
    assert "(delivery 2:" in history[1].error
    assert AsyncResult(task_id).get(timeout=60)["status"] == "failed"

    # Nothing half-written, the lease freed: the next pull runs at once and succeeds.
    assert facts(aws_source) == before
    aws_source.refresh_from_db()
    assert aws_source.locked_by_run is None
    run = services.source_pull(source_id=aws_source.pk, start=window[0], end=window[1], trigger="backfill")
    assert run.status == IngestionRun.Status.SUCCEEDED
    assert CostSource.objects.get(pk=aws_source.pk).locked_by_run is None
