"""The security review's login and address findings: the admin's login is counted like any other, the
client's address is read through the trusted proxies only (login backoff, API throttles, audit trail),
a lock backs off instead of shutting everyone out, the schema is for signed-in readers, DEBUG is off
unless asked for."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from audit.models import AuditLogEntry
from common.client import client_address
from common.models import ApiToken
from common.throttling import AnonRateThrottle
from partnership import services

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-enough-password-9"


@pytest.fixture
def staff(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("ops", "ops@example.com", PASSWORD, is_staff=True)


def admin_login(client: Client, password: str, address: str = "10.0.0.9") -> Any:
    return client.post(
        "/admin/login/?next=/admin/", {"username": "ops", "password": password}, REMOTE_ADDR=address
    )


def test_failed_admin_logins_are_counted_and_then_refused_even_with_the_right_password(client, staff):
    for _ in range(5):
        assert admin_login(client, "wrong-password").status_code == 200
    refused = admin_login(client, PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed attempts" in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_staff_still_sign_in_to_the_admin(client, staff):
    response = admin_login(client, PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/login/").status_code == 302, "signed-in staff go straight to the admin"


def test_the_admin_login_refuses_people_who_are_not_staff(client, django_user_model):
    django_user_model.objects.create_user("ann", "ann@example.com", PASSWORD)
    response = client.post("/admin/login/", {"username": "ann", "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (0, "198.51.100.7", "10.0.0.1"),  # no proxy trusted: the header is the client's to write
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the left entry is the client's own claim
        (2, "6.6.6.6, 198.51.100.7, 10.0.0.5", "198.51.100.7"),
        (3, "198.51.100.7", "198.51.100.7"),  # fewer entries than hops: the furthest one
        (1, "not-an-address", "10.0.0.1"),
        (1, "", "10.0.0.1"),
    ],
)
def test_the_client_address_is_read_through_the_trusted_proxies_only(settings, hops, forwarded, expected):
    settings.TRUSTED_PROXY_HOPS = hops
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_a_rotating_forwarded_header_does_not_give_the_api_throttle_a_new_client(settings):
    settings.TRUSTED_PROXY_HOPS = 0
    throttle = AnonRateThrottle()
    idents = {
        throttle.get_ident(
            RequestFactory().get("/api/v1/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        )
        for n in range(5)
    }
    assert idents == {"10.0.0.1"}


def test_behind_one_proxy_each_client_has_its_own_login_count(client, settings, django_user_model):
    settings.TRUSTED_PROXY_HOPS = 1
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    for _ in range(3):
        client.post(
            "/accounts/login/",
            {"username": "nobody-here", "password": "x"},
            REMOTE_ADDR="172.17.0.1",
            HTTP_X_FORWARDED_FOR="198.51.100.66",
        )
    django_user_model.objects.create_user("bea", "bea@example.com", PASSWORD)
    other = Client().post(
        "/accounts/login/",
        {"username": "bea", "password": PASSWORD},
        REMOTE_ADDR="172.17.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.77",
    )
    assert other.status_code == 302, "the proxy's address is not the client: others still sign in"


def test_the_audit_trail_records_the_client_behind_the_proxy(client, settings, django_user_model):
    settings.TRUSTED_PROXY_HOPS = 1
    django_user_model.objects.create_user("cid", "cid@example.com", PASSWORD)
    client.login(username="cid", password=PASSWORD)
    client.post(
        "/account/tokens/", {"name": "laptop"}, REMOTE_ADDR="172.17.0.1", HTTP_X_FORWARDED_FOR="198.51.100.8"
    )
    token = ApiToken.objects.get(name="laptop")
    entry = AuditLogEntry.objects.get(content_type__model="apitoken", object_id=token.pk)
    assert entry.remote_addr == "198.51.100.8"


def test_a_lock_backs_off_and_then_lets_the_next_attempt_through(settings, monkeypatch):
    settings.LOGIN_FAILURES_PER_ACCOUNT, settings.LOGIN_BACKOFF_SECONDS = 2, 30
    now = [1_000_000.0]
    monkeypatch.setattr(services.time, "time", lambda: now[0])
    for _ in range(2):
        services.login_failure_record(username="eve", address="10.0.0.2")
    assert services.login_locked(username="eve", address="10.0.0.3")
    now[0] += 31
    assert not services.login_locked(username="eve", address="10.0.0.3"), "the first wait is 30 s"
    services.login_failure_record(username="eve", address="10.0.0.2")
    now[0] += 59
    assert services.login_locked(username="eve", address="10.0.0.3"), "the next wait doubles"
    now[0] += 2
    assert not services.login_locked(username="eve", address="10.0.0.3")


def test_the_wait_is_capped_at_the_lockout(settings):
    settings.LOGIN_BACKOFF_SECONDS, settings.LOGIN_LOCKOUT_SECONDS = 30, 900
    assert services.login_backoff_seconds(failures=4, limit=5) == 0
    assert services.login_backoff_seconds(failures=5, limit=5) == 30
    assert services.login_backoff_seconds(failures=6, limit=5) == 60
    assert services.login_backoff_seconds(failures=40, limit=5) == 900


def test_the_schema_and_its_docs_are_for_signed_in_readers(django_user_model):
    anonymous = APIClient()
    assert anonymous.get("/api/v1/schema/").status_code in (401, 403)
    assert anonymous.get("/api/v1/docs/").status_code in (401, 403, 302)
    reader = APIClient()
    reader.force_authenticate(django_user_model.objects.create_user("reader", "r@example.com", PASSWORD))
    assert reader.get("/api/v1/schema/").status_code == 200
