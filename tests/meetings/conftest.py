"""Fixtures for the programme's tests: one person per role, and a monthly cadence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from meetings import services
from stakeholders.models import Group, Role, Stakeholder
from tests.costdata.variance_fixtures import cost_source, org  # noqa: F401  (fixtures for the meetings tests about variances)

PASSWORD = "a-long-test-password-42"
# A fixed "now" for scheduling tests: Wednesday 14 January 2026, 12:00 UTC.
NOW = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)


@dataclass
class Person:
    user: object
    stakeholder: Stakeholder | None


ROLES = {
    "finance": (Group.FINANCE, Role.FINANCIAL_CONTROLLER, "Fiona Finance"),
    "techlead": (Group.TECHNOLOGY, Role.TECHNICAL_MANAGER, "Tom Techlead"),
    "buowner": (Group.BUSINESS_UNIT, Role.BUSINESS_UNIT_OWNER, "Bea Business"),
    "engineer": (Group.ENGINEERING, Role.ENGINEER, "Erik Engineer"),
    "engineer2": (Group.ENGINEERING, Role.ENGINEER, "Eve Engineer"),
    "consultant": (Group.THIRD_PARTY, Role.CONSULTANT, "Chloe Consultant"),
}


@pytest.fixture
def people(db, settings) -> dict[str, Person]:
    # A fast hasher: seven users with the production hasher cost seconds per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    User = get_user_model()
    result = {"admin": Person(User.objects.create_superuser("admin", "admin@example.com", PASSWORD), None)}
    for username, (group, role, name) in ROLES.items():
        user = User.objects.create_user(username, f"{username}@example.com", PASSWORD)
        stakeholder = Stakeholder.objects.create(
            name=name, email=f"{username}@example.com", group=group, role=role, user=user
        )
        result[username] = Person(user, stakeholder)
    result["outsider"] = Person(User.objects.create_user("outsider", "outsider@example.com", PASSWORD), None)
    return result


@pytest.fixture
def monthly(people) -> object:
    """Second Tuesday of the month, 10:00 London, from 13 January 2026; three meetings kept ahead of NOW."""
    return services.cadence_create(
        name="Monthly cost review",
        rrule="FREQ=MONTHLY;BYDAY=+2TU",
        timezone_name="Europe/London",
        starts_on=date(2026, 1, 13),
        start_time=time(10, 0),
        participants=[people["finance"].stakeholder, people["engineer"].stakeholder],
        participant_groups=[Group.TECHNOLOGY],
        now=NOW,
    )


@pytest.fixture
def api(people):
    def client_for(role: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(people[role].user)
        return client

    return client_for
