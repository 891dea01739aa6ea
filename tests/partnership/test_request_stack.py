"""What every request pays for, kept cheap without weakening anything: the idle-timeout stamp written once
a minute, no transaction for reads (writes still all-or-nothing), the role loaded with the user, and the
API throttle as one atomic Redis script."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver

from common import throttling
from common.services import api_token_create
from common.transactions import atomic_unless_safe
from partnership.sessions import LAST_SEEN, LOGIN_AT, activity_resolution
from stakeholders.models import Group, Role, Stakeholder, Team
from tests.partnership.helpers import age_session

PASSWORD = "a-long-enough-password-9"


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", "alice@example.com", PASSWORD)


def log_in(client):
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    return client


def stored_session(client) -> str:
    return Session.objects.get(session_key=client.session.session_key).session_data


class Statements:
    """The SQL a block of code sends (through the ORM's cursors)."""

    def __init__(self) -> None:
        self.sql: list[str] = []

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.sql.append(sql)
        return execute(sql, params, many, context)


# --- the idle-timeout stamp ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_request_within_the_resolution_of_the_stamp_does_not_write_the_session(client, alice):
    log_in(client)
    age_session(client, **{LAST_SEEN: activity_resolution() - 5})
    before = stored_session(client)
    statements = Statements()
    with connection.execute_wrapper(statements):
        response = client.get("/")
    assert response.status_code == 200
    assert "sessionid" not in response.cookies, "no fresh cookie for an unchanged session"
    assert stored_session(client) == before
    assert not [sql for sql in statements.sql if "django_session" in sql and sql.startswith("UPDATE")]


@pytest.mark.django_db
def test_a_stamp_older_than_the_resolution_is_rewritten(client, alice):
    log_in(client)
    age_session(client, **{LAST_SEEN: activity_resolution() + 1})
    response = client.get("/")
    assert response.status_code == 200
    assert "sessionid" in response.cookies
    assert time.time() - client.session[LAST_SEEN] < 5


@pytest.mark.django_db
def test_the_idle_timeout_is_exact_at_its_boundary(client, alice, settings):
    """The stamp is compared to the timeout as before: idle exactly the timeout is still in; a second
    more is out. With the stamp at most one resolution behind the last request, a session is logged
    out after between SESSION_IDLE_TIMEOUT - resolution and SESSION_IDLE_TIMEOUT idle seconds."""
    settings.SESSION_IDLE_TIMEOUT = 1800
    assert activity_resolution() == 60
    log_in(client)
    age_session(client, **{LAST_SEEN: 1800 - 2})  # two seconds' slack for a slow machine
    assert client.get("/").status_code == 200
    age_session(client, **{LAST_SEEN: 1801})
    response = client.get("/people/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_activity_within_the_resolution_does_not_extend_the_session(client, alice, settings):
    """The documented cost of the granularity: a request that leaves the stamp alone does not move the
    idle clock, so a session can end up to one resolution early, never late."""
    settings.SESSION_IDLE_TIMEOUT = 1800
    log_in(client)
    age_session(client, **{LAST_SEEN: 59})
    stamp = client.session[LAST_SEEN]
    assert client.get("/").status_code == 200
    assert client.session[LAST_SEEN] == stamp


@pytest.mark.django_db
def test_a_short_idle_timeout_gets_a_finer_resolution(client, alice, settings):
    settings.SESSION_IDLE_TIMEOUT = 60
    assert activity_resolution() == 6
    log_in(client)
    age_session(client, **{LAST_SEEN: 3})
    stamp = client.session[LAST_SEEN]
    client.get("/")
    assert client.session[LAST_SEEN] == stamp
    age_session(client, **{LAST_SEEN: 7})
    client.get("/")
    assert time.time() - client.session[LAST_SEEN] < 5


@pytest.mark.django_db
def test_a_session_without_stamps_is_stamped_and_kept(client, alice):
    log_in(client)
    session = client.session
    del session[LAST_SEEN]
    del session[LOGIN_AT]
    session.save()
    assert client.get("/").status_code == 200
    assert time.time() - client.session[LAST_SEEN] < 5 and time.time() - client.session[LOGIN_AT] < 5


# --- transactions: writes atomic, reads not --------------------------------------------------------


@pytest.fixture
def atomic_requests(monkeypatch):
    """ATOMIC_REQUESTS as settings.py sets it (whatever the test settings say)."""
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)


@pytest.mark.urls("tests.partnership.urls_transactions")
@pytest.mark.django_db(transaction=True)
def test_a_read_opens_no_transaction_and_a_write_does(client, atomic_requests):
    for method in ("get", "head", "options"):
        response = getattr(client, method)("/in-transaction/")
        assert response.status_code == 200
        if method == "get":
            assert response.json() == {"atomic": False}
    assert client.post("/in-transaction/").json() == {"atomic": True}
    assert client.put("/in-transaction/").json() == {"atomic": True}
    assert client.delete("/in-transaction/").json() == {"atomic": True}
    assert client.get("/write-then-refuse/").json() == {"atomic": False}


@pytest.mark.urls("tests.partnership.urls_transactions")
@pytest.mark.django_db(transaction=True)
def test_a_failing_post_rolls_back_every_write(client, atomic_requests):
    client.raise_request_exception = False
    assert client.post("/write-then-fail/").status_code == 500
    assert not Team.objects.filter(name__startswith="Half written").exists()


@pytest.mark.urls("tests.partnership.urls_transactions")
@pytest.mark.django_db(transaction=True)
def test_an_api_write_refused_after_writing_rolls_back(client, atomic_requests):
    response = client.post("/write-then-refuse/", {}, content_type="application/json")
    assert response.status_code == 400
    assert not Team.objects.filter(name="Written before the refusal").exists()


def test_every_view_of_the_product_decides_its_transaction_by_method():
    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                yield pattern

    patterns = list(walk(get_resolver().url_patterns))
    assert len(patterns) > 100
    unmarked = [str(p.pattern) for p in patterns if not getattr(p.callback, "_atomic_unless_safe", False)]
    assert unmarked == []
    # Django's handler leaves them alone; the wrapper applies ATOMIC_REQUESTS itself.
    assert all("default" in p.callback._non_atomic_requests for p in patterns)


def test_a_view_that_opted_out_of_atomic_requests_stays_out(rf, monkeypatch):
    from django.db import transaction

    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    seen = []

    @transaction.non_atomic_requests
    def view(request):
        seen.append(connection.in_atomic_block)
        return None

    wrapped = atomic_unless_safe(view)
    wrapped(rf.post("/"))
    assert seen == [False]


# --- the role comes with the user ------------------------------------------------------------------


def _stakeholder_lookups(sql: list[str]) -> list[str]:
    return [s for s in sql if s.startswith('SELECT "stakeholders_stakeholder"') and '"user_id" =' in s]


@pytest.fixture
def finance_alice(alice):
    Stakeholder.objects.create(
        name="Alice", email="alice@example.com", group=Group.FINANCE, role=Role.CFO, user=alice
    )
    return alice


@pytest.mark.django_db
def test_a_session_request_loads_the_role_with_the_user(client, finance_alice):
    log_in(client)
    statements = Statements()
    with connection.execute_wrapper(statements):
        response = client.get("/api/v1/budgets/")  # finance reads budgets; engineers would not
    assert response.status_code == 200
    assert _stakeholder_lookups(statements.sql) == []
    assert any(
        '"stakeholders_stakeholder"' in s and s.startswith('SELECT "auth_user"') for s in statements.sql
    )


@pytest.mark.django_db
def test_a_token_request_loads_the_role_with_the_token(client, finance_alice):
    key = api_token_create(user=finance_alice, name="bi").key
    statements = Statements()
    with connection.execute_wrapper(statements):
        response = client.get("/api/v1/budgets/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    assert _stakeholder_lookups(statements.sql) == []


@pytest.mark.django_db
def test_a_user_without_a_stakeholder_record_still_has_no_role(client, alice):
    log_in(client)
    assert client.get("/api/v1/budgets/").status_code == 403


# --- the API throttle on Redis ----------------------------------------------------------------------

needs_redis = pytest.mark.skipif(
    not isinstance(caches["default"], RedisCache),
    reason="the Redis throttle needs the Redis cache (REDIS_URL)",
)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def throttle(rate: str, clock: Clock) -> throttling.UserRateThrottle:
    class Throttle(throttling.UserRateThrottle):
        THROTTLE_RATES = {"user": rate}
        timer = staticmethod(clock)

    return Throttle()


def request_of(user_pk: int) -> SimpleNamespace:
    return SimpleNamespace(user=SimpleNamespace(is_authenticated=True, pk=user_pk), META={})


@needs_redis
def test_the_redis_throttle_is_a_sliding_window_like_drfs():
    clock = Clock(1_000_000.0)
    request = request_of(91)
    allowed = []
    for at in (0, 1, 2, 3):
        clock.now = 1_000_000.0 + at
        allowed.append(throttle("3/minute", clock).allow_request(request, None))
    assert allowed == [True, True, True, False]
    refused = throttle("3/minute", clock)
    clock.now = 1_000_000.0 + 30
    assert refused.allow_request(request, None) is False
    assert refused.wait() == pytest.approx(30.0)  # the oldest request leaves the window at 60 s
    clock.now = 1_000_000.0 + 60  # the first request (at 0) is now a full window old: it no longer counts
    assert throttle("3/minute", clock).allow_request(request, None) is True
    clock.now = 1_000_000.0 + 60.5  # refused requests were never counted: 1, 2 and 60 are in the window
    assert throttle("3/minute", clock).allow_request(request, None) is False
    clock.now = 1_000_000.0 + 61
    assert throttle("3/minute", clock).allow_request(request, None) is True


@needs_redis
def test_the_redis_throttle_counts_requests_sent_at_once():
    """DRF's read-modify-write of a cached list loses requests sent in parallel; the script does not."""
    clock = Clock(2_000_000.0)
    request = request_of(92)
    results: list[bool] = []
    start = threading.Barrier(20)

    def send() -> None:
        start.wait()
        results.append(throttle("10/minute", clock).allow_request(request, None))

    threads = [threading.Thread(target=send) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 10


@needs_redis
@pytest.mark.django_db
def test_a_throttled_api_request_says_when_to_retry(client, alice, monkeypatch):
    from rest_framework.throttling import UserRateThrottle

    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "2/minute", "anon": "2/minute"})
    log_in(client)
    statuses = [client.get("/api/v1/stakeholders/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    retry_after = int(client.get("/api/v1/stakeholders/")["Retry-After"])
    assert 50 <= retry_after <= 60


@pytest.mark.django_db
def test_a_refused_read_inside_an_open_transaction_rolls_back_only_its_own_savepoint(client, atomic_requests):
    """The test's own transaction stands in for any caller's: DRF's rollback of a refused request must
    not poison it (reads there keep their savepoint)."""
    assert client.get("/api/v1/stakeholders/").status_code in (401, 403)
    assert Team.objects.count() == 0  # the outer transaction still answers
