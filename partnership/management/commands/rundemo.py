"""Run the product as `make run` does: the embedded Postgres, migrations, the demo data, then the web server
with a real Celery worker and beat beside it. Ctrl-C stops them all, Postgres last."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connections

from audit.recording import AuditedCommand
from partnership.embedded_db import EmbeddedDatabaseError, EmbeddedPostgres

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


class Command(AuditedCommand):  # changes are audited as channel 'command'
    help = (
        "Start the embedded Postgres (unless DATABASE_URL is set), migrate, seed the demo, and run the web "
        "server, a Celery worker and the beat scheduler together (the embedded default)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))

    def handle(self, *args, host: str, port: int, **options) -> None:
        server = None
        if settings.EMBEDDED_POSTGRES_DIR is not None:
            server = EmbeddedPostgres(settings.EMBEDDED_POSTGRES_DIR, log=self.stdout.write)
            try:
                started = server.start()
            except EmbeddedDatabaseError as exc:
                raise CommandError(str(exc)) from exc
            state = "started" if started else "was already running; using it"
            self.stdout.write(f"Postgres {state} (data in {server.data_dir}).")
        if settings.CELERY_BROKER_URL.startswith("filesystem://"):
            # Before seeding: the demo's first pull queues variance detection and dashboard warming.
            for folder in settings.CELERY_BROKER_TRANSPORT_OPTIONS.values():
                if isinstance(folder, str):
                    os.makedirs(folder, exist_ok=True)
        try:
            call_command("migrate", interactive=False, verbosity=0)
            call_command("seed_demo", stdout=self.stdout, stderr=self.stderr)
            connections.close_all()  # the web server, worker and beat open their own
            self.serve(host, port)
        finally:
            if server is not None:
                # Ctrl-C means everything, Postgres included (it keeps its data in var/postgres/).
                connections.close_all()
                server.stop()
                self.stdout.write("Postgres stopped.")

    @staticmethod
    def _commands(host: str, port: int) -> dict[str, list[str]]:
        python = sys.executable
        bin_dir = os.path.dirname(python)
        celery = [os.path.join(bin_dir, "celery"), "-A", "partnership"]
        return {
            "web": [
                os.path.join(bin_dir, "gunicorn"),
                "partnership.wsgi",
                "--bind",
                f"{host}:{port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--access-logfile",
                "-",
            ],
            # solo pool and no gossip: the filesystem broker suits one worker process.
            "worker": [
                *celery,
                "worker",
                "--pool",
                "solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "INFO",
            ],
            "beat": [
                *celery,
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(settings.VAR_DIR / "celerybeat"),
            ],
        }

    def serve(self, host: str, port: int) -> None:
        commands = self._commands(host, port)
        # Each in its own process group: Ctrl-C reaches this command alone, which stops them in order (a
        # gunicorn worker hit by the terminal's SIGINT and its master's shutdown at once could hang on exit
        # and keep the port), and whatever a group leaves behind can be killed with it.
        processes = {
            name: subprocess.Popen(command, start_new_session=True, env=self._environment(host))
            for name, command in commands.items()
        }
        self.stdout.write(
            self.style.SUCCESS(
                f"Serving on http://{host}:{port}/ with a Celery worker and beat. Ctrl-C stops everything."
            )
        )
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # SIGHUP: the terminal was closed
            signal.signal(signum, stop)
        try:
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(f"{name} exited with {process.returncode}; stopping the rest.")
                        stopping = True
                time.sleep(0.5)
        finally:
            self._stop_all(processes)

    @staticmethod
    def _environment(host: str) -> dict[str, str]:
        """DEBUG is off by default everywhere; the demo served on loopback turns it on (plain HTTP, the
        debug pages) unless DEBUG was set. On any other address it stays as the environment says."""
        environment = dict(os.environ)
        if host in LOOPBACK_HOSTS:
            environment.setdefault("DEBUG", "true")
        return environment

    @staticmethod
    def _stop_all(processes: dict[str, subprocess.Popen[bytes]]) -> None:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 10
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # a web worker its master left behind
