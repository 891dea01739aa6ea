"""/healthz: 200 with database and broker status as JSON, 503 when either is down."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest
from django.db.utils import ConnectionHandler

from partnership import health
from tests.partnership.helpers import free_port


@pytest.fixture
def own_redis(tmp_path: Path):
    """A Redis server of this test's own, so stopping it disturbs nothing else."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is missing: `make test` installs it")
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if health_of(f"redis://127.0.0.1:{port}/0")["ok"]:
            break
        time.sleep(0.1)
    yield process, f"redis://127.0.0.1:{port}/0"
    process.kill()
    process.wait()


def health_of(broker_url: str) -> dict:
    return health.broker_status(broker_url, timeout=1)


@pytest.fixture
def broker_at(settings):
    def point_to(url: str) -> None:
        settings.CELERY_BROKER_URL = url

    return point_to


@pytest.mark.django_db
def test_it_answers_200_with_database_and_broker_status(client, own_redis, broker_at):
    broker_at(own_redis[1])
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["broker"] == {"ok": True, "transport": "redis"}


@pytest.mark.django_db
def test_a_stopped_broker_gives_503(client, own_redis, broker_at):
    process, url = own_redis
    broker_at(url)
    assert client.get("/healthz").status_code == 200
    process.kill()
    process.wait()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is False
    assert response.json()["status"] == "unavailable"


@pytest.mark.django_db
def test_an_unreachable_database_gives_503(client, own_redis, broker_at, monkeypatch, settings):
    broker_at(own_redis[1])
    dead = dict(settings.DATABASES["default"])
    dead.update(
        ENGINE="django.db.backends.postgresql",
        HOST="127.0.0.1",
        PORT=str(free_port()),
        NAME="nothing",
        OPTIONS={"connect_timeout": 2},
    )
    monkeypatch.setattr(health, "connections", ConnectionHandler({"default": dead}))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"]["ok"] is False


def test_it_needs_no_login_and_is_never_cached(client, own_redis, broker_at, db):
    broker_at(own_redis[1])
    response = client.get("/healthz")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
