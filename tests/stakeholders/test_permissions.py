"""Who may change people, teams, ownership and engagements: every role, pages and API.

The whole matrix is walked in tests/security/test_matrix.py; these pin the stakeholders rules one by one.
"""

import pytest
from django.contrib.auth.models import AnonymousUser

from stakeholders import permissions, services
from stakeholders.models import Ownership, Team

pytestmark = pytest.mark.django_db

MAY_EDIT = ["admin", "finance"]
MAY_NOT_EDIT = ["techlead", "buowner", "engineer", "thirdparty", "nobody"]
READERS = ["admin", "finance", "techlead", "buowner", "engineer"]
OUTSIDERS = ["thirdparty", "nobody"]


@pytest.mark.parametrize("kind", MAY_EDIT)
def test_admins_and_finance_may_edit_people(user_for, kind):
    assert permissions.can_edit_people(user_for(kind))


@pytest.mark.parametrize("kind", MAY_NOT_EDIT)
def test_others_may_not_edit_people(user_for, kind):
    assert not permissions.can_edit_people(user_for(kind))


@pytest.mark.parametrize("kind", READERS)
def test_the_organisation_reads_the_directory(user_for, kind):
    assert permissions.can_read(user_for(kind))


@pytest.mark.parametrize("kind", OUTSIDERS)
def test_third_parties_and_logins_without_a_record_do_not_read_the_directory(user_for, kind):
    assert not permissions.can_read(user_for(kind))


def test_anonymous_may_not_even_read():
    assert not permissions.can_read(AnonymousUser())
    assert not permissions.can_edit_people(AnonymousUser())


def test_a_deactivated_finance_lead_may_no_longer_edit(user_for):
    user = user_for("finance")
    services.stakeholder_set_active(stakeholder=user.stakeholder, active=False)
    user.refresh_from_db()
    assert not permissions.can_edit_people(user)


def _claim_payload(team):
    return {"scope_kind": "account", "scope_value": "210987654321", "owner_team": team.pk}


def _lead_of(user_for, team):
    user = user_for("techlead")
    team.members.add(user.stakeholder)
    return user


@pytest.mark.parametrize("kind", MAY_EDIT)
def test_the_api_accepts_claims_from_admins_and_finance(user_for, api_as, team, kind):
    response = api_as(user_for(kind)).post("/api/v1/ownerships/", _claim_payload(team))
    assert response.status_code == 201


def test_a_technology_lead_claims_for_their_own_team(user_for, api_as, team):
    response = api_as(_lead_of(user_for, team)).post("/api/v1/ownerships/", _claim_payload(team))
    assert response.status_code == 201


def test_a_technology_lead_may_not_claim_for_another_team(user_for, api_as, team):
    other = Team.objects.create(name="Search")
    response = api_as(_lead_of(user_for, team)).post("/api/v1/ownerships/", _claim_payload(other))
    assert response.status_code == 403
    assert not Ownership.objects.exists()


@pytest.mark.parametrize("kind", ["buowner", "engineer"])
def test_the_api_refuses_claims_from_others_but_lets_them_read(user_for, api_as, team, kind):
    client = api_as(user_for(kind))
    assert client.post("/api/v1/ownerships/", _claim_payload(team)).status_code == 403
    assert not Ownership.objects.exists()
    assert client.get("/api/v1/ownerships/").status_code == 200
    assert client.get("/api/v1/readiness/").status_code == 403


@pytest.mark.parametrize("kind", OUTSIDERS)
def test_outsiders_see_an_empty_directory_through_the_api(user_for, api_as, team, kind):
    services.ownership_create(owner_team=team, scope_kind="account", scope_value="210987654321")
    client = api_as(user_for(kind))
    assert client.post("/api/v1/ownerships/", _claim_payload(team)).status_code == 403
    body = client.get("/api/v1/ownerships/").json()
    assert (body["results"] if "results" in body else body) == []


@pytest.mark.parametrize("kind", ["buowner", "engineer"])
def test_the_pages_refuse_edits_from_others(client, user_for, team, kind):
    client.force_login(user_for(kind))
    assert client.get("/people/").status_code == 200
    assert client.get("/ownership/new/").status_code == 403
    assert client.post("/ownership/new/", _claim_payload(team)).status_code == 403
    assert client.get("/people/new/").status_code == 403
    assert not Ownership.objects.exists()


@pytest.mark.parametrize("kind", OUTSIDERS)
def test_the_pages_are_closed_to_outsiders(client, user_for, kind):
    client.force_login(user_for(kind))
    assert client.get("/people/").status_code == 403
    assert client.get("/ownership/").status_code == 403


@pytest.mark.parametrize("kind", MAY_EDIT)
def test_the_pages_accept_claims_from_admins_and_finance(client, user_for, team, kind):
    client.force_login(user_for(kind))
    response = client.post("/ownership/new/", _claim_payload(team))
    assert response.status_code == 302
    assert Ownership.objects.get().owner_team == team


def test_the_pages_accept_a_technology_leads_claim_for_their_team(client, user_for, team):
    client.force_login(_lead_of(user_for, team))
    response = client.post("/ownership/new/", _claim_payload(team))
    assert response.status_code == 302
    assert Ownership.objects.get().owner_team == team
