"""Writes of the project itself: the login throttle.

Failures are counted per account and per client address (common/client.py) in the shared cache (Redis
in production), so every web worker sees the same counts. Past a limit, each further failure doubles
the wait before the next attempt is heard: LOGIN_BACKOFF_SECONDS, 2x, 4x... up to LOGIN_LOCKOUT_SECONDS.
So nobody can lock an account or an address for long with a burst of bad passwords, and guessing slows
to a crawl. Counts are forgotten LOGIN_LOCKOUT_SECONDS after the last failure; a success clears the
account's count.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache


def _keys(*, username: str, address: str) -> list[str]:
    return [f"login-failures:user:{username.strip().lower()}", f"login-failures:addr:{address}"]


def login_backoff_seconds(*, failures: int, limit: int) -> float:
    """How long after the last failure the next attempt must wait (0 below the limit)."""
    if failures < limit:
        return 0.0
    return float(
        min(settings.LOGIN_BACKOFF_SECONDS * 2 ** (failures - limit), settings.LOGIN_LOCKOUT_SECONDS)
    )


def login_locked(*, username: str, address: str) -> bool:
    limits = (settings.LOGIN_FAILURES_PER_ACCOUNT, settings.LOGIN_FAILURES_PER_ADDRESS)
    now = time.time()
    for key, limit in zip(_keys(username=username, address=address), limits, strict=True):
        failures = cache.get(key, 0)
        last = cache.get(f"{key}:last", 0.0)
        if now < last + login_backoff_seconds(failures=failures, limit=limit):
            return True
    return False


def login_failure_record(*, username: str, address: str) -> None:
    timeout = settings.LOGIN_LOCKOUT_SECONDS
    for key in _keys(username=username, address=address):
        cache.add(key, 0, timeout=timeout)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=timeout)
        cache.touch(key, timeout)
        cache.set(f"{key}:last", time.time(), timeout=timeout)


def login_success_record(*, username: str) -> None:
    key = _keys(username=username, address="-")[0]
    cache.delete_many([key, f"{key}:last"])
