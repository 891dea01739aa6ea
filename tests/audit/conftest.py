"""Fixtures for the audit trail's tests: people in each role, clients, and readers of the log."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from audit.models import AuditLogEntry
from stakeholders.models import Group, Role, Stakeholder

# The budget and variance fixtures (a cost source; an organisation with a team owning an account).
from tests.costdata.variance_fixtures import cost_source, org  # noqa: F401

PASSWORD = "a-long-audit-password-42"
CREATE, UPDATE, DELETE = AuditLogEntry.Action.CREATE, AuditLogEntry.Action.UPDATE, AuditLogEntry.Action.DELETE


def entries(obj, action=None):
    """The object's audit rows, oldest first."""
    rows = AuditLogEntry.objects.get_for_object(obj).order_by("pk")
    return list(rows if action is None else rows.filter(action=action))


def last(obj, action=None) -> AuditLogEntry:
    found = entries(obj, action)
    assert found, f"no audit row for {obj!r} (action {action})"
    return found[-1]


@pytest.fixture
def users(db):
    """admin (superuser), staff, finance, techlead, engineer; each role user has its stakeholder record."""
    User = get_user_model()
    result = {
        "admin": User.objects.create_superuser("root", "root@example.com", PASSWORD),
        "staff": User.objects.create_user("staffer", "staffer@example.com", PASSWORD, is_staff=True),
    }
    for username, group, role in [
        ("fin", Group.FINANCE, Role.FINANCIAL_CONTROLLER),
        ("lead", Group.TECHNOLOGY, Role.TECHNICAL_MANAGER),
        ("eng", Group.ENGINEERING, Role.ENGINEER),
    ]:
        user = User.objects.create_user(username, f"{username}@example.com", PASSWORD)
        Stakeholder.objects.create(
            name=username.title(), email=f"{username}@example.com", group=group, role=role, user=user
        )
        result[username] = user
    return result


@pytest.fixture
def browser(client, users):
    """A Django test client logged in as the named user."""

    def as_user(name: str):
        client.force_login(users[name])
        return client

    return as_user


@pytest.fixture
def api(users):
    """A DRF client authenticated with a real API token of the named user."""
    from common.services import api_token_create

    def as_user(name: str) -> APIClient:
        key = api_token_create(user=users[name], name="audit tests").key
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return as_user
