"""Container health checks, run by Docker from docker-compose.yml's `healthcheck:` entries.

    python docker/healthcheck.py web [--url URL]
        GET the local /healthz (database and broker status) with a Host header the settings allow
        (the first ALLOWED_HOSTS entry; a request for 127.0.0.1 would be refused as a bad host).
        Healthy on HTTP 200; /healthz answers 503 when the database or the broker is down.
    python docker/healthcheck.py dependencies
        Boot Django and check the database and the Celery broker the same way /healthz does. For beat,
        which has no HTTP port and answers no remote-control ping: it needs both to do its work.

Exits 0 when healthy, 1 otherwise, printing one line that says why.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:8000/healthz"


def allowed_host() -> str | None:
    """A host name Django will accept, from ALLOWED_HOSTS as settings read it (comma-separated)."""
    for entry in os.environ.get("ALLOWED_HOSTS", "").split(","):
        entry = entry.strip()
        if entry and entry != "*":
            # ".example.com" allows example.com and its subdomains.
            return entry.lstrip(".")
    return None


def check_web(url: str, timeout: float) -> tuple[bool, str]:
    headers = {"Accept": "application/json"}
    host = allowed_host()
    if host:
        headers["Host"] = host
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(4096).decode("utf-8", "replace")
            return response.status == 200, f"{response.status} {body}"
    except urllib.error.HTTPError as exc:
        return False, f"{exc.code} {exc.read(4096).decode('utf-8', 'replace')}"
    except (urllib.error.URLError, OSError) as exc:
        return False, f"unreachable: {exc}"


def check_dependencies() -> tuple[bool, str]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnership.settings")
    import django

    django.setup()
    from partnership import health

    status = {"database": health.database_status(), "broker": health.broker_status()}
    return all(part["ok"] for part in status.values()), json.dumps(status, sort_keys=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    checks = parser.add_subparsers(dest="check", required=True)
    web = checks.add_parser("web", help="GET /healthz on the local web server")
    web.add_argument("--url", default=DEFAULT_URL)
    web.add_argument("--timeout", type=float, default=5.0)
    checks.add_parser("dependencies", help="check the database and the broker from this container")
    args = parser.parse_args(argv)

    if args.check == "web":
        healthy, detail = check_web(args.url, args.timeout)
    else:
        healthy, detail = check_dependencies()
    print(("healthy " if healthy else "unhealthy ") + detail.replace("\n", " "))
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
