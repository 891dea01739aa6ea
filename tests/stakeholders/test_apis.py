"""The REST API: filtering, ordering, pagination, writes through services, clear 400s."""

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from common.services import api_token_create
from stakeholders import known_accounts, services
from stakeholders.known_accounts import KnownAccount
from stakeholders.models import Engagement, Group, Ownership, Role, Stakeholder, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance_api(user_for, api_as):
    return api_as(user_for("finance"))


def test_anonymous_requests_are_refused():
    assert APIClient().get("/api/v1/stakeholders/").status_code in (401, 403)


def test_token_authentication_reads_the_api(user_for):
    issued = api_token_create(user=user_for("engineer"), name="integration")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issued.key}")
    assert client.get("/api/v1/stakeholders/").status_code == 200


# --- stakeholders -------------------------------------------------------------------------------


def test_stakeholders_filter_by_group_role_team_and_search(finance_api, person, team):
    ann = person(group=Group.FINANCE, role=Role.CFO, name="Ann Smith")
    bob = person(group=Group.ENGINEERING, role=Role.ENGINEER, name="Bob Jones")
    team.members.add(bob)

    def names(query):
        return [row["name"] for row in finance_api.get(f"/api/v1/stakeholders/?{query}").json()["results"]]

    assert "Ann Smith" in names("group=finance") and "Bob Jones" not in names("group=finance")
    assert names("role=engineer") == ["Bob Jones"]
    assert names(f"team={team.pk}") == ["Bob Jones"]
    assert names("q=smith") == ["Ann Smith"]
    assert ann.pk


def test_stakeholders_order_and_paginate(finance_api, person):
    for name in ["Cara", "Abe", "Bea"]:
        person(name=name)
    body = finance_api.get("/api/v1/stakeholders/?ordering=-name&group=engineering").json()
    assert [r["name"] for r in body["results"]] == ["Cara", "Bea", "Abe"]
    assert body["count"] == 3 and "next" in body


def test_create_a_stakeholder(finance_api, team):
    response = finance_api.post(
        "/api/v1/stakeholders/",
        {"name": "Ann", "email": "ann@example.com", "group": "finance", "role": "cfo", "teams": [team.pk]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["teams"] == [{"id": team.pk, "name": "Payments", "kind": "team"}]


def test_a_role_outside_the_group_is_a_400_naming_role_and_nothing_is_saved(finance_api):
    response = finance_api.post(
        "/api/v1/stakeholders/",
        {"name": "Ann", "email": "ann@example.com", "group": "finance", "role": "engineer"},
    )
    assert response.status_code == 400
    assert "role" in response.json()
    assert not Stakeholder.objects.filter(email="ann@example.com").exists()


def test_patch_a_stakeholder_and_delete_deactivates(finance_api, person):
    someone = person()
    response = finance_api.patch(
        f"/api/v1/stakeholders/{someone.pk}/", {"title": "Staff engineer"}, format="json"
    )
    assert response.status_code == 200 and response.json()["title"] == "Staff engineer"
    assert finance_api.delete(f"/api/v1/stakeholders/{someone.pk}/").status_code == 204
    someone.refresh_from_db()
    assert someone.active is False
    assert finance_api.post(f"/api/v1/stakeholders/{someone.pk}/reactivate/").json()["active"] is True


# --- teams --------------------------------------------------------------------------------------


def test_create_a_team_with_members_and_filter_by_member(finance_api, person):
    bob = person(name="Bob")
    unit = Team.objects.create(name="Digital", kind=Team.Kind.BUSINESS_UNIT)
    response = finance_api.post(
        "/api/v1/teams/",
        {"name": "Web", "kind": "team", "parent": unit.pk, "members": [bob.pk]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["parent_name"] == "Digital"
    listed = finance_api.get(f"/api/v1/teams/?member={bob.pk}").json()["results"]
    assert [t["name"] for t in listed] == ["Web"]


def test_a_team_under_a_team_is_a_400_naming_parent(finance_api, team):
    response = finance_api.post("/api/v1/teams/", {"name": "Checkout", "parent": team.pk}, format="json")
    assert response.status_code == 400 and "parent" in response.json()


# --- ownership ----------------------------------------------------------------------------------


def test_a_thirteen_digit_account_id_is_a_400_naming_scope_value_and_nothing_is_saved(finance_api, team):
    response = finance_api.post(
        "/api/v1/ownerships/",
        {"scope_kind": "account", "scope_value": "2109876543210", "owner_team": team.pk},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["scope_value"]
    assert "12 digits" in response.json()["scope_value"][0]
    assert not Ownership.objects.exists()


def test_a_second_primary_is_a_400_naming_is_primary(finance_api, team, other_team):
    url = "/api/v1/ownerships/"
    first = finance_api.post(
        url, {"scope_kind": "account", "scope_value": "210987654321", "owner_team": team.pk}
    )
    assert first.status_code == 201 and first.json()["is_primary"] is True
    second = finance_api.post(
        url,
        {
            "scope_kind": "account",
            "scope_value": "210987654321",
            "owner_team": other_team.pk,
            "is_primary": True,
        },
        format="json",
    )
    assert second.status_code == 400 and "is_primary" in second.json()
    assert Ownership.objects.count() == 1


def test_make_primary_and_release_through_the_api(finance_api, team, other_team):
    a = services.ownership_create(scope_kind="service", scope_value="AWS Config", owner_team=team)
    b = services.ownership_create(scope_kind="service", scope_value="AWS Config", owner_team=other_team)
    assert finance_api.delete(f"/api/v1/ownerships/{a.pk}/").status_code == 400
    assert finance_api.post(f"/api/v1/ownerships/{b.pk}/make-primary/").json()["is_primary"] is True
    assert finance_api.delete(f"/api/v1/ownerships/{a.pk}/").status_code == 204


def test_an_ownership_scope_does_not_change_in_place(finance_api, team):
    claim = services.ownership_create(scope_kind="service", scope_value="AWS Config", owner_team=team)
    response = finance_api.patch(
        f"/api/v1/ownerships/{claim.pk}/", {"scope_value": "Amazon S3"}, format="json"
    )
    assert response.status_code == 400
    ok = finance_api.patch(f"/api/v1/ownerships/{claim.pk}/", {"note": "Config rules"}, format="json")
    assert ok.json()["note"] == "Config rules"


def test_ownerships_filter_by_kind_and_owner(finance_api, team, other_team):
    services.ownership_create(scope_kind="service", scope_value="AWS Config", owner_team=team)
    services.ownership_create(scope_kind="account", scope_value="210987654321", owner_team=other_team)
    rows = finance_api.get(f"/api/v1/ownerships/?scope_kind=account&owner_team={other_team.pk}").json()[
        "results"
    ]
    assert [(r["scope"], r["owner_name"]) for r in rows] == [("account 210987654321", "Search")]


def test_resolve_answers_who_owns_a_cost_row(finance_api, team, other_team):
    services.ownership_create(scope_kind="account", scope_value="210987654321", owner_team=team)
    services.ownership_create(scope_kind="tag", scope_key="team", scope_value="search", owner_team=other_team)
    body = finance_api.get(
        "/api/v1/ownerships/resolve/?account_id=210987654321&service=AWS%20Config&tag=team=search"
    ).json()
    assert body["owner_name"] == "Search" and body["scope"] == "tag team=search"
    assert body["considered"] == ["tag team=search", "account 210987654321", "service AWS Config"]
    assert finance_api.get("/api/v1/ownerships/resolve/?account_id=999999999999").status_code == 404
    bad = finance_api.get("/api/v1/ownerships/resolve/?account_id=12345&tag=oops")
    assert bad.status_code == 400 and set(bad.json()) == {"account_id", "tag"}


# --- engagements and savings --------------------------------------------------------------------


def test_engagement_api_shows_roi_per_period(finance_api, person):
    party = person(group=Group.THIRD_PARTY, role=Role.CONSULTANT)
    response = finance_api.post(
        "/api/v1/engagements/",
        {
            "party": party.pk,
            "name": "Retainer",
            "model": "retainer",
            "fee": "4000.00",
            "currency": "USD",
            "period": "monthly",
            "starts_on": "2026-05-01",
            "scopes": [{"scope_kind": "account", "scope_value": "210987654321"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    engagement_id = response.json()["id"]
    assert response.json()["returns"]["roi"] is None
    assert response.json()["returns"]["roi_display"] == "no stated ROI"
    saved = finance_api.post(
        "/api/v1/engagement-savings/",
        {"engagement": engagement_id, "period_start": "2026-05-01", "amount": "5200.00"},
    )
    assert saved.status_code == 201, saved.json()
    returns = finance_api.get(f"/api/v1/engagements/{engagement_id}/").json()["returns"]
    assert Decimal(returns["periods"][0]["roi"]) == Decimal("0.3")
    assert returns["periods"][0]["savings"] == "5200.00"
    assert returns["roi_display"] == "30.0%"


def test_a_misaligned_savings_period_is_a_400_naming_period_start(finance_api, person):
    party = person(group=Group.THIRD_PARTY, role=Role.CONSULTANT)
    engagement = services.engagement_create(
        party=party,
        name="R",
        model="retainer",
        fee=Decimal("1"),
        currency="USD",
        period="monthly",
        starts_on=date(2026, 5, 1),
    )
    response = finance_api.post(
        "/api/v1/engagement-savings/",
        {"engagement": engagement.pk, "period_start": "2026-05-15", "amount": "10"},
    )
    assert response.status_code == 400 and "period_start" in response.json()


def test_an_engagement_for_a_non_third_party_is_a_400_naming_party(finance_api, person):
    response = finance_api.post(
        "/api/v1/engagements/",
        {
            "party": person(group=Group.FINANCE, role=Role.CFO).pk,
            "name": "X",
            "model": "retainer",
            "fee": "10",
            "currency": "USD",
            "period": "monthly",
            "starts_on": "2026-05-01",
        },
        format="json",
    )
    assert response.status_code == 400 and "party" in response.json()
    assert not Engagement.objects.exists()


# --- readiness ----------------------------------------------------------------------------------


def test_readiness_lists_findings_and_they_disappear(finance_api, team):
    known_accounts.register("test", lambda: [KnownAccount("210987654321", "payments-prod")])
    try:
        body = finance_api.get("/api/v1/readiness/").json()
        finding = next(f for f in body["findings"] if f["code"] == "accounts_without_owner")
        assert finding["missing"] == ["payments-prod (210987654321)"]
        assert body["ready"] is False
        services.ownership_create(scope_kind="account", scope_value="210987654321", owner_team=team)
        codes = {f["code"] for f in finance_api.get("/api/v1/readiness/").json()["findings"]}
        assert "accounts_without_owner" not in codes
    finally:
        known_accounts.unregister("test")


def test_the_schema_describes_the_stakeholder_endpoints(finance_api):
    schema = finance_api.get("/api/v1/schema/?format=json").json()
    for path in ["/api/v1/ownerships/resolve/", "/api/v1/readiness/", "/api/v1/engagements/{id}/"]:
        assert path in schema["paths"]
