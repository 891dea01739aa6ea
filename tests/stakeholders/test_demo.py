"""The demo programme seed: every group staffed, the demo accounts owned, ROI stated, idempotent."""

from datetime import date

import pytest

from audit.models import AuditLogEntry
from stakeholders import selectors
from stakeholders.demo import TEAM_CLAIMS, demo_programme_people_seed
from stakeholders.known_accounts import KnownAccount
from stakeholders.models import Engagement, Group, Ownership, Stakeholder

DEMO_ACCOUNTS = {
    "210987654321": "payments-prod",
    "210987654322": "payments-staging",
    "310987654321": "search-prod",
    "410987654321": "data-platform",
    "510987654321": "marketing-web",
    "610987654321": "shared-services",
}
TODAY = date(2026, 11, 27)


@pytest.fixture
def seeded(db):
    # The demo users and teams as partnership/demo.py makes them; its cost-data pull is not needed here.
    from partnership.demo import demo_people_create

    demo_people_create(password="a-long-test-password-1")
    return demo_programme_people_seed(today=TODAY)


def test_the_seed_staffs_every_group(seeded):
    for group in Group.values:
        assert Stakeholder.objects.filter(group=group, active=True).count() >= 2, group


def test_the_extra_people_have_no_login_and_the_demo_users_keep_theirs(seeded):
    assert Stakeholder.objects.get(email="cfo@example.com").user is None
    assert Stakeholder.objects.get(email="finance@example.com").user.username == "finance"


def test_the_demo_teams_own_the_demo_accounts_and_tags(seeded):
    expected = {
        "210987654321": "Payments",
        "210987654322": "Payments",
        "310987654321": "Search",
        "410987654321": "Data",
        "510987654321": "Web",
        "610987654321": "Platform",
    }
    for account_id, team in expected.items():
        assert selectors.cost_owner_for(account_id=account_id, service="AWS Config").owner.name == team
    for value in ["payments", "search", "data", "web", "platform"]:
        match = selectors.cost_owner_for(account_id="610987654321", tags={"team": value})
        assert match.owner.name.lower() == value


def test_the_consultants_engagement_shows_an_roi(seeded):
    engagement = Engagement.objects.get(party__email="consultant@example.com")
    result = selectors.engagement_return(engagement)
    assert len(result.periods) == 5 and result.stated
    assert result.periods[0].roi_display == "30.0%"


def test_the_demo_programme_is_ready(seeded):
    accounts = [KnownAccount(account_id, name) for account_id, name in DEMO_ACCOUNTS.items()]
    readiness = selectors.programme_readiness(accounts=accounts)
    assert readiness.findings == []


def test_running_the_seed_twice_adds_nothing(seeded):
    counts = (
        Stakeholder.objects.count(),
        Ownership.objects.count(),
        Engagement.objects.count(),
        AuditLogEntry.objects.count(),
    )
    again = demo_programme_people_seed(today=TODAY)
    assert (again.people, again.ownerships, again.engagements, again.savings) == ([], [], [], 0)
    assert counts == (
        Stakeholder.objects.count(),
        Ownership.objects.count(),
        Engagement.objects.count(),
        AuditLogEntry.objects.count(),
    )
    assert Ownership.objects.count() == len(TEAM_CLAIMS)


def test_the_seed_works_without_the_demo_users(db):
    result = demo_programme_people_seed(today=TODAY)
    assert "Margaret Osei" in result.people
    assert not Engagement.objects.filter(party__email="consultant@example.com").exists()
