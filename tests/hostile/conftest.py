"""People for the hostile-input tests: an admin and a finance lead with API clients."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from stakeholders.models import Group, Role, Stakeholder

PASSWORD = "hostile-pass-123456"


@pytest.fixture
def admin_user(db, django_user_model):
    return django_user_model.objects.create_superuser("hostile-admin", "admin@example.com", PASSWORD)


@pytest.fixture
def finance_user(db, django_user_model):
    user = django_user_model.objects.create_user("hostile-finance", "finance@example.com", PASSWORD)
    Stakeholder.objects.create(
        name="Fin Lead",
        email="finance@example.com",
        group=Group.FINANCE,
        role=Role.FINANCIAL_CONTROLLER,
        user=user,
    )
    return user


@pytest.fixture
def admin_api(admin_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


@pytest.fixture
def finance_api(finance_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(finance_user)
    return client


@pytest.fixture
def admin_browser(client, admin_user):
    client.force_login(admin_user)
    return client
