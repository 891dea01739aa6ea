"""Load benchmark: the product under gunicorn, driven by wrk, against Postgres holding 1 million cost rows.

Steps:
1. fill Postgres as bench.dashboard does (daily facts made by generate_series, the monthly rollup, two
   business units and five teams owning the accounts; `BENCH_LOAD_ROWS`, default 1,000,000), plus
   variances for every account over the last months (the variance list's table);
2. collect the static files and start gunicorn on 127.0.0.1 as production runs it: DEBUG off, the
   fingerprinted static storage, the Redis cache and Celery broker from scripts/with-services.sh, behind
   a TLS proxy (X-Forwarded-Proto: https, TRUST_X_FORWARDED_PROTO=true); the only departure is the API's
   per-user throttle, raised so that one user can drive the API at full speed;
3. log a finance lead in through the login form (a real session cookie) and issue an API token through
   the product's token service;
4. for each endpoint in turn: a short warm-up, then wrk for a fixed time (`BENCH_LOAD_SECONDS`, default
   20) with `BENCH_LOAD_CONNECTIONS` (default 8) connections, reading requests/s, p50/p95/p99 and
   errors (socket errors, timeouts and any answer outside 2xx, so a redirect to the login page counts);
5. write var/bench/load.json with each figure and each target with whether it is met.

Beside the wall-clock figures each endpoint records the server CPU it cost per request (gunicorn's
processes and the Postgres cluster's, read from /proc): on a shared machine the wall clock moves with the
neighbours' load, CPU per request much less, and 2 cores / CPU per request bounds what two idle cores
could serve. The load average before and after the run is recorded too.

Targets: the costs API at least 300 requests/s with p99 under 150 ms; no endpoint's p99 over 1 s; zero
errors. Gunicorn's shape comes from BENCH_LOAD_WORKERS (default 3) and BENCH_LOAD_THREADS (default 2,
gthread workers: 2 x cores + 1 processes is gunicorn's advice for sync workers; two threads each let a
worker overlap one request's database wait with another's Python). BENCH_LOAD_REUSE=1 keeps the facts a
previous run left in the same database (for iterating).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "var" / "bench"
ROWS = int(os.environ.get("BENCH_LOAD_ROWS", "1000000"))
SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "20"))
WARMUP_SECONDS = int(os.environ.get("BENCH_LOAD_WARMUP", "3"))
CONNECTIONS = int(os.environ.get("BENCH_LOAD_CONNECTIONS", "8"))
WORKERS = int(os.environ.get("BENCH_LOAD_WORKERS", "3"))
THREADS = int(os.environ.get("BENCH_LOAD_THREADS", "2"))
TIMEOUT_SECONDS = 10
USERNAME, PASSWORD = "load-finance", "bench-Load-2026-password"

TARGET_COSTS_RPS = 300
TARGET_COSTS_P99_MS = 150
TARGET_ANY_P99_MS = 1000


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnership.settings")
    os.environ.setdefault("DEBUG", "false")
    import django

    django.setup()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed_variances(*, last_day: date) -> int:
    """A variance per account for each of the last six months, as detection would leave them."""
    from costdata.models import Variance
    from stakeholders.models import Team

    Variance.objects.all().delete()
    teams = list(Team.objects.filter(kind=Team.Kind.TEAM).order_by("pk"))
    month = last_day.replace(day=1)
    months = []
    for _ in range(6):
        months.append(month)
        month = (month - timedelta(days=1)).replace(day=1)
    statuses = list(Variance.Status)
    rows = []
    for m, month in enumerate(months):
        for a in range(1, 301):
            account = f"{100000000000 + a:012d}"
            observed = Decimal(1000 + (a * 37 + m * 11) % 900)
            rows.append(
                Variance(
                    natural_key=f"bench:{month}:account:{account}:month_over_month",
                    scope_type="account",
                    scope_value=account,
                    month=month,
                    kind=Variance.Kind.MONTH_OVER_MONTH,
                    currency="USD",
                    observed=observed,
                    reference=Decimal(1000),
                    difference=observed - 1000,
                    percent=(observed - 1000) / 10,
                    actual_to_date=observed,
                    status=statuses[(a + m) % len(statuses)],
                    owner_team=teams[a % len(teams)] if a % 6 else None,
                    due_at=datetime(month.year, month.month, 1, tzinfo=UTC) + timedelta(days=40),
                )
            )
    Variance.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _reuse(rows: int) -> dict[str, Any] | None:
    """The facts a previous run left (BENCH_LOAD_REUSE=1, for iterating on a long-lived database)."""
    from costdata.models import DailyCost
    from stakeholders.models import Team

    held = DailyCost.objects.count()
    unit = Team.objects.filter(name="Unit 1", kind=Team.Kind.BUSINESS_UNIT).first()
    if held < rows or unit is None:
        return None
    return {"rows": held, "days": held // 13500, "load_seconds": 0, "unit": unit.pk}


def seed_user() -> Any:
    """A finance lead (the role that sees everything without being an admin) with a password."""
    from django.contrib.auth import get_user_model

    from stakeholders.models import Group, Role, Stakeholder

    user, _ = get_user_model().objects.get_or_create(username=USERNAME)
    user.set_password(PASSWORD)
    user.save()
    Stakeholder.objects.update_or_create(
        user=user,
        defaults={
            "name": "Load Finance",
            "email": "load-finance@example.org",
            "group": Group.FINANCE,
            "role": Role.CFO,
        },
    )
    return user


class Http:
    """Requests to the local gunicorn as a browser behind the TLS proxy would send them."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.base = {"Host": "localhost", "X-Forwarded-Proto": "https"}

    def request(
        self, method: str, path: str, body: dict | None = None, **headers: str
    ) -> tuple[int, dict, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {**self.base, **headers}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        payload = None
        if body is not None:
            payload = urlencode(body)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=payload, headers=sent)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        connection.close()
        return response.status, dict(response.getheaders()), text


def log_in(port: int) -> Http:
    """The login form, as a browser fills it: CSRF cookie and token, then the POST."""
    client = Http(port)
    status, _, page = client.request("GET", "/accounts/login/")
    assert status == 200, f"login page answered {status}"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    status, headers, _ = client.request(
        "POST",
        "/accounts/login/",
        {"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
        Referer="https://localhost/accounts/login/",
    )
    assert status == 302 and "sessionid" in client.cookies, f"login failed: {status} {headers}"
    return client


def start_gunicorn(port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "partnership.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "gthread" if THREADS > 1 else "sync",
        "--threads",
        str(THREADS),
        "--timeout",
        "60",
    ]
    handle = open(log, "w")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: see {log}")
        try:
            status, _, _ = Http(port).request("GET", "/healthz")
            if status in (200, 503):
                return process
        except OSError:
            pass
        time.sleep(0.3)
    process.terminate()
    raise RuntimeError(f"gunicorn did not answer within 60 s: see {log}")


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _proc_stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from the state on (the name may hold spaces)


def _tree_cpu_seconds(root: int) -> float:
    """CPU seconds of a process, its children alive now, and the children it has reaped."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _proc_stat(int(entry.name))
        if fields is None:
            continue
        pid, ppid = int(entry.name), int(fields[1])
        if pid == root:
            total += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
        elif ppid == root:
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def _postmaster_pid() -> int | None:
    """The Postgres started by scripts/with-services.sh (its data directory is in TEST_PGDATA)."""
    try:
        return int((Path(os.environ["TEST_PGDATA"]) / "postmaster.pid").read_text().split()[0])
    except (KeyError, OSError, ValueError, IndexError):
        return None


def cpu_snapshot(server: subprocess.Popen) -> dict[str, float | None]:
    postmaster = _postmaster_pid()
    return {
        "app": _tree_cpu_seconds(server.pid),
        "postgres": None if postmaster is None else _tree_cpu_seconds(postmaster),
    }


def wait_until_idle(port: int, limit_seconds: float = 120) -> float:
    """Wait for the requests still queued from the last run (wrk stops; gunicorn finishes what it read).

    Idle means two health checks in a row answered within 100 ms. Returns the seconds waited."""
    began = time.monotonic()
    quick = 0
    while quick < 2 and time.monotonic() - began < limit_seconds:
        sent = time.monotonic()
        Http(port).request("GET", "/healthz")
        quick = quick + 1 if time.monotonic() - sent < 0.1 else 0
        time.sleep(0.2)
    return round(time.monotonic() - began, 1)


def run_wrk(url: str, headers: dict[str, str], seconds: int) -> dict[str, Any]:
    command = [
        "wrk",
        "-t",
        "2",
        "-c",
        str(CONNECTIONS),
        "-d",
        f"{seconds}s",
        "--timeout",
        f"{TIMEOUT_SECONDS}s",
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command += ["-s", str(ROOT / "bench" / "load.lua"), url]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    line = next(line for line in done.stdout.splitlines() if line.startswith("WRK_JSON "))
    raw = json.loads(line.removeprefix("WRK_JSON "))
    errors = raw["errors"]
    socket_errors = errors["connect"] + errors["read"] + errors["write"] + errors["timeout"]
    latency = raw["latency_us"]
    unanswered = 0
    if raw["requests"] == 0:
        # Not one answer within the run: the percentiles would read 0. Count every connection as failed.
        unanswered = CONNECTIONS
        latency = {key: max(value, raw["duration_us"]) for key, value in latency.items()}
    return {
        "requests": raw["requests"],
        "seconds": round(raw["duration_us"] / 1e6, 2),
        "requests_per_second": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": round(latency["p50"] / 1000, 1),
        "p95_ms": round(latency["p95"] / 1000, 1),
        "p99_ms": round(latency["p99"] / 1000, 1),
        "max_ms": round(latency["max"] / 1000, 1),
        "non_2xx": raw["non_2xx"],
        "statuses": raw["statuses"],
        "socket_errors": socket_errors,
        "socket_error_detail": {k: v for k, v in errors.items() if k != "status"},
        "unanswered": unanswered,
        "errors": raw["non_2xx"] + socket_errors + unanswered,
        "kb_per_response": round(raw["bytes"] / max(raw["requests"], 1) / 1024, 1),
    }


def _cpu_figures(before: dict, after: dict, requests: int) -> dict[str, Any]:
    """Server CPU per request (gunicorn's processes and Postgres): unlike the wall clock, it hardly moves
    with the neighbours' load on a shared machine, and it bounds the rate two idle cores could serve."""
    per = max(requests, 1)
    app_ms = (after["app"] - before["app"]) * 1000 / per
    pg_ms = None if after["postgres"] is None else (after["postgres"] - before["postgres"]) * 1000 / per
    total = app_ms + (pg_ms or 0)
    cores = os.cpu_count() or 1
    return {
        "app_cpu_ms_per_request": round(app_ms, 2),
        "postgres_cpu_ms_per_request": None if pg_ms is None else round(pg_ms, 2),
        "ceiling_requests_per_second_on_idle_cores": round(cores * 1000 / total, 1) if total > 0 else None,
    }


def targets(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    costs = results["costs_api"]
    worst = max(results.values(), key=lambda r: r["p99_ms"])
    errors = sum(r["errors"] for r in results.values())
    return {
        "costs_api_requests_per_second": costs["requests_per_second"],
        "costs_api_at_least_300_rps": costs["requests_per_second"] >= TARGET_COSTS_RPS,
        "costs_api_p99_ms": costs["p99_ms"],
        "costs_api_p99_under_150_ms": costs["p99_ms"] < TARGET_COSTS_P99_MS,
        "worst_p99_ms": worst["p99_ms"],
        "every_p99_under_1_s": worst["p99_ms"] < TARGET_ANY_P99_MS,
        "errors": errors,
        "zero_errors": errors == 0,
    }


def main() -> int:
    database = os.environ.get("DATABASE_URL", "")
    if not database.startswith(("postgres://", "postgresql://")) or not os.environ.get("REDIS_URL"):
        print(
            "bench.load needs Postgres and Redis: run it with `make bench` (it starts both).", file=sys.stderr
        )
        return 2
    if shutil.which("wrk") is None:
        print("bench.load needs wrk (Debian package wrk; `make bench` installs it).", file=sys.stderr)
        return 2
    _setup_django()
    from django.core.management import call_command

    from bench.dashboard import _fill
    from common import services

    call_command("migrate", "--noinput", verbosity=0)
    last_day = date.today() - timedelta(days=1)
    filled = _reuse(ROWS) if os.environ.get("BENCH_LOAD_REUSE") else None
    if filled is None:
        filled = _fill(ROWS, last_day)
    variances = seed_variances(last_day=last_day)
    user = seed_user()
    print(
        f"  {filled['rows']:,} cost rows in {filled['load_seconds']} s, {variances:,} variances", flush=True
    )

    OUT.mkdir(parents=True, exist_ok=True)
    static_root = OUT / "load-static"
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-load-not-a-production-secret-" + "x" * 20,
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "TRUST_X_FORWARDED_PROTO": "true",
        "STATIC_ROOT": str(static_root),
        "STATICFILES_STORAGE": "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "WHITENOISE_USE_FINDERS": "false",
        # One user drives the API as fast as it goes; the throttle itself (a Redis round trip) still runs.
        "API_THROTTLE_USER": "1000000/minute",
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    load_before = [round(v, 2) for v in os.getloadavg()]
    port = _free_port()
    server = start_gunicorn(port, env, OUT / "load-gunicorn.log")
    try:
        browser = log_in(port)
        token = services.api_token_create(user=user, name=f"load bench {int(time.time())}").key
        this_month = last_day.replace(day=1)
        year_ago = (this_month - timedelta(days=365)).replace(day=1)
        session = {"Cookie": f"sessionid={browser.cookies['sessionid']}"}
        api = {"Authorization": f"Token {token}", "Accept": "application/json"}
        team = filled["unit"]
        endpoints = {
            "overview": ("/dashboards/", session),
            "scope": (f"/dashboards/scope/business_unit/{team}/", session),
            "costs_api": (
                f"/api/v1/costs/?group_by=month,service&start={year_ago}&end={this_month}",
                api,
            ),
            "variance_list": ("/costs/variances/", session),
            "trivial_page": ("/account/", session),
            "trivial_api": (f"/api/v1/teams/{team}/", api),
        }
        results: dict[str, dict[str, Any]] = {}
        for name, (path, headers) in endpoints.items():
            sent = {"Host": "localhost", "X-Forwarded-Proto": "https", **headers}
            status, _, body = Http(port).request("GET", path, **headers)
            if status != 200:
                raise RuntimeError(f"{name} ({path}) answered {status}: {body[:300]}")
            url = f"http://127.0.0.1:{port}{path}"
            run_wrk(url, sent, WARMUP_SECONDS)
            drained = wait_until_idle(port)
            before = cpu_snapshot(server)
            figures = run_wrk(url, sent, SECONDS)
            after = cpu_snapshot(server)
            results[name] = {"path": path, **figures, **_cpu_figures(before, after, figures["requests"])}
            results[name]["idle_wait_before_s"] = drained
            wait_until_idle(port)
            r = results[name]
            print(
                f"    {name:<14}{r['requests_per_second']:>9.1f} req/s  p50 {r['p50_ms']:>7.1f}  p95 "
                f"{r['p95_ms']:>7.1f}  p99 {r['p99_ms']:>7.1f} ms  errors {r['errors']}  CPU/request app "
                f"{r['app_cpu_ms_per_request']} ms + pg {r['postgres_cpu_ms_per_request']} ms",
                flush=True,
            )
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    report = {
        "rows": filled["rows"],
        "variances": variances,
        "seconds_per_endpoint": SECONDS,
        "connections": CONNECTIONS,
        "gunicorn": {
            "workers": WORKERS,
            "threads": THREADS,
            "worker_class": "gthread" if THREADS > 1 else "sync",
        },
        "cores": os.cpu_count(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_before": load_before,
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
        "results": results,
        "targets": targets(results),
    }
    (OUT / "load.json").write_text(json.dumps(report, indent=2) + "\n")
    t = report["targets"]
    print(
        f"  costs API {t['costs_api_requests_per_second']} req/s (>= 300: {'met' if t['costs_api_at_least_300_rps'] else 'NOT met'}), "
        f"p99 {t['costs_api_p99_ms']} ms (< 150: {'met' if t['costs_api_p99_under_150_ms'] else 'NOT met'}); "
        f"worst p99 {t['worst_p99_ms']} ms (< 1000: {'met' if t['every_p99_under_1_s'] else 'NOT met'}); "
        f"errors {t['errors']} ({'met' if t['zero_errors'] else 'NOT met'})"
    )
    print(f"written to {OUT / 'load.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
