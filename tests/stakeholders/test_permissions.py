"""Who may change people, teams, ownership and engagements: every role, pages and API."""

import pytest
from django.contrib.auth.models import AnonymousUser

from stakeholders import permissions, services
from stakeholders.models import Ownership

pytestmark = pytest.mark.django_db

MAY_EDIT = ["admin", "finance", "techlead"]
MAY_NOT_EDIT = ["buowner", "engineer", "thirdparty", "nobody"]


@pytest.mark.parametrize("kind", MAY_EDIT)
def test_admins_finance_and_technology_leads_may_edit(user_for, kind):
    assert permissions.can_edit_people(user_for(kind))


@pytest.mark.parametrize("kind", MAY_NOT_EDIT)
def test_others_may_read_but_not_edit(user_for, kind):
    user = user_for(kind)
    assert permissions.can_read(user)
    assert not permissions.can_edit_people(user)


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


@pytest.mark.parametrize("kind", MAY_EDIT)
def test_the_api_accepts_writes_from_leads(user_for, api_as, team, kind):
    response = api_as(user_for(kind)).post("/api/v1/ownerships/", _claim_payload(team))
    assert response.status_code == 201


@pytest.mark.parametrize("kind", MAY_NOT_EDIT)
def test_the_api_refuses_writes_from_others_but_lets_them_read(user_for, api_as, team, kind):
    client = api_as(user_for(kind))
    assert client.post("/api/v1/ownerships/", _claim_payload(team)).status_code == 403
    assert not Ownership.objects.exists()
    assert client.get("/api/v1/ownerships/").status_code == 200
    assert client.get("/api/v1/readiness/").status_code == 200


@pytest.mark.parametrize("kind", MAY_NOT_EDIT)
def test_the_pages_refuse_edits_from_others(client, user_for, team, kind):
    client.force_login(user_for(kind))
    assert client.get("/people/").status_code == 200
    assert client.get("/ownership/new/").status_code == 403
    assert client.post("/ownership/new/", _claim_payload(team)).status_code == 403
    assert client.get("/people/new/").status_code == 403
    assert not Ownership.objects.exists()


@pytest.mark.parametrize("kind", MAY_EDIT)
def test_the_pages_accept_edits_from_leads(client, user_for, team, kind):
    client.force_login(user_for(kind))
    response = client.post("/ownership/new/", _claim_payload(team))
    assert response.status_code == 302
    assert Ownership.objects.get().owner_team == team
