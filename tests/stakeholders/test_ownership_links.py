"""The ownership table offers "Manage" on a claim exactly when its edit page opens for the viewer.

A technology lead manages their own teams' claims (and those of people in their teams), not other
teams': the link follows permissions.can_manage_claim, the edit view's own rule, for every role.
"""

from __future__ import annotations

import re

import pytest

from stakeholders import services
from stakeholders.models import Group, Role, Team

pytestmark = pytest.mark.django_db

ROLES = ["admin", "finance", "techlead", "buowner", "engineer"]


@pytest.fixture
def claims(person, user_for):
    """Claims by the lead's team, another team, a person in the lead's team and a person in no team;
    one account is claimed by both teams, so one table lists a claim the lead manages beside one they
    do not."""
    mine = Team.objects.create(name="Payments", kind=Team.Kind.TEAM)
    theirs = Team.objects.create(name="Search", kind=Team.Kind.TEAM)
    teammate = person(group=Group.ENGINEERING, role=Role.ENGINEER, name="Pat Teammate")
    mine.members.add(teammate)
    outsider = person(group=Group.ENGINEERING, role=Role.ENGINEER, name="Olu Outsider")
    lead = user_for("techlead")
    mine.members.add(lead.stakeholder)
    made = {
        "my team's": services.ownership_create(
            scope_kind="account", scope_value="111111111111", owner_team=mine
        ),
        "other team's": services.ownership_create(
            scope_kind="account", scope_value="222222222222", owner_team=theirs
        ),
        "other team's on my scope": services.ownership_create(
            scope_kind="account", scope_value="111111111111", owner_team=theirs
        ),
        "my teammate's": services.ownership_create(
            scope_kind="service", scope_value="Amazon S3", owner_stakeholder=teammate
        ),
        "an outsider's": services.ownership_create(
            scope_kind="service", scope_value="AWS Lambda", owner_stakeholder=outsider
        ),
    }
    return {"claims": made, "lead": lead, "mine": mine, "theirs": theirs, "teammate": teammate}


def manage_links(page: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'href="/ownership/(\d+)/">Manage</a>', page)}


def pages_listing_claims(setup) -> dict[str, set[str]]:
    """Each page with an ownership table, and the claims its table lists."""
    account = setup["claims"]["my team's"].scope_value
    return {
        "/ownership/": set(setup["claims"]),
        f"/teams/{setup['mine'].pk}/": {"my team's"},
        f"/teams/{setup['theirs'].pk}/": {"other team's", "other team's on my scope"},
        f"/people/{setup['teammate'].pk}/": {"my team's", "my teammate's"},
        f"/ownership/new/?scope_kind=account&scope_value={account}": {
            "my team's",
            "other team's on my scope",
        },
    }


@pytest.mark.parametrize("role", ROLES)
def test_the_manage_link_shows_exactly_where_the_edit_page_opens(client, user_for, claims, role):
    viewer = claims["lead"] if role == "techlead" else user_for(role)
    client.force_login(viewer)
    made = claims["claims"]
    opens = {claim.pk for claim in made.values() if client.get(f"/ownership/{claim.pk}/").status_code == 200}
    for url, listed in pages_listing_claims(claims).items():
        response = client.get(url)
        if url.startswith("/ownership/new/") and role in ("buowner", "engineer"):
            assert response.status_code == 403  # the claim form is for those who may claim
            continue
        assert response.status_code == 200, url
        page = response.content.decode()
        assert manage_links(page) == opens & {made[name].pk for name in listed}, url
    # The edit page's own table of the scope's claims, for those it opens to.
    for pk in opens:
        page = client.get(f"/ownership/{pk}/").content.decode()
        assert manage_links(page) <= opens


def test_a_technology_lead_manages_their_teams_and_teammates_claims_only(client, claims):
    client.force_login(claims["lead"])
    made = claims["claims"]
    page = client.get("/ownership/").content.decode()
    assert manage_links(page) == {made["my team's"].pk, made["my teammate's"].pk}
    for name in ("other team's", "other team's on my scope", "an outsider's"):
        assert client.get(f"/ownership/{made[name].pk}/").status_code == 403, name
    # On the edit page of the lead's claim, the other team's claim on the same account has no link.
    own = made["my team's"]
    page = client.get(f"/ownership/{own.pk}/").content.decode()
    assert manage_links(page) == {made["my team's"].pk}
    assert "Search" in page  # the other team's claim is listed, only without the link


@pytest.mark.parametrize("role", ["admin", "finance"])
def test_admins_and_finance_manage_every_claim(client, user_for, claims, role):
    client.force_login(user_for(role))
    page = client.get("/ownership/").content.decode()
    assert manage_links(page) == {claim.pk for claim in claims["claims"].values()}


@pytest.mark.parametrize("role", ["buowner", "engineer"])
def test_readers_see_the_claims_without_any_manage_link(client, user_for, claims, role):
    client.force_login(user_for(role))
    page = client.get("/ownership/").content.decode()
    assert "222222222222" in page
    assert manage_links(page) == set()
