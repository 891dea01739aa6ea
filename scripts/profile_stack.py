"""Profile the per-request stack in-process: Django's test client, Postgres and Redis, production settings.

    bash scripts/with-services.sh /work/main/.venv/bin/python scripts/profile_stack.py [N] [--top K]
    ... scripts/profile_stack.py [N] --cpu-only   (no profiler: least and median CPU of 7 rounds of N)

Seeds a finance lead with a session and an API token, a business unit and a few cost rows, then for each
of a trivial page (session), a trivial API request (session, then token) and the costs API (token) runs N
requests (default 500) under cProfile after a warm-up, and prints CPU ms per request, the SQL statements
and cache calls per request, and the functions that cost the most (cumulative). Run it before and after a
change to the middleware or the settings to see what the change bought.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnership.settings")
os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", "profile-stack-not-a-production-secret-" + "x" * 20)
os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
os.environ["TRUST_X_FORWARDED_PROTO"] = "true"
os.environ["API_THROTTLE_USER"] = "1000000/minute"
os.environ["LOG_LEVEL"] = "WARNING"


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    count = int(args[0]) if args else 500
    top = int(sys.argv[sys.argv.index("--top") + 1]) if "--top" in sys.argv else 25
    database = os.environ.get("DATABASE_URL", "")
    if not database.startswith(("postgres://", "postgresql://")) or not os.environ.get("REDIS_URL"):
        print("run under scripts/with-services.sh (Postgres and Redis)", file=sys.stderr)
        return 2
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from common import services
    from costdata.models import CostSource, DailyCost
    from stakeholders.models import Team

    call_command("migrate", "--noinput", verbosity=0)
    from bench.load import PASSWORD, USERNAME, seed_user

    user = seed_user()  # a finance lead, the one the load benchmark logs in as
    team, _ = Team.objects.get_or_create(name="Profile unit", kind=Team.Kind.BUSINESS_UNIT)
    source, _ = CostSource.objects.get_or_create(name="profile", defaults={"kind": CostSource.Kind.DEMO})
    if not DailyCost.objects.exists():
        start = date.today().replace(day=1) - timedelta(days=90)
        DailyCost.objects.bulk_create(
            DailyCost(
                source=source,
                day=start + timedelta(days=d),
                account_id=f"{100000000000 + a:012d}",
                service=f"Service {s}",
                unblended=Decimal("1.2345"),
                amortized=Decimal("1.2345"),
                currency="USD",
            )
            for d in range(90)
            for a in range(3)
            for s in range(5)
        )
        # As every writer of the facts does: the dashboards and the costs API read the rollups.
        from costdata.facts.services import daily_rollup_rebuild, monthly_rollup_rebuild

        daily_rollup_rebuild(source=source, start=start, end=start + timedelta(days=90))
        monthly_rollup_rebuild(source=source, start=start, end=start + timedelta(days=90))
    token = services.api_token_create(user=user, name=f"profile {int(time.time())}").key
    this_month = date.today().replace(day=1)
    year_ago = (this_month - timedelta(days=365)).replace(day=1)

    browser = Client(HTTP_X_FORWARDED_PROTO="https")
    assert browser.login(username=USERNAME, password=PASSWORD)
    # Client.login skips the login view: stamp the session as the login view does.
    from partnership.sessions import session_started

    class _R:  # the session of the client, seen as a request's
        session = browser.session

    session_started(_R)  # type: ignore[arg-type]
    _R.session.save()
    api = Client(
        HTTP_X_FORWARDED_PROTO="https", HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT="application/json"
    )
    cases = [
        ("trivial page, session", browser, "/account/"),
        ("trivial API, session", browser, f"/api/v1/teams/{team.pk}/"),
        ("trivial API, token", api, f"/api/v1/teams/{team.pk}/"),
        ("costs API, token", api, f"/api/v1/costs/?group_by=month,service&start={year_ago}&end={this_month}"),
    ]
    for name, client, path in cases:
        for _ in range(30):
            response = client.get(path)
            assert response.status_code == 200, (name, response.status_code, response.content[:300])
        calls = {"n": 0}
        originals = {}
        for method in ("get", "set", "add", "incr", "get_many", "delete", "touch"):
            original = getattr(cache, method)
            originals[method] = original

            def counted(*a, _original=original, _calls=calls, **k):
                _calls["n"] += 1
                return _original(*a, **k)

            setattr(cache, method, counted)
        queries: list[str] = []

        def record(execute, sql, params, many, context, _queries=queries):
            _queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            client.get(path)
        for method, original in originals.items():
            setattr(cache, method, original)
        if "--cpu-only" in sys.argv:
            # Robust under a loaded machine: the least CPU of several rounds (contention only adds).
            rounds = []
            for _ in range(7):
                started_cpu = time.process_time()
                for _ in range(count):
                    client.get(path)
                rounds.append((time.process_time() - started_cpu) * 1000 / count)
            rounds.sort()
            print(
                f"{name:<24} CPU per request: least {rounds[0]:.2f} ms, median {rounds[3]:.2f} ms; "
                f"{len(queries)} SQL statements, {calls['n']} cache calls"
            )
            continue
        profiler = cProfile.Profile()
        started_cpu, started = time.process_time(), time.perf_counter()
        profiler.enable()
        for _ in range(count):
            client.get(path)
        profiler.disable()
        if os.environ.get("PROFILE_DUMP_DIR"):
            slug = "".join(c if c.isalnum() else "-" for c in name)
            profiler.dump_stats(str(Path(os.environ["PROFILE_DUMP_DIR"]) / f"{slug}.prof"))
        cpu_ms = (time.process_time() - started_cpu) * 1000 / count
        wall_ms = (time.perf_counter() - started) * 1000 / count
        print(f"\n=== {name}: {path}")
        print(
            f"    {cpu_ms:.2f} ms CPU, {wall_ms:.2f} ms wall per request (profiled); "
            f"{len(queries)} SQL statements, {calls['n']} cache calls per request"
        )
        for sql in queries:
            print(f"      SQL {sql[:160]}")
        for order in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(top)
            print(f"    -- by {order}")
            print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))
        started_cpu = time.process_time()
        for _ in range(count):
            client.get(path)
        print(f"    unprofiled: {(time.process_time() - started_cpu) * 1000 / count:.2f} ms CPU per request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
