"""Faults against the real thing: a Celery worker process, the Redis and Postgres `make test` starts
(scripts/with-services.sh), and a Cost Explorer endpoint on loopback that the test slows, stalls and
holds. Tests here kill and restart those processes; they skip without Postgres and Redis (never in CI,
whose `make test` provides both).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from costdata.ingestion import windows
from tests.faults.fake_cost_explorer import FakeCostExplorer
from tests.partnership.helpers import BIN_DIR, PROJECT_DIR, PYTHON

# Generous: the machine has two cores shared with other suites; every wait polls a state.
WAIT = 120.0

requires_services = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="needs the Redis that `make test` starts (scripts/with-services.sh)",
)


def wait_for(predicate: Callable[[], Any], what: str, *, timeout: float = WAIT, interval: float = 0.1) -> Any:
    """Poll until predicate() is truthy; fail naming what never happened."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def backfill_window() -> tuple[date, date]:
    """Five days of last month: a backfill Cost Explorer would answer, fixed for the whole test."""
    from django.utils import timezone

    start = windows.add_months(windows.first_of_month(timezone.localdate()), -1)
    return start, start + timedelta(days=5)


@pytest.fixture
def fake_ce(monkeypatch) -> Iterator[FakeCostExplorer]:
    """The endpoint, with boto3 in this process (and in every child given service_env) pointed at it."""
    fake = FakeCostExplorer().start()
    for key, value in aws_environment(fake).items():
        monkeypatch.setenv(key, value)
    for key in (
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ENDPOINT_URL",
    ):
        monkeypatch.delenv(key, raising=False)
    yield fake
    fake.stop()


def aws_environment(fake: FakeCostExplorer) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL_COST_EXPLORER": fake.url,
        "AWS_ACCESS_KEY_ID": "AKIAFAKEFAULTSTEST00",
        "AWS_SECRET_ACCESS_KEY": "fake-secret-for-the-loopback-endpoint",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/nonexistent/aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
    }


def service_env(**extra: str) -> dict[str, str]:
    """A child process's environment: the test database pytest-django made, not the one DATABASE_URL names."""
    env = dict(os.environ)
    parts = urlsplit(os.environ["DATABASE_URL"])
    env["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))
    env["PATH"] = f"{BIN_DIR}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


class Worker:
    """`celery worker` with a prefork pool of one process, in its own process group (so it can be
    killed whole, as a container is)."""

    def __init__(self, log_path: Path, env: dict[str, str]) -> None:
        self.log_path = log_path
        self._log = log_path.open("a")
        self.process = subprocess.Popen(
            [
                str(BIN_DIR / "celery"),
                "-A",
                "partnership",
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                "1",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--hostname",
                f"faults-{os.getpid()}-{time.monotonic_ns()}@%h",
            ],
            cwd=PROJECT_DIR,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def pool_processes(self) -> list[int]:
        """The worker's child processes (its pool), from /proc."""
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                # stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after its ")".
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid and fields[0] != "Z":
                children.append(int(entry.name))
        return children

    def kill_pool_process(self) -> int:
        """SIGKILL the pool process running the task; the worker itself survives and requeues it."""
        (pid,) = wait_for(self.pool_processes, "the worker's pool process")
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill(self) -> None:
        """SIGKILL the whole worker, pool and all, with no chance to acknowledge or requeue anything."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)

    def stop(self) -> None:
        # No warm shutdown: each test starts from an emptied broker, and a killed worker is the point.
        self.kill()
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def start_worker(transactional_db, fake_ce, tmp_path) -> Iterator[Callable[..., Worker]]:
    """start_worker(**env) -> a running Worker on a broker emptied of earlier tests' messages."""
    import redis
    from django.conf import settings

    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    started: list[Worker] = []

    def start(**extra: str) -> Worker:
        worker = Worker(tmp_path / f"worker-{len(started) + 1}.log", service_env(**extra))
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
    # Leave no retry or follow-up task queued for the next test's worker.
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    for worker in started:
        print(f"--- {worker.log_path.name} ---\n{worker.log()[-6000:]}")  # shown when a test fails


# `manage.py ARGS` once the file named by argv[1] exists: Django boots first, so the command starts the
# moment the test lets it (on a loaded machine booting takes seconds).
_MANAGE_WHEN = """
import os, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnership.settings")
django.setup()
go = sys.argv[1]
while not os.path.exists(go):
    time.sleep(0.02)
from django.core.management import execute_from_command_line
execute_from_command_line(["manage.py", *sys.argv[2:]])
"""


def manage(*args: str, env: dict[str, str], when: Path | None = None) -> subprocess.Popen[str]:
    """`manage.py ARGS` in a new process; with `when`, it boots now and runs once that file exists."""
    command = [PYTHON, "manage.py", *args] if when is None else [PYTHON, "-c", _MANAGE_WHEN, str(when), *args]
    return subprocess.Popen(
        command, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


# --- the data ------------------------------------------------------------------------------------
def facts(source: Any) -> dict[str, list[tuple[str, ...]]]:
    """Every fact row of the source, amounts as the exact text the database holds (to the last digit)."""
    from costdata.models import DailyCost, DailyTagCost, MonthlyCost

    def rows(model: Any, fields: list[str]) -> list[tuple[str, ...]]:
        return sorted(
            tuple(str(value) for value in row)
            for row in model.objects.filter(source=source).values_list(*fields)
        )

    amounts = ["unblended", "amortized", "currency", "estimated"]
    return {
        "daily": rows(DailyCost, ["day", "provider", "account_id", "service", *amounts]),
        "tags": rows(DailyTagCost, ["day", "provider", "account_id", "tag_key", "tag_value", *amounts]),
        "monthly": rows(MonthlyCost, ["month", "provider", "account_id", "service", *amounts]),
    }


def clean_pull(fake: FakeCostExplorer, *, name: str, start: date, end: date) -> Any:
    """A source pulled once, undisturbed, in this process: what every faulted pull must end equal to."""
    from costdata.ingestion import services
    from costdata.models import CostSource

    delay, fake.delay = fake.delay, 0.0
    source = services.source_create(name=name, kind=CostSource.Kind.AWS_COST_EXPLORER, tag_keys=["team"])
    run = services.source_pull(source_id=source.pk, start=start, end=end, trigger="backfill")
    fake.delay = delay
    assert run.status == "succeeded", run.error
    return source


@pytest.fixture
def window() -> tuple[date, date]:
    return backfill_window()


@pytest.fixture
def aws_source(transactional_db) -> Any:
    from costdata.ingestion import services
    from costdata.models import CostSource

    return services.source_create(name="Faulted", kind=CostSource.Kind.AWS_COST_EXPLORER, tag_keys=["team"])
