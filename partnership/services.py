"""Writes of the project itself: the login throttle."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache


# --- login throttle ------------------------------------------------------------------------------
# Failures are counted per account and per client address in the shared cache (Redis in production),
# so every web worker sees the same count. Success clears the account's count.
def _keys(*, username: str, address: str) -> list[str]:
    return [f"login-failures:user:{username.strip().lower()}", f"login-failures:addr:{address}"]


def login_locked(*, username: str, address: str) -> bool:
    limits = (settings.LOGIN_FAILURES_PER_ACCOUNT, settings.LOGIN_FAILURES_PER_ADDRESS)
    counts = [cache.get(key, 0) for key in _keys(username=username, address=address)]
    return any(count >= limit for count, limit in zip(counts, limits, strict=True))


def login_failure_record(*, username: str, address: str) -> None:
    for key in _keys(username=username, address=address):
        cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)


def login_success_record(*, username: str) -> None:
    cache.delete(_keys(username=username, address="-")[0])
