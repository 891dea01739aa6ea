"""Redis restarted while pulls are queued: nothing is lost. The broker keeps its queue in an append-only
file (scripts/with-services.sh, docker-compose.yml), so a pull queued before Redis dies is run after."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import redis
from celery.result import AsyncResult
from django.conf import settings

from costdata.ingestion import services
from costdata.models import IngestionRun
from tests.faults.conftest import clean_pull, facts, requires_services, wait_for

pytestmark = [
    pytest.mark.worker,
    requires_services,
    pytest.mark.skipif(
        not os.environ.get("TEST_REDIS_CONF"), reason="needs the Redis scripts/with-services.sh starts"
    ),
    pytest.mark.django_db(transaction=True),
]


def broker() -> redis.Redis:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=5)


def unacknowledged_tasks() -> set[str]:
    """Ids of the tasks Redis holds as delivered but not acknowledged (kombu's "unacked" hash)."""
    held = broker().hvals("unacked")
    return {json.loads(value)[0]["headers"]["id"] for value in held}


def queued_tasks() -> set[str]:
    """Ids of the tasks waiting in the default queue."""
    return {json.loads(value)["headers"]["id"] for value in broker().lrange("celery", 0, -1)}


def kill_and_restart_redis() -> None:
    """SIGKILL the server (no shutdown save), then start it again from the same configuration."""
    conf = Path(os.environ["TEST_REDIS_CONF"])
    pid_file = Path(os.environ["TEST_REDIS_DIR"]) / "redis.pid"
    pid = int(pid_file.read_text())
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not Path(f"/proc/{pid}").exists(), "Redis to die")
    subprocess.run(["redis-server", str(conf)], check=True)

    def answers() -> bool:
        try:
            return bool(broker().ping())
        except redis.RedisError:
            return False

    wait_for(answers, "Redis to answer again")


def test_pulls_queued_before_redis_is_killed_are_run_after_it_restarts(
    fake_ce, start_worker, aws_source, window
):
    queued = services.source_pull_enqueue(source=aws_source, start=window[0], end=window[1])
    assert broker().llen("celery") == 1, "the pull waits in the broker's queue: no worker is running"

    kill_and_restart_redis()

    assert broker().llen("celery") == 1, "the queued pull survived the restart"
    assert IngestionRun.objects.get(pk=queued.pk).status == IngestionRun.Status.QUEUED
    start_worker()
    run = wait_for(
        lambda: IngestionRun.objects.filter(pk=queued.pk, status=IngestionRun.Status.SUCCEEDED).first(),
        "the queued pull to succeed",
    )
    assert run.task_id

    # With the worker running and idle, Redis dies again: the worker reconnects and takes new work.
    kill_and_restart_redis()
    again = services.source_pull_enqueue(source=aws_source, start=window[0], end=window[1])
    wait_for(
        lambda: IngestionRun.objects.filter(pk=again.pk, status=IngestionRun.Status.SUCCEEDED).exists(),
        "the pull queued after the second restart to succeed",
    )
    assert AsyncResult(IngestionRun.objects.get(pk=again.pk).task_id).get(timeout=60)["status"] == "succeeded"
    assert list(aws_source.runs.values_list("status", flat=True)) == [IngestionRun.Status.SUCCEEDED] * 2

    reference = clean_pull(fake_ce, name="Reference", start=window[0], end=window[1])
    assert facts(aws_source) == facts(reference)


def test_a_pull_running_when_redis_dies_completes_and_its_redelivery_pulls_nothing_again(
    fake_ce, start_worker, aws_source, window
):
    worker = start_worker()
    held = fake_ce.hold_after_pages(3)
    queued = services.source_pull_enqueue(source=aws_source, start=window[0], end=window[1])
    wait_for(lambda: fake_ce.requests >= held, "the pull to be reading")

    kill_and_restart_redis()
    fake_ce.release()

    run = wait_for(
        lambda: IngestionRun.objects.filter(pk=queued.pk, status=IngestionRun.Status.SUCCEEDED).first(),
        "the pull to finish",
    )
    # Its acknowledgement went to the Redis that died: the message is still held as unacknowledged,
    # and Redis will hand it out again once the visibility timeout passes.
    assert run.task_id in unacknowledged_tasks()
    worker.kill()
    requests = fake_ce.requests
    start_worker(CELERY_VISIBILITY_TIMEOUT="1")

    # Leaving the unacknowledged set is not enough: Redis first puts the message back on the queue, and
    # only then does the new worker take it, run it and acknowledge it. (Its answer is not visible in the
    # result backend: Celery never overwrites a stored success.)
    def gone() -> bool:
        return run.task_id not in unacknowledged_tasks() and run.task_id not in queued_tasks()

    # Twice, a second apart: kombu's restore removes the message from the unacknowledged set a moment
    # before it pushes it back on the queue.
    wait_for(
        lambda: gone() and (time.sleep(1) or gone()), "the redelivered pull to be taken and acknowledged"
    )
    assert fake_ce.requests == requests, "a pull already done is not read again (each request is billed)"
    assert list(aws_source.runs.values_list("pk", "status")) == [(run.pk, IngestionRun.Status.SUCCEEDED)]
    assert AsyncResult(run.task_id).get(timeout=60)["run_id"] == run.pk
