"""Token authentication reads the token, its user and the user's role in one statement, and the
database stays the truth: every change to the token or the user counts from the next request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from common.models import ApiToken
from common.services import api_token_create, api_token_revoke
from stakeholders.models import Group, Role, Stakeholder

pytestmark = pytest.mark.django_db

BUDGETS = "/api/v1/budgets/"  # finance reads budgets; third parties and people without a role do not


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("fiona", "fiona@example.com", "a-long-test-password-1")


@pytest.fixture
def finance(user):
    return Stakeholder.objects.create(
        name="Fiona", email="fiona@example.com", group=Group.FINANCE, role=Role.CFO, user=user
    )


@pytest.fixture
def key(user) -> str:
    return api_token_create(user=user, name="bi").key


def get(client, key: str, url: str = BUDGETS):
    return client.get(url, HTTP_AUTHORIZATION=f"Token {key}")


def statements(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_a_token_request_reads_the_token_user_and_role_in_one_statement(client, finance, key):
    get(client, key)  # stamps the token's last use (once a minute)
    with CaptureQueriesContext(connection) as queries:
        assert get(client, key, "/api/v1/teams/").status_code == 200
    reads = [s for s in statements(queries) if "partnership_apitoken" in s or "stakeholders_stakeholder" in s]
    assert len(reads) == 1 and "auth_user" in reads[0]


def test_the_last_use_is_stamped_at_most_once_a_minute(client, finance, key):
    assert get(client, key).status_code == 200
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    assert get(client, key).status_code == 200
    assert ApiToken.objects.get().last_used_at == first
    ApiToken.objects.update(last_used_at=first - timedelta(minutes=2))
    assert get(client, key).status_code == 200
    assert ApiToken.objects.get().last_used_at > first - timedelta(minutes=1)


def test_a_deleted_token_is_refused_on_the_next_request(client, finance, key):
    assert get(client, key).status_code == 200
    ApiToken.objects.all().delete()
    assert get(client, key).status_code == 401


def test_a_revoked_token_is_refused_on_the_next_request(client, user, finance, key):
    assert get(client, key).status_code == 200
    api_token_revoke(user=user, token_id=ApiToken.objects.get().pk)
    assert get(client, key).status_code == 401


def test_a_deactivated_user_is_refused_on_the_next_request(client, user, finance, key):
    assert get(client, key).status_code == 200
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    response = get(client, key)
    assert response.status_code == 401 and "inactive" in response.json()["detail"]


def test_a_deleted_user_is_refused_on_the_next_request(client, user, finance, key):
    assert get(client, key).status_code == 200
    user.delete()
    assert get(client, key).status_code == 401


def test_a_role_taken_away_counts_from_the_next_request(client, finance, key):
    assert get(client, key).status_code == 200
    Stakeholder.objects.filter(pk=finance.pk).update(group=Group.THIRD_PARTY, role=Role.CONSULTANT)
    assert get(client, key).status_code == 403
    Stakeholder.objects.filter(pk=finance.pk).update(group=Group.FINANCE, role=Role.CFO)
    assert get(client, key).status_code == 200
    Stakeholder.objects.filter(pk=finance.pk).update(active=False)
    assert get(client, key).status_code == 403


def test_a_stakeholder_record_unlinked_leaves_no_role(client, finance, key):
    assert get(client, key).status_code == 200
    Stakeholder.objects.filter(pk=finance.pk).update(user=None)
    assert get(client, key).status_code == 403


def test_a_made_admin_reads_as_one_at_once(client, user, key):
    assert get(client, key).status_code == 403
    get_user_model().objects.filter(pk=user.pk).update(is_staff=True, last_login=timezone.now())
    assert get(client, key).status_code == 200
