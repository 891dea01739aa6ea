"""The audit page and GET /api/v1/audit/: admins and finance only, filtered, paginated, escaped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from audit.models import AuditLogEntry
from audit.recording import audit_context
from stakeholders import services as people
from stakeholders.models import Group, Role, Stakeholder, Team
from tests.audit.conftest import last

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(users):
    """Two teams changed by two people through two channels, one of them yesterday."""
    with audit_context("page", actor=users["fin"]):
        payments = people.team_create(name="Payments")
    with audit_context("api", actor=users["lead"]):
        search = people.team_create(name="Search")
        people.team_update(team=search, description="Site search")
    old = last(payments)
    # Move one row a day back the only way history may be written: as it is created.
    AuditLogEntry.objects.create(
        content_type=old.content_type,
        object_pk=old.object_pk,
        object_id=old.object_id,
        object_repr="Payments",
        action=AuditLogEntry.Action.UPDATE,
        changes={"description": ["None", "Yesterday"]},
        actor=users["fin"],
        channel="admin",
        timestamp=timezone.now() - timedelta(days=1),
    )
    return {"payments": payments, "search": search}


# --- who may look ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin", "staff", "fin"])
def test_admins_and_finance_read_the_audit_page_and_api(browser, api, trail, who):
    assert browser(who).get("/audit/").status_code == 200
    assert api(who).get("/api/v1/audit/").status_code == 200


@pytest.mark.parametrize("who", ["lead", "eng"])
def test_everyone_else_gets_a_404_from_the_page_and_the_api(browser, api, trail, who):
    assert browser(who).get("/audit/").status_code == 404
    assert api(who).get("/api/v1/audit/").status_code == 404


def test_anonymous_visitors_are_sent_to_log_in_and_the_api_asks_for_credentials(client, trail):
    assert client.get("/audit/")["Location"].startswith("/accounts/login/")
    assert client.get("/api/v1/audit/").status_code == 401


def test_the_audit_link_is_in_the_navigation_only_for_those_who_may_read_it(browser, users):
    assert 'href="/audit/"' in browser("fin").get("/").content.decode()
    assert 'href="/audit/"' not in browser("eng").get("/").content.decode()


# --- filters -----------------------------------------------------------------------------------------


def results(api, **params):
    response = api("fin").get("/api/v1/audit/", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_api_filters_by_object(api, trail):
    search = trail["search"]
    body = results(api, object_type="stakeholders.team", object_id=search.pk)
    assert body["count"] == 2
    assert {r["object_id"] for r in body["results"]} == {str(search.pk)}
    assert body["results"][0]["changes"] == [{"field": "description", "old": "", "new": "Site search"}]
    assert body["results"][0]["object_type"] == "stakeholders.team"


def test_the_api_filters_by_user_channel_and_action(api, users, trail):
    assert {r["actor_username"] for r in results(api, actor=users["lead"].pk)["results"]} == {"lead"}
    assert results(api, channel="admin")["count"] == 1
    created = results(api, action=AuditLogEntry.Action.CREATE, object_type="stakeholders.team")
    assert {r["object_repr"] for r in created["results"]} == {"Payments", "Search"}


def test_the_api_filters_by_time_range_with_until_exclusive(api, trail):
    now = timezone.now()
    yesterday = results(api, until=(now - timedelta(hours=12)).isoformat())
    assert [r["channel"] for r in yesterday["results"]] == ["admin"]
    today = results(api, since=(now - timedelta(hours=12)).isoformat(), object_type="stakeholders.team")
    assert today["count"] == 3


def test_an_unknown_filter_value_is_a_400_naming_the_field(api, trail):
    response = api("fin").get("/api/v1/audit/", {"object_type": "secrets.vault", "since": "soon"})
    assert response.status_code == 400
    assert set(response.json()) >= {"object_type", "since"}


def test_the_api_is_paginated_newest_first(api, users):
    content_type = ContentType.objects.get_for_model(Team)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    AuditLogEntry.objects.bulk_create(
        AuditLogEntry(
            content_type=content_type,
            object_pk=str(n),
            object_id=n,
            object_repr=f"Team {n}",
            action=AuditLogEntry.Action.UPDATE,
            timestamp=start + timedelta(minutes=n),
        )
        for n in range(1, 131)
    )
    first = results(api, object_type="stakeholders.team")
    assert first["count"] == 130 and first["next"] and len(first["results"]) < 130
    assert first["results"][0]["object_repr"] == "Team 130"
    second = api("fin").get(first["next"]).json()
    assert second["results"][0]["object_repr"] == f"Team {130 - len(first['results'])}"


def test_the_page_filters_and_shows_old_and_new_values(browser, trail):
    search = trail["search"]
    page = browser("fin").get("/audit/", {"object_type": "stakeholders.team", "object_id": search.pk})
    html = page.content.decode()
    assert page.context["page"].paginator.count == 2
    assert "Site search" in html and "Payments" not in html.split("<table")[1]
    assert page.context["page"].object_list[0].channel == "api"


def test_the_page_pages_through_long_results(browser, users):
    with audit_context("page", actor=users["fin"]):
        for n in range(55):
            Team.objects.create(name=f"Team {n:02}")
    first = browser("fin").get("/audit/", {"object_type": "stakeholders.team"})
    assert first.context["page"].paginator.num_pages == 2
    html = first.content.decode()
    assert "object_type=stakeholders.team&amp;page=2" in html
    second = browser("fin").get("/audit/", {"object_type": "stakeholders.team", "page": 2})
    assert len(second.context["page"].object_list) == 5


def test_the_page_reports_a_bad_filter_instead_of_showing_everything(browser, trail):
    page = browser("fin").get("/audit/", {"since": "not a date"})
    assert page.status_code == 200
    assert page.context["page"].paginator.count == 0
    assert "Correct the filters" in page.content.decode()


def test_values_are_rendered_escaped_on_the_page(browser, users):
    with audit_context("page", actor=users["fin"]):
        people.team_create(name="<script>alert(1)</script>", description="<img src=x onerror=alert(2)>")
    html = browser("fin").get("/audit/").content.decode()
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html


def test_the_audit_endpoint_is_in_the_openapi_schema_with_its_filters(api, users):
    schema = api("fin").get("/api/v1/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/audit/" in schema
    for name in ["object_type", "object_id", "actor", "since", "until", "channel"]:
        assert f'"name": "{name}"' in schema or f"name: {name}" in schema


# --- history on the object's pages -------------------------------------------------------------------


def test_a_persons_page_shows_their_history_and_links_finance_to_the_full_trail(browser, users):
    ann = Stakeholder.objects.create(name="Ann", email="ann@example.com", group=Group.FINANCE, role=Role.CFO)
    with audit_context("page", actor=users["lead"]):
        people.stakeholder_update(stakeholder=ann, title="<b>CFO</b>")
    html = browser("fin").get(f"/people/{ann.pk}/").content.decode()
    assert 'data-testid="history"' in html
    assert "&lt;b&gt;CFO&lt;/b&gt;" in html and "<b>CFO</b>" not in html
    assert f"/audit/?object_type=stakeholders.stakeholder&amp;object_id={ann.pk}" in html


def test_a_meetings_page_shows_its_history(browser, users):
    from meetings import services as meetings

    meeting = meetings.meeting_create(
        title="Review", starts_at=timezone.now() + timedelta(days=1), timezone_name="UTC", actor=users["fin"]
    )
    meetings.meeting_minutes_update(meeting=meeting, minutes="Agreed the plan", actor=users["fin"])
    html = browser("fin").get(f"/meetings/{meeting.pk}/").content.decode()
    assert 'data-testid="history"' in html and "Agreed the plan" in html


def test_variance_and_budget_pages_link_finance_to_their_history(browser, users):
    from costdata.planning import services as budgets

    budget = budgets.budget_create(name="FY2027", fiscal_year=2027)
    version = budgets.budget_version_create(budget=budget, name="Original")
    html = browser("fin").get(f"/costs/budgets/versions/{version.pk}/").content.decode()
    assert f"/audit/?object_type=costdata.budgetversion&amp;object_id={version.pk}" in html


def test_a_meetings_history_includes_its_attendance_and_decisions(browser, users):
    from meetings import services as meetings

    meeting = meetings.meeting_create(
        title="Review",
        starts_at=timezone.now() + timedelta(days=1),
        timezone_name="UTC",
        attendees=[users["eng"].stakeholder],
    )
    meetings.attendance_set(meeting=meeting, stakeholder=users["eng"].stakeholder, status="apologies")
    meetings.decision_create(meeting=meeting, text="Adopt <savings plans>", recorded_by=users["fin"])
    html = browser("fin").get(f"/meetings/{meeting.pk}/").content.decode()
    history = html.split('data-testid="history"')[1]
    assert "apologies" in history and "Adopt &lt;savings plans&gt;" in history
