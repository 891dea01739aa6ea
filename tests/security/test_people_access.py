"""Hostile tests for people and ownership: taking another team's scope, promoting a person to finance,
calendar feeds outliving their owner, secrets in access logs and an open redirect on the claim form.

They run against the role matrix's organisation (tests/security/conftest.py): Payments (Tess Lead,
Eli Engineer) owns account PAY, Search (Sam Search) owns SEARCH, nobody owns PLATFORM.
"""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from rest_framework.test import APIClient

from tests.security.conftest import PAY, PLATFORM, SEARCH, World

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _api(world: World, role: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(world.users[role])
    return client


def _page(world: World, role: str) -> Client:
    client = Client()
    client.force_login(world.users[role])
    return client


def _search_lead(world: World):
    from stakeholders.models import Group, Role, Stakeholder

    lead = Stakeholder.objects.create(
        name="Stan Searchlead", email="stan@example.com", group=Group.TECHNOLOGY, role=Role.PRODUCT_OWNER
    )
    world.teams["search"].members.add(lead)
    return lead


def _secondary_claim(world: World, team: str, account: str):
    """A claim finance gives a team on a scope another team owns (a deliberate share)."""
    from stakeholders import services

    return services.ownership_create(
        scope_kind="account", scope_value=account, owner_team=world.teams[team], actor=world.users["finance"]
    )


# --- 1. a technology lead cannot take over another team's scope -------------------------------------


def _claim(world: World, account: str, **owner) -> dict:
    return {"scope_kind": "account", "scope_value": account, **owner}


def test_a_lead_cannot_claim_another_teams_scope_through_the_api(world):
    response = _api(world, "techlead").post(
        "/api/v1/ownerships/", _claim(world, SEARCH, owner_team=world.teams["payments"].pk), format="json"
    )
    assert response.status_code == 403
    assert not world.teams["payments"].ownerships.filter(scope_value=SEARCH).exists()


def test_a_lead_cannot_claim_another_teams_scope_for_a_member_of_their_team(world):
    response = _api(world, "techlead").post(
        "/api/v1/ownerships/",
        _claim(world, SEARCH, owner_stakeholder=world.people["engineer"].pk),
        format="json",
    )
    assert response.status_code == 403


def test_a_lead_cannot_claim_another_teams_scope_through_the_page(world):
    response = _page(world, "techlead").post(
        "/ownership/new/", _claim(world, SEARCH, owner_team=world.teams["payments"].pk)
    )
    assert response.status_code == 403
    assert not world.teams["payments"].ownerships.filter(scope_value=SEARCH).exists()


def test_a_lead_still_claims_an_unclaimed_scope_and_a_scope_their_team_owns(world):
    from stakeholders.models import Ownership

    client = _api(world, "techlead")
    unclaimed = client.post(
        "/api/v1/ownerships/", _claim(world, PLATFORM, owner_team=world.teams["payments"].pk), format="json"
    )
    assert unclaimed.status_code == 201 and unclaimed.json()["is_primary"] is True
    ours = client.post(
        "/api/v1/ownerships/",
        _claim(world, PAY, owner_stakeholder=world.people["engineer"].pk),
        format="json",
    )
    assert ours.status_code == 201 and ours.json()["is_primary"] is False
    assert Ownership.objects.get(scope_value=PAY, is_primary=True).owner_team == world.teams["payments"]


def test_finance_may_claim_another_teams_scope(world):
    response = _api(world, "finance").post(
        "/api/v1/ownerships/", _claim(world, SEARCH, owner_team=world.teams["payments"].pk), format="json"
    )
    assert response.status_code == 201 and response.json()["is_primary"] is False


@pytest.mark.parametrize("surface", ["api", "page"])
def test_a_lead_cannot_make_their_claim_primary_over_another_teams(world, surface):
    claim = _secondary_claim(world, "payments", SEARCH)
    if surface == "api":
        response = _api(world, "techlead").post(f"/api/v1/ownerships/{claim.pk}/make-primary/")
    else:
        response = _page(world, "techlead").post(f"/ownership/{claim.pk}/make-primary/")
    assert response.status_code == 403
    world.claims["search"].refresh_from_db()
    assert world.claims["search"].is_primary


def test_finance_hands_a_scope_over_and_the_other_teams_leads_hear_of_it(world, settings):
    from outbox.models import Delivery

    settings.SITE_URL = "https://partnership.example.com"
    lead = _search_lead(world)
    claim = _secondary_claim(world, "payments", SEARCH)
    response = _api(world, "finance").post(f"/api/v1/ownerships/{claim.pk}/make-primary/")
    assert response.status_code == 200 and response.json()["is_primary"] is True
    message = Delivery.objects.get(kind="ownership_primary_changed")
    assert message.recipients == [lead.email]
    assert f"https://partnership.example.com/ownership/{world.claims['search'].pk}/" in message.text_body
    assert not re.search(r"\d+\.\d\d", message.subject + message.text_body), "no figures in the message"


def test_a_lead_may_still_hand_a_scope_between_their_own_claims(world):
    from outbox.models import Delivery
    from stakeholders import services

    mine = services.ownership_create(
        scope_kind="account", scope_value=PAY, owner_stakeholder=world.people["engineer"]
    )
    response = _api(world, "techlead").post(f"/api/v1/ownerships/{mine.pk}/make-primary/")
    assert response.status_code == 200 and response.json()["is_primary"] is True
    assert not Delivery.objects.filter(kind="ownership_primary_changed").exists()


def test_a_secondary_claim_on_another_teams_scope_shows_the_team_nothing_of_it(world):
    from stakeholders.roles import visibility_for

    _secondary_claim(world, "payments", SEARCH)
    visibility = visibility_for(world.users["engineer"])
    assert PAY in visibility.accounts()
    assert SEARCH not in visibility.accounts()


def test_an_engineer_does_not_read_the_costs_of_a_scope_their_team_claims_second(world):
    _secondary_claim(world, "payments", SEARCH)
    response = _api(world, "engineer").get(f"/api/v1/ownerships/resolve/?account_id={SEARCH}")
    assert response.status_code == 200  # who owns it is public in the organisation; the costs are not
    costs = _api(world, "engineer").get("/api/v1/costs/?start=2026-10-01&end=2026-11-01&group_by=account")
    assert SEARCH not in costs.content.decode()


# --- 2. only an admin changes a person's group, role or login ------------------------------------------


@pytest.mark.parametrize(
    "change",
    [{"group": "finance", "role": "cfo"}, {"role": "tool_vendor"}, {"user": None}],
    ids=["group", "role", "user"],
)
def test_finance_cannot_change_a_persons_group_role_or_login_through_the_api(world, change):
    person = world.people["thirdparty"]
    response = _api(world, "finance").patch(f"/api/v1/stakeholders/{person.pk}/", change, format="json")
    assert response.status_code == 403
    person.refresh_from_db()
    assert (person.group, person.role, person.user_id) == (
        "third_party",
        "consultant",
        world.users["thirdparty"].pk,
    )


def test_finance_cannot_link_a_login_to_a_new_person(world):
    response = _api(world, "finance").post(
        "/api/v1/stakeholders/",
        {
            "name": "Nobody Promoted",
            "email": "promoted@example.com",
            "group": "finance",
            "role": "cfo",
            "user": world.users["nobody"].pk,
        },
        format="json",
    )
    assert response.status_code == 403
    assert not hasattr(type(world.users["nobody"]).objects.get(pk=world.users["nobody"].pk), "stakeholder")


def test_finance_still_edits_a_persons_other_fields(world):
    person = world.people["thirdparty"]
    response = _api(world, "finance").patch(
        f"/api/v1/stakeholders/{person.pk}/",
        {"title": "Rightsizing lead", "group": "third_party"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["title"] == "Rightsizing lead"


def test_finance_cannot_change_a_persons_group_through_the_page(world):
    person = world.people["thirdparty"]
    response = _page(world, "finance").post(
        f"/people/{person.pk}/edit/",
        {"name": person.name, "email": person.email, "group": "finance", "role": "cfo", "active": "on"},
    )
    assert response.status_code in (302, 403)
    person.refresh_from_db()
    assert (person.group, person.role) == ("third_party", "consultant")


def test_an_admin_changes_a_group_and_the_persons_sessions_and_tokens_end(world):
    from audit.models import AuditLogEntry
    from common import services as account_services
    from common.models import ApiToken

    consultant = world.users["thirdparty"]
    session = _page(world, "thirdparty")
    token = account_services.api_token_create(user=consultant, name="integration").token
    other = _page(world, "engineer")
    response = _api(world, "admin").patch(
        f"/api/v1/stakeholders/{world.people['thirdparty'].pk}/",
        {"group": "finance", "role": "cfo"},
        format="json",
    )
    assert response.status_code == 200
    assert session.get("/people/").status_code == 302, "the old session is gone: back to the login page"
    assert other.get("/people/").status_code == 200, "other people's sessions stay"
    assert not Session.objects.filter(session_key=session.session.session_key).exists()
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert AuditLogEntry.objects.filter(object_pk=str(world.people["thirdparty"].pk)).exists()


def test_a_role_change_ends_the_rights_of_the_next_request(world):
    from stakeholders import services
    from stakeholders.roles import Role, role_of

    lead = world.users["techlead"]
    client = _api(world, "techlead")
    assert client.get("/api/v1/engagements/").json()["count"] == 1
    services.stakeholder_update(
        stakeholder=world.people["techlead"], group="engineering", role="engineer", actor=world.users["admin"]
    )
    assert client.get("/api/v1/engagements/").json()["count"] == 0
    assert role_of(type(lead).objects.get(pk=lead.pk)) is Role.ENGINEER


# --- 3. calendar feeds end with their person's access; their tokens stay out of the logs -------------


def test_deactivating_a_person_revokes_their_calendar_feeds(world):
    response = _page(world, "finance").post(
        f"/people/{world.people['engineer'].pk}/active/", {"active": "false"}
    )
    assert response.status_code == 302
    world.feeds["engineer"].refresh_from_db()
    assert world.feeds["engineer"].revoked_at is not None
    assert Client().get(f"/calendar/{world.feed_tokens['engineer']}.ics").status_code == 404
    world.feeds["cadence"].refresh_from_db()
    assert world.feeds["cadence"].revoked_at is None, "a cadence's feed is nobody's person"


def test_a_group_change_revokes_the_persons_calendar_feeds(world):
    from stakeholders import services

    services.stakeholder_update(
        stakeholder=world.people["engineer"],
        group="technology",
        role="technical_manager",
        actor=world.users["admin"],
    )
    world.feeds["engineer"].refresh_from_db()
    assert world.feeds["engineer"].revoked_at is not None


def test_a_feed_token_never_reaches_the_request_log(world, caplog):
    token = world.feed_tokens["engineer"]
    with caplog.at_level(logging.INFO):
        assert Client().get(f"/calendar/{token}.ics").status_code == 200
        Client().get("/calendar/not-a-real-token-at-all.ics")
    requests = [r.getMessage() for r in caplog.records if r.name == "partnership.request"]
    assert any("/calendar/***.ics" in line for line in requests), "the requests were logged"
    assert not any(token in line or "not-a-real-token" in line for line in requests), requests


def test_a_feed_token_never_reaches_a_formatted_log_line(world):
    """Whatever logs the path (Django's own "Not Found: ..." too) goes through the product's formatter."""
    from common.logging import ContextFilter, OneLineFormatter

    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(ContextFilter())
    handler.setFormatter(OneLineFormatter("%(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        Client().get("/calendar/not-a-real-token-at-all.ics")
    finally:
        root.removeHandler(handler)
    assert "/calendar/***.ics" in buffer.getvalue()
    assert "not-a-real-token" not in buffer.getvalue()


def test_a_feed_token_is_masked_in_any_log_line():
    from common.logging import redact

    assert redact("GET /calendar/abcDEF_123-xyz.ics 200") == "GET /calendar/***.ics 200"


def test_gunicorn_writes_no_access_log_of_its_own_in_compose_or_the_image():
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "--access-logfile" not in compose
    assert "--access-logfile" not in (ROOT / "Dockerfile").read_text(), "a bare docker run logs no token"


# --- 4. the claim form's Cancel link stays on the site ------------------------------------------------


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_the_claim_forms_cancel_link_ignores_a_foreign_next(world, target):
    response = _page(world, "finance").get("/ownership/new/", {"next": target})
    body = response.content.decode()
    assert response.status_code == 200
    assert "evil.example" not in body and "javascript:" not in body
    assert '<a href="/ownership/">Cancel</a>' in body


def test_the_claim_forms_cancel_link_keeps_a_local_next(world):
    path = f"/teams/{world.teams['payments'].pk}/"
    response = _page(world, "finance").get("/ownership/new/", {"next": path})
    assert f'<a href="{path}">Cancel</a>' in response.content.decode()


def test_a_group_changed_in_the_django_admin_ends_the_persons_sessions_and_feeds(world, rf):
    from django.contrib import admin

    from stakeholders.models import Stakeholder

    session = _page(world, "engineer")
    person = Stakeholder.objects.get(pk=world.people["engineer"].pk)
    person.group, person.role = "technology", "technical_manager"
    request = rf.post("/admin/")
    request.user = world.users["admin"]

    class ChangedForm:
        changed_data = ["group", "role"]

    admin.site._registry[Stakeholder].save_model(request, person, ChangedForm(), change=True)
    assert session.get("/people/").status_code == 302
    world.feeds["engineer"].refresh_from_db()
    assert world.feeds["engineer"].revoked_at is not None
