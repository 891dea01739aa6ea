"""Django admin: every model's list and form render, and the same rules hold there."""

import pytest
from django.urls import reverse

from stakeholders import services
from stakeholders.demo import demo_programme_people_seed
from stakeholders.models import Ownership

pytestmark = pytest.mark.django_db

MODELS = ["stakeholder", "team", "ownership", "engagement", "attributedsaving"]


@pytest.fixture
def admin_client(client, user_for):
    user = user_for("admin")
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", MODELS)
def test_each_admin_list_renders_with_search_and_filters(admin_client, model):
    demo_programme_people_seed()
    response = admin_client.get(reverse(f"admin:stakeholders_{model}_changelist") + "?q=a")
    assert response.status_code == 200


def test_the_stakeholder_and_team_forms_render_with_their_inlines(admin_client):
    demo_programme_people_seed()
    from stakeholders.models import Stakeholder, Team

    person = Stakeholder.objects.get(email="cfo@example.com")
    page = admin_client.get(
        reverse("admin:stakeholders_stakeholder_change", args=[person.pk])
    ).content.decode()
    assert "team memberships" in page.lower() and "owned scopes" in page.lower()
    team = Team.objects.get(name="Payments")
    page = admin_client.get(reverse("admin:stakeholders_team_change", args=[team.pk])).content.decode()
    assert "210987654321" in page


def _ownership_form(team, value, primary=True):
    data = {"scope_kind": "account", "scope_key": "", "scope_value": value, "owner_team": team.pk, "note": ""}
    if primary:
        data["is_primary"] = "on"
    data["created_at_0"], data["created_at_1"] = "2026-11-27", "06:00:00"
    return data


def test_the_admin_refuses_a_thirteen_digit_account_id(admin_client, team):
    response = admin_client.post(
        reverse("admin:stakeholders_ownership_add"), _ownership_form(team, "2109876543210")
    )
    assert response.status_code == 200
    assert "exactly 12 digits" in response.content.decode()
    assert not Ownership.objects.exists()


def test_the_admin_refuses_a_second_primary(admin_client, team, other_team):
    services.ownership_create(scope_kind="account", scope_value="210987654321", owner_team=team)
    response = admin_client.post(
        reverse("admin:stakeholders_ownership_add"), _ownership_form(other_team, "210987654321")
    )
    assert response.status_code == 200
    assert "already has a primary owner" in response.content.decode()
    assert Ownership.objects.count() == 1
