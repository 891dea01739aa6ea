"""Tasks round-trip through a real Celery worker on the real Redis that `make test` starts."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from tests.partnership.helpers import BIN_DIR, PROJECT_DIR

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def worker_environment() -> dict[str, str]:
    """The worker must use the test database pytest-django created, not the one DATABASE_URL names."""
    env = dict(os.environ)
    parts = urlsplit(os.environ["DATABASE_URL"])
    env["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))
    return env


@pytest.fixture
def celery_worker() -> Iterator[subprocess.Popen[str]]:
    worker = subprocess.Popen(
        [
            str(BIN_DIR / "celery"),
            "-A",
            "partnership",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            f"test-{os.getpid()}@%h",
        ],
        cwd=PROJECT_DIR,
        env=worker_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield worker
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()


def test_a_task_round_trips_through_a_real_worker_on_redis(celery_worker):
    from partnership.tasks import ping

    result = ping.delay("hello").get(timeout=60)
    frozen = result.pop("gc_frozen_objects")
    assert result == {"echo": "hello", "database": True, "vendor": "postgresql"}
    # The worker froze what it loaded at start-up (Django, the apps): full collections during a pull
    # no longer walk it.
    assert frozen > 50_000, frozen


def test_a_pull_queued_on_redis_is_run_by_the_worker_and_recorded(celery_worker):
    from costdata.ingestion.services import source_create
    from costdata.models import CostSource, DailyCost, IngestionRun
    from costdata.tasks import pull_source

    source = source_create(name="Worker demo", kind=CostSource.Kind.DEMO, tag_keys=["team"])
    outcome = pull_source.delay(source.pk, trigger=IngestionRun.Trigger.MANUAL).get(timeout=120)

    run = IngestionRun.objects.get(pk=outcome["run_id"])
    assert run.status == IngestionRun.Status.SUCCEEDED
    assert run.task_id, "the run records the id of the task that made it"
    assert run.requests_made > 0
    assert DailyCost.objects.filter(source=source).count() > 0
