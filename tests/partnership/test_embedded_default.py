"""The embedded default, as `make run` starts it on a fresh machine: its own Postgres, no Redis, demo data."""

from __future__ import annotations

import http.cookiejar
import json
import re
import shutil
import signal
import subprocess
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg2
import pytest

from partnership.embedded_db import DATABASE, EmbeddedPostgres
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


def query(var_dir: Path, sql: str) -> list[tuple]:
    """Ask the embedded Postgres over its socket in var/postgres/, as the product does."""
    connection = psycopg2.connect(host=str(var_dir / "postgres"), user="postgres", dbname=DATABASE)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()
    finally:
        connection.close()


@pytest.fixture
def embedded():
    # Not under tmp_path when root: every pytest run of root resets /tmp/pytest-of-root to 0700, which
    # would shut out the unprivileged user the embedded Postgres runs as.
    folder = Path(tempfile.mkdtemp(prefix="partnership-embedded-"))
    folder.chmod(0o755)
    yield embedded_environment(folder / "var", DEMO_PASSWORD=PASSWORD)
    EmbeddedPostgres(folder / "var" / "postgres", log=lambda _: None).stop()
    shutil.rmtree(folder, ignore_errors=True)


def test_it_boots_from_nothing_seeds_the_demo_through_the_pull_and_serves_with_a_worker_and_beat(embedded):
    var_dir = Path(embedded["VAR_DIR"])
    port = free_port()
    log = (var_dir.parent / "rundemo.log").open("w+")  # a file, not a pipe: the seeding alone prints ~30 kB
    server = subprocess.Popen(
        [PYTHON, "manage.py", "rundemo", "--port", str(port)],
        cwd=PROJECT_DIR,
        env=embedded,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for_http(f"{base}/accounts/login/", timeout=180) == 200  # initdb, migrate, seed first
        with urllib.request.urlopen(f"{base}/healthz") as response:
            health = json.loads(response.read())
        assert health["database"] == {"ok": True, "vendor": "postgresql"}
        assert (var_dir / "postgres" / "PG_VERSION").exists(), (
            "the embedded default keeps its database under var/"
        )
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
            rows = query(
                var_dir,
                "SELECT status FROM costdata_ingestionrun WHERE \"trigger\" = 'manual' ORDER BY id DESC",
            )
            return bool(rows and rows[0][0] == "succeeded")

        wait_until(manual_run_succeeded, timeout=60, interval=0.5)
    finally:
        server.send_signal(signal.SIGINT)  # what Ctrl-C sends
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.seek(0)
        output = log.read()
        log.close()
    assert server.returncode == 0, output
    assert "Pulled demo costs" in output, "the first run seeds the demo through the pull"
    assert "beat: Starting" in output, "beat ran beside the web server"
    assert "celery@" in output and "ready" in output, "a worker ran beside the web server"
    assert "Postgres stopped." in output
    assert not EmbeddedPostgres(var_dir / "postgres").is_running(), "Ctrl-C stops Postgres too"


def test_a_second_run_reuses_what_the_first_created(embedded):
    var_dir = Path(embedded["VAR_DIR"])
    assert EmbeddedPostgres(var_dir / "postgres", log=lambda _: None).start() is True
    assert manage(embedded, "migrate", "--noinput", "-v", "0").returncode == 0
    first = manage(embedded, "seed_demo")
    second = manage(embedded, "seed_demo")
    assert first.returncode == second.returncode == 0
    assert "already in place" in second.stdout
    assert "Demo password" not in second.stdout, "a generated or given password is shown once at most"
    assert query(var_dir, "SELECT COUNT(*) FROM costdata_ingestionrun") == [(1,)], (
        "the second start does not pull the 13 months again"
    )
    assert query(var_dir, "SELECT COUNT(*) FROM auth_user") == [(6,)]
