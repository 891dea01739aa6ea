"""Postgres restarted in the middle of a pull: the run fails cleanly saying why, the task retries, and
the retry leaves the window exactly as one clean pull does."""

from __future__ import annotations

import os
import subprocess

import pytest
from celery.result import AsyncResult
from django.db import connection

from costdata.ingestion import services
from costdata.models import IngestionRun
from tests.faults.conftest import clean_pull, facts, requires_services, wait_for

pytestmark = [
    pytest.mark.worker,
    requires_services,
    pytest.mark.skipif(
        not os.environ.get("TEST_PGDATA"), reason="needs the Postgres scripts/with-services.sh starts"
    ),
    pytest.mark.django_db(transaction=True),
]


def restart_postgres() -> None:
    """`pg_ctl restart -m fast`: every connection is cut, as in a failover or an upgrade."""
    command = [
        os.path.join(os.environ["TEST_PG_BIN"], "pg_ctl"),
        "-D",
        os.environ["TEST_PGDATA"],
        "-l",
        os.environ.get("TEST_PG_LOG", os.path.join(os.environ["TEST_SERVICES_DIR"], "pglog", "pg.log")),
        "-m",
        "fast",
        "-w",
        "-t",
        "60",
        "restart",
    ]
    if os.getuid() == 0:  # Postgres refuses root: run it as its own user, as with-services.sh does
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, timeout=120)
    connection.close()  # this process's connection was cut too


def test_a_pull_cut_off_by_a_postgres_restart_fails_cleanly_and_its_retry_succeeds(
    fake_ce, start_worker, aws_source, window
):
    start_worker(PULL_RETRY_BACKOFF_SECONDS="1")
    services.source_pull(source_id=aws_source.pk, start=window[0], end=window[1], trigger="backfill")
    before = facts(aws_source)
    fake_ce.version = 2
    held = fake_ce.hold_after_pages(3)
    queued = services.source_pull_enqueue(source=aws_source, start=window[0], end=window[1])
    wait_for(lambda: fake_ce.requests >= held, "the pull to read some pages and wait on the next")
    task_id = IngestionRun.objects.get(pk=queued.pk).task_id

    restart_postgres()
    fake_ce.release()

    outcome = AsyncResult(task_id).get(timeout=120)
    assert outcome["status"] == "succeeded"
    history = list(aws_source.runs.filter(task_id=task_id).order_by("started_at", "pk"))
    assert [run.status for run in history] == [IngestionRun.Status.FAILED, IngestionRun.Status.SUCCEEDED]
    cut = history[0]
    assert cut.pk == queued.pk
    assert cut.error.startswith("The database connection was lost during the pull (")
    assert cut.error.endswith("nothing was written and the pull will be retried.")
    assert cut.finished_at is not None
    assert history[1].pk == outcome["run_id"]
    aws_source.refresh_from_db()
    assert aws_source.locked_by_run is None

    reference = clean_pull(fake_ce, name="Reference", start=window[0], end=window[1])
    assert facts(aws_source) == facts(reference) != before
