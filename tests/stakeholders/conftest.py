"""Fixtures for the stakeholders tests: a person in every role, with and without a login."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from stakeholders.models import Group, Role, Stakeholder, Team

PASSWORD = "a-long-test-password-1"
_counter = itertools.count(1)

ROLE_OF = {
    "finance": (Group.FINANCE, Role.FINANCIAL_CONTROLLER),
    "techlead": (Group.TECHNOLOGY, Role.TECHNICAL_MANAGER),
    "buowner": (Group.BUSINESS_UNIT, Role.BUSINESS_UNIT_OWNER),
    "engineer": (Group.ENGINEERING, Role.ENGINEER),
    "thirdparty": (Group.THIRD_PARTY, Role.CONSULTANT),
}


def make_person(
    *, group: str = Group.ENGINEERING, role: str = Role.ENGINEER, name: str = "", **extra
) -> Stakeholder:
    n = next(_counter)
    return Stakeholder.objects.create(
        name=name or f"Person {n}", email=f"person{n}@example.com", group=group, role=role, **extra
    )


def make_user(kind: str):
    User = get_user_model()
    n = next(_counter)
    if kind == "admin":
        return User.objects.create_user(f"admin{n}", f"admin{n}@example.com", PASSWORD, is_staff=True)
    user = User.objects.create_user(f"{kind}{n}", f"{kind}{n}@example.com", PASSWORD)
    if kind in ROLE_OF:
        group, role = ROLE_OF[kind]
        make_person(group=group, role=role, user=user, name=f"{kind.title()} {n}")
    return user


@pytest.fixture
def person():
    return make_person


@pytest.fixture
def user_for():
    """user_for("finance") -> a user whose stakeholder is in that group; "admin"; "nobody" (no record)."""
    return make_user


@pytest.fixture
def team(db):
    return Team.objects.create(name="Payments", kind=Team.Kind.TEAM)


@pytest.fixture
def other_team(db):
    return Team.objects.create(name="Search", kind=Team.Kind.TEAM)


@pytest.fixture
def api_as():
    def client_for(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return client_for
