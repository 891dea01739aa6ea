"""The API's rate limits: DRF's sliding-window throttles, kept in Redis as one sorted set per client.

DRF's SimpleRateThrottle keeps each client's request times as a pickled list in the cache: every request
reads the whole list and writes it back (two round trips, and a list as long as the rate: 3,000 entries
for a user at the default 3000/minute, about 27 KB each way, unpickled and pickled again). Two requests
in flight at once read the same list and the second write drops the first one's entry, so a client that
sends requests in parallel is under-counted and can exceed its rate.

On Redis (production, and tests run under scripts/with-services.sh) the same sliding window is a sorted
set of request times per client, and one Lua script, run atomically by Redis in one round trip, drops
the times older than the window, counts what is left, and records this request only when it is allowed:
DRF's rule exactly (at most N requests in any window of the rate's length, refused requests not
counted, Retry-After computed as DRF does), without the race. On any other cache (the embedded default's
file cache) DRF's own implementation runs unchanged.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as default_cache
from django.core.cache.backends.redis import RedisCache
from rest_framework import throttling

from common.client import client_address

# KEYS[1]: the client's set. ARGV: now, window seconds, allowed requests, this request's member.
# Returns {allowed (0/1), requests in the window (this one included when allowed), oldest time or false}.
_SLIDING_WINDOW = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2] or false
if count >= limit then
  return {0, count, oldest}
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('EXPIRE', key, math.ceil(window))
return {1, count + 1, oldest or ARGV[1]}
"""

_scripts: dict[int, Any] = {}


def _sliding_window_script(client: Any) -> Any:
    script = _scripts.get(0)
    if script is None:
        script = _scripts[0] = client.register_script(_SLIDING_WINDOW)
    return script


def _write_client(backend: RedisCache) -> Any:
    """The backend's client for writes, made once: Django's RedisCache builds a new redis.Redis object
    (over the same connection pool) on every call, which costs more than the script's round trip.
    The backend object is per thread (django.core.cache.caches), so is the client kept on it."""
    client_factory = backend._cache
    client = client_factory.__dict__.get("_throttle_write_client")
    if client is None:
        client = client_factory.__dict__["_throttle_write_client"] = client_factory.get_client(write=True)
    return client


def _backend(cache: Any) -> Any:
    """The cache itself behind django.core.cache.cache (a proxy to this thread's default cache)."""
    return caches[DEFAULT_CACHE_ALIAS] if cache is default_cache else cache


class RedisSlidingWindowMixin:
    """Replaces SimpleRateThrottle's cache read-modify-write with one atomic Redis script."""

    cache = default_cache

    def allow_request(self, request: Any, view: Any) -> bool:
        backend = _backend(self.cache)
        if not isinstance(backend, RedisCache):
            return super().allow_request(request, view)  # type: ignore[misc]
        if self.rate is None:  # type: ignore[attr-defined]
            return True
        self.key = self.get_cache_key(request, view)  # type: ignore[attr-defined]
        if self.key is None:
            return True
        self.now = self.timer()  # type: ignore[attr-defined]
        client = _write_client(backend)
        member = f"{self.now!r}:{os.urandom(6).hex()}"  # unique: two requests may share a timestamp
        allowed, count, oldest = _sliding_window_script(client)(
            keys=[backend.make_key(f"{self.key}:window")],
            args=[repr(self.now), self.duration, self.num_requests, member],  # type: ignore[attr-defined]
            client=client,
        )
        self._count = int(count)
        self._oldest = float(oldest) if oldest else None
        return bool(allowed)

    def wait(self) -> float | None:
        """Seconds until a request would be allowed again, as DRF computes it from its history."""
        if not isinstance(_backend(self.cache), RedisCache):
            return super().wait()  # type: ignore[misc]
        duration = self.duration  # type: ignore[attr-defined]
        remaining = duration - (self.now - self._oldest) if self._oldest is not None else duration
        available = self.num_requests - self._count + 1  # type: ignore[attr-defined]
        if available <= 0:
            return None
        return remaining / float(available)


class AnonRateThrottle(RedisSlidingWindowMixin, throttling.AnonRateThrottle):
    def get_ident(self, request: Any) -> str:
        """The client as TRUSTED_PROXY_HOPS says to read it (DRF's own reading trusts any header)."""
        return client_address(request)


class UserRateThrottle(RedisSlidingWindowMixin, throttling.UserRateThrottle):
    pass
