"""The embedded default, as `make run` starts it on a fresh machine: SQLite, no Redis, demo data."""

from __future__ import annotations

import http.cookiejar
import json
import re
import signal
import sqlite3
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.partnership.helpers import (
    PROJECT_DIR,
    PYTHON,
    embedded_environment,
    free_port,
    wait_for_http,
    wait_until,
)

PASSWORD = "embedded-default-pass-7"


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300
    )


def log_in(base: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_page = opener.open(f"{base}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
    form = urllib.parse.urlencode({"username": "admin", "password": PASSWORD, "csrfmiddlewaretoken": token})
    request = urllib.request.Request(f"{base}/accounts/login/", data=form.encode(), headers={"Referer": base})
    opener.open(request).read()
    return opener


@pytest.fixture
def embedded(tmp_path: Path) -> dict[str, str]:
    return embedded_environment(tmp_path / "var", DEMO_PASSWORD=PASSWORD)


def test_it_boots_from_nothing_seeds_the_demo_through_the_pull_and_serves_with_a_worker_and_beat(embedded):
    var_dir = Path(embedded["VAR_DIR"])
    migrate = manage(embedded, "migrate", "--noinput", "-v", "0")
    assert migrate.returncode == 0, migrate.stderr

    seed = manage(embedded, "seed_demo")
    assert seed.returncode == 0, seed.stderr
    assert "Pulled demo costs" in seed.stdout
    database = var_dir / "partnership.sqlite3"
    assert database.exists(), "the embedded default keeps its database under var/"

    port = free_port()
    server = subprocess.Popen(
        [PYTHON, "manage.py", "rundemo", "--port", str(port)],
        cwd=PROJECT_DIR,
        env=embedded,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for_http(f"{base}/accounts/login/") == 200
        with urllib.request.urlopen(f"{base}/healthz") as response:
            health = json.loads(response.read())
        assert health["database"] == {"ok": True, "vendor": "sqlite"}
        assert health["broker"]["ok"] is True and health["broker"]["transport"] == "filesystem"

        home = log_in(base).open(f"{base}/").read().decode()
        assert "Demo Organisation" in home
        assert re.search(r"\d+ rows", home), "the home page shows the last pull's rows"

        # A pull queued on the filesystem broker is picked up by the real worker rundemo started.
        queue = manage(
            embedded,
            "shell",
            "-c",
            "from partnership.celery import app; from costdata.models import CostSource; "
            "app.send_task('costdata.pull_source', args=[CostSource.objects.get().pk], kwargs={'trigger': 'manual'})",
        )
        assert queue.returncode == 0, queue.stderr

        def manual_run_succeeded() -> bool:
            with sqlite3.connect(database) as db:
                row = db.execute(
                    "SELECT status FROM costdata_ingestionrun WHERE \"trigger\" = 'manual' ORDER BY id DESC"
                ).fetchone()
            return bool(row and row[0] == "succeeded")

        wait_until(manual_run_succeeded, timeout=60, interval=0.5)
    finally:
        server.send_signal(signal.SIGINT)  # what Ctrl-C sends
        try:
            output, _ = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            output, _ = server.communicate()
    assert server.returncode == 0, output
    assert "beat: Starting" in output, "beat ran beside the web server"
    assert "celery@" in output and "ready" in output, "a worker ran beside the web server"


def test_a_second_run_reuses_what_the_first_created(embedded):
    assert manage(embedded, "migrate", "--noinput", "-v", "0").returncode == 0
    first = manage(embedded, "seed_demo")
    second = manage(embedded, "seed_demo")
    assert first.returncode == second.returncode == 0
    assert "already in place" in second.stdout
    assert "Demo password" not in second.stdout, "a generated or given password is shown once at most"
    with sqlite3.connect(Path(embedded["VAR_DIR"]) / "partnership.sqlite3") as db:
        runs = db.execute("SELECT COUNT(*) FROM costdata_ingestionrun").fetchone()[0]
        users = db.execute("SELECT COUNT(*) FROM auth_user").fetchone()[0]
    assert runs == 1, "the second start does not pull the 13 months again"
    assert users == 6
