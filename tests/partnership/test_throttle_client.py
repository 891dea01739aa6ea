"""The Redis throttle keeps one client per cache backend (Django's RedisCache builds a new client object
on every call, which cost more than the throttle's round trip), and still counts every request."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from common import throttling

pytestmark = pytest.mark.skipif(
    not isinstance(caches["default"], RedisCache),
    reason="the Redis throttle needs the Redis cache (REDIS_URL)",
)


def test_the_client_is_made_once_per_backend_and_writes_to_the_primary():
    backend = caches["default"]
    client = throttling._write_client(backend)
    assert throttling._write_client(backend) is client
    assert client.connection_pool is backend._cache._get_connection_pool(0)


def test_each_thread_has_its_own_backend_and_client():
    """django.core.cache.caches gives each thread its own backend object; the client lives on it."""
    here = throttling._write_client(caches["default"])
    there: list[object] = []
    thread = threading.Thread(target=lambda: there.append(throttling._write_client(caches["default"])))
    thread.start()
    thread.join()
    assert there and there[0] is not here


def test_requests_through_the_kept_client_are_all_counted():
    class Throttle(throttling.UserRateThrottle):
        THROTTLE_RATES = {"user": "5/minute"}

    request = SimpleNamespace(user=SimpleNamespace(is_authenticated=True, pk=4242), META={})
    allowed = [Throttle().allow_request(request, None) for _ in range(7)]
    assert allowed == [True] * 5 + [False] * 2
