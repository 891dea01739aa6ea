"""Sessions (rotation, idle and absolute timeouts, logout), login throttling, API tokens and throttling."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone
from rest_framework.throttling import UserRateThrottle

from common.models import ApiToken
from partnership.sessions import LAST_SEEN, LOGIN_AT
from tests.partnership.helpers import age_session

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-enough-password-9"


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", "alice@example.com", PASSWORD)


def log_in(client, username="alice", password=PASSWORD, address="10.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_logging_in_rotates_the_session_key(client, alice):
    client.get("/accounts/login/")
    client.session.save()
    before = client.session.session_key
    assert log_in(client).status_code == 302
    assert client.session.session_key != before


def test_an_active_session_stays_logged_in_and_is_marked_seen(client, alice):
    log_in(client)
    age_session(client, **{LAST_SEEN: 29 * 60})
    assert client.get("/").status_code == 200
    assert time.time() - client.session[LAST_SEEN] < 5


def test_thirty_minutes_idle_logs_the_user_out(client, alice):
    log_in(client)
    key = client.session.session_key
    age_session(client, **{LAST_SEEN: 31 * 60})
    response = client.get("/people/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=%2Fpeople%2F")
    assert not Session.objects.filter(session_key=key).exists(), "the old session is gone from the server"
    assert client.get("/").status_code == 302


def test_the_idle_timeout_is_configurable(client, alice, settings):
    settings.SESSION_IDLE_TIMEOUT = 60
    log_in(client)
    age_session(client, **{LAST_SEEN: 61})
    assert client.get("/").status_code == 302


def test_twelve_hours_after_login_the_session_ends_however_active(client, alice):
    log_in(client)
    age_session(client, **{LOGIN_AT: 12 * 3600 + 1, LAST_SEEN: 10})
    assert client.get("/").status_code == 302


def test_an_expired_session_gets_401_from_the_api_not_a_redirect(client, alice):
    log_in(client)
    age_session(client, **{LAST_SEEN: 31 * 60})
    assert client.get("/api/v1/sources/").status_code in (401, 403)


def test_logging_out_invalidates_the_session_on_the_server(client, alice):
    log_in(client)
    key = client.session.session_key
    client.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=key).exists()


def test_five_failures_lock_the_account_even_for_the_right_password(client, alice):
    for _ in range(5):
        assert log_in(client, password="wrong").status_code == 200
    locked = log_in(client)
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_account_lock_does_not_lock_other_accounts(client, alice, django_user_model):
    django_user_model.objects.create_user("bob", password=PASSWORD)
    for _ in range(5):
        log_in(client, password="wrong")
    assert log_in(client, username="bob", address="10.0.0.2").status_code == 302


def test_one_address_trying_many_accounts_is_locked(client, alice):
    for n in range(20):
        log_in(client, username=f"guess{n}", password="wrong", address="203.0.113.9")
    assert log_in(client, address="203.0.113.9").status_code == 429
    assert log_in(client, address="198.51.100.7").status_code == 302, "other addresses still get in"


def test_a_success_clears_the_accounts_failures(client, alice):
    for _ in range(4):
        log_in(client, password="wrong")
    assert log_in(client).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(4):
        log_in(client, password="wrong")
    assert log_in(client).status_code == 302


def test_a_token_is_shown_once_works_on_the_api_and_is_stored_only_as_a_digest(client, alice):
    log_in(client)
    created = client.post("/account/tokens/", {"name": "BI export"})
    assert created.status_code == 201
    key = created.content.decode().split('id="new-token-key">')[1].split("<")[0]
    assert len(key) == 40
    assert key not in str(dict(client.session)), "the key is never kept in the session"
    assert key not in client.get("/account/").content.decode(), "shown once only"
    token = ApiToken.objects.get(user=alice)
    assert token.digest != key and key not in token.digest and token.prefix == key[:8]
    api = client.__class__()
    # Alice has no stakeholder record: no costs for her, but the people list answers (empty).
    response = api.get("/api/v1/stakeholders/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


def test_a_revoked_token_is_refused(client, alice):
    log_in(client)
    created = client.post("/account/tokens/", {"name": "CI"})
    key = created.content.decode().split('id="new-token-key">')[1].split("<")[0]
    token = ApiToken.objects.get(user=alice)
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 302
    response = client.__class__().get("/api/v1/sources/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401


def test_nobody_revokes_another_users_token(client, alice, django_user_model):
    bob = django_user_model.objects.create_user("bob", password=PASSWORD)
    from common.services import api_token_create

    bobs = api_token_create(user=bob, name="bob's").token
    log_in(client)
    assert client.post(f"/account/tokens/{bobs.pk}/revoke/").status_code == 404
    assert ApiToken.objects.get(pk=bobs.pk).active


def test_a_token_needs_a_name(client, alice):
    log_in(client)
    client.post("/account/tokens/", {"name": "   "})
    assert not ApiToken.objects.exists()
    assert "Name the token" in client.get("/account/").content.decode()


def test_an_unknown_token_is_refused(client):
    assert client.get("/api/v1/sources/", HTTP_AUTHORIZATION="Token " + "0" * 40).status_code == 401


def test_the_api_throttles_a_user_past_the_rate(client, alice, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/minute", "anon": "3/minute"})
    log_in(client)
    statuses = [client.get("/api/v1/stakeholders/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_pages_carry_a_content_security_policy_without_inline_script(client, alice):
    log_in(client)
    policy = client.get("/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"


def test_a_token_stops_working_on_its_expiry_day(client, alice):
    log_in(client)
    tomorrow = timezone.localdate() + timedelta(days=1)
    created = client.post("/account/tokens/", {"name": "contractor", "expires_on": tomorrow.isoformat()})
    key = created.content.decode().split('id="new-token-key">')[1].split("<")[0]
    api = client.__class__()
    assert api.get("/api/v1/stakeholders/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    ApiToken.objects.filter(name="contractor").update(expires_at=timezone.now() - timedelta(seconds=1))
    refused = api.get("/api/v1/stakeholders/", HTTP_AUTHORIZATION=f"Token {key}")
    assert refused.status_code == 401 and "expired" in refused.json()["detail"]
    assert "expired" in client.get("/account/").content.decode()


def test_an_expiry_today_or_before_is_refused_with_its_field(client, alice):
    log_in(client)
    client.post("/account/tokens/", {"name": "x", "expires_on": timezone.localdate().isoformat()})
    client.post("/account/tokens/", {"name": "y", "expires_on": "next week"})
    assert not ApiToken.objects.exists()
    page = client.get("/account/").content.decode()
    assert "Choose a day after today" in page and "YYYY-MM-DD" in page


def test_an_admin_lists_and_revokes_anyones_tokens_but_never_sees_or_makes_a_key(
    client, alice, django_user_model
):
    from common.services import api_token_create

    issued = api_token_create(user=alice, name="BI export")
    django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)
    admin = client.__class__()
    admin.login(username="root", password=PASSWORD)
    listing = admin.get("/admin/common/apitoken/").content.decode()
    assert "BI export" in listing and issued.key not in listing
    assert (
        issued.token.digest
        not in admin.get(f"/admin/common/apitoken/{issued.token.pk}/change/").content.decode()
    )
    assert admin.get("/admin/common/apitoken/add/").status_code == 403
    admin.post(
        "/admin/common/apitoken/", {"action": "revoke", "_selected_action": [issued.token.pk]}, follow=True
    )
    assert ApiToken.objects.get(pk=issued.token.pk).revoked_at is not None
    api = client.__class__()
    assert api.get("/api/v1/stakeholders/", HTTP_AUTHORIZATION=f"Token {issued.key}").status_code == 401


def test_the_token_admin_is_for_admins_only(client, alice):
    log_in(client)
    response = client.get("/admin/common/apitoken/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
