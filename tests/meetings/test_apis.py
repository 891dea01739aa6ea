from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from meetings.models import ActionItem, Cadence, GlossaryTerm, Meeting, Topic

CADENCE = {
    "name": "Payments fortnightly",
    "rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH",
    "timezone": "America/New_York",
    "starts_on": "2026-01-08",
    "start_time": "09:30",
    "duration_minutes": 45,
}


def test_a_malformed_rrule_is_a_400_naming_the_field_and_saves_nothing(api):
    response = api("finance").post(
        "/api/v1/cadences/", {**CADENCE, "rrule": "FREQ=WEEKLY;BYDAY=FUNDAY"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["rrule"] and "BYDAY" in response.json()["rrule"][0]
    assert not Cadence.objects.exists() and not Meeting.objects.exists()


def test_an_unknown_time_zone_is_a_400_naming_the_field_and_saves_nothing(api):
    response = api("finance").post(
        "/api/v1/cadences/", {**CADENCE, "timezone": "Europe/Atlantis"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["timezone"] and "Europe/Atlantis" in response.json()["timezone"][0]
    assert not Cadence.objects.exists() and not Meeting.objects.exists()


def test_a_bad_rule_on_update_is_refused_and_the_cadence_unchanged(api):
    client = api("techlead")
    pk = client.post("/api/v1/cadences/", CADENCE, format="json").json()["id"]
    response = client.patch(f"/api/v1/cadences/{pk}/", {"rrule": "FREQ=NEVER"}, format="json")
    assert response.status_code == 400 and "rrule" in response.json()
    assert Cadence.objects.get(pk=pk).rrule == CADENCE["rrule"]


def test_creating_a_cadence_schedules_meetings_and_reports_the_next_occurrences(api):
    response = api("finance").post("/api/v1/cadences/", CADENCE, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["rule_description"] == "Every 2 weeks on Thursday"
    assert Meeting.objects.filter(cadence_id=body["id"]).count() == 3
    assert all("T09:30:00-0" in occ for occ in body["next_occurrences"])


def test_a_preset_builds_the_rule_from_the_first_date(api):
    response = api("finance").post(
        "/api/v1/cadences/",
        {**{k: v for k, v in CADENCE.items() if k != "rrule"}, "preset": "quarterly"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["rrule"] == "FREQ=MONTHLY;INTERVAL=3;BYDAY=+2TH"


@pytest.mark.parametrize("role", ["engineer", "buowner"])
def test_only_admins_and_leads_create_cadences(api, role):
    assert api(role).post("/api/v1/cadences/", CADENCE, format="json").status_code == 403
    assert api(role).get("/api/v1/cadences/").status_code == 200


@pytest.mark.parametrize("role", ["consultant", "outsider"])
def test_third_parties_and_logins_without_a_record_see_no_programme(api, role):
    assert api(role).post("/api/v1/cadences/", CADENCE, format="json").status_code == 403
    assert api(role).get("/api/v1/cadences/").status_code == 403


@pytest.mark.parametrize("role", ["admin", "finance", "techlead"])
def test_admins_and_leads_create_cadences(api, role):
    assert api(role).post("/api/v1/cadences/", CADENCE, format="json").status_code == 201


def test_the_api_needs_authentication(client, db):
    assert client.get("/api/v1/meetings/").status_code in {401, 403}


def test_glossary_search_and_anchor_url(api):
    response = api("engineer").get("/api/v1/glossary-terms/", {"q": "amortised"})
    terms = {t["slug"]: t for t in response.json()["results"]}
    assert "amortised-cost" in terms and "net-amortised-cost" in terms
    assert terms["amortised-cost"]["url"] == "/glossary/#term-amortised-cost"


def test_topics_due_filter_uses_the_review_frequency(api):
    Topic.objects.update(last_discussed=timezone.localdate())
    Topic.objects.filter(slug="budgeting").update(last_discussed=timezone.localdate() - timedelta(days=91))
    Topic.objects.filter(slug="forecasting").update(last_discussed=timezone.localdate() - timedelta(days=29))
    due = api("finance").get("/api/v1/topics/", {"due": "true"}).json()["results"]
    assert [t["slug"] for t in due] == ["budgeting"]
    assert due[0]["is_due"] is True


def test_lists_paginate_filter_and_order(api, monthly):
    client = api("finance")
    body = client.get("/api/v1/meetings/", {"cadence": monthly.pk, "ordering": "-starts_at"}).json()
    assert body["count"] == 3 and set(body) >= {"next", "previous", "results"}
    starts = [m["starts_at"] for m in body["results"]]
    assert starts == sorted(starts, reverse=True)
    assert client.get("/api/v1/topics/", {"owning_group": "technology"}).json()["count"] == 2
    assert (
        client.get("/api/v1/glossary-terms/", {"page_size": 5}).json()["count"]
        == GlossaryTerm.objects.count()
    )


def test_the_meeting_ics_download(api, monthly):
    meeting = Meeting.objects.filter(cadence=monthly).first()
    response = api("engineer").get(f"/api/v1/meetings/{meeting.pk}/ics/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    assert f"UID:{meeting.uid}@partnership.meetings" in response.content.decode()


# --- action items per role ----------------------------------------------------------------------


@pytest.fixture
def engineers_item(people):
    from meetings.services import action_item_create

    return action_item_create(title="Right-size EKS", owner=people["engineer"].stakeholder, notify=False)


def test_an_engineer_updates_their_own_action_item(api, engineers_item):
    response = api("engineer").patch(
        f"/api/v1/action-items/{engineers_item.pk}/", {"status": "done"}, format="json"
    )
    assert response.status_code == 200
    engineers_item.refresh_from_db()
    assert engineers_item.status == "done" and engineers_item.closed_at is not None


def test_an_engineer_cannot_change_someone_elses_action_item(api, engineers_item):
    response = api("engineer2").patch(
        f"/api/v1/action-items/{engineers_item.pk}/", {"status": "done"}, format="json"
    )
    assert response.status_code == 404  # not theirs, from no meeting they attend: not even listed


def test_an_owner_cannot_hand_their_item_to_someone_else(api, engineers_item, people):
    response = api("engineer").patch(
        f"/api/v1/action-items/{engineers_item.pk}/",
        {"owner": people["engineer2"].stakeholder.pk},
        format="json",
    )
    assert response.status_code == 400 and "owner" in response.json()


@pytest.mark.parametrize(("role", "status"), [("buowner", 404), ("consultant", 403), ("outsider", 403)])
def test_others_cannot_edit_an_action_item(api, engineers_item, role, status):
    response = api(role).patch(
        f"/api/v1/action-items/{engineers_item.pk}/", {"status": "done"}, format="json"
    )
    assert response.status_code == status


@pytest.mark.parametrize("role", ["admin", "finance", "techlead"])
def test_leads_assign_action_items_to_anyone_and_the_owner_is_emailed(
    api, people, role, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api(role).post(
            "/api/v1/action-items/",
            {
                "title": "Explain the S3 spike",
                "owner": people["engineer"].stakeholder.pk,
                "due_on": "2026-02-01",
            },
            format="json",
        )
    assert response.status_code == 201, response.json()
    assert [m.to for m in mail.outbox] == [["engineer@example.com"]]


def test_an_engineer_may_take_an_action_item_but_not_assign_one(api, people):
    mine = {"title": "Mine", "owner": people["engineer"].stakeholder.pk}
    theirs = {"title": "Theirs", "owner": people["engineer2"].stakeholder.pk}
    assert api("engineer").post("/api/v1/action-items/", mine, format="json").status_code == 201
    response = api("engineer").post("/api/v1/action-items/", theirs, format="json")
    assert response.status_code == 400 and "owner" in response.json()
    assert ActionItem.objects.count() == 1


def test_action_items_filter_by_open_owner_and_due(api, people, engineers_item):
    from meetings.services import action_item_create

    action_item_create(title="Done", owner=people["engineer"].stakeholder, status="done", notify=False)
    action_item_create(
        title="Due", owner=people["finance"].stakeholder, due_on=date(2026, 1, 5), notify=False
    )
    client = api("finance")
    assert (
        client.get(
            "/api/v1/action-items/", {"open": "true", "owner": people["engineer"].stakeholder.pk}
        ).json()["count"]
        == 1
    )
    assert [
        i["title"]
        for i in client.get("/api/v1/action-items/", {"due_before": "2026-01-10"}).json()["results"]
    ] == ["Due"]


# --- attendance, decisions, meetings ------------------------------------------------------------


def test_leads_record_attendance_and_decisions_others_cannot(api, monthly, people):
    meeting = Meeting.objects.filter(cadence=monthly).first()
    row = meeting.attendances.get(stakeholder=people["engineer"].stakeholder)
    assert (
        api("engineer")
        .patch(f"/api/v1/attendances/{row.pk}/", {"status": "present"}, format="json")
        .status_code
        == 403
    )
    assert (
        api("finance")
        .patch(f"/api/v1/attendances/{row.pk}/", {"status": "present"}, format="json")
        .status_code
        == 200
    )
    row.refresh_from_db()
    assert row.status == "present"
    decision = {"meeting": meeting.pk, "text": "Buy the Savings Plan"}
    assert api("consultant").post("/api/v1/decisions/", decision, format="json").status_code == 403
    assert api("techlead").post("/api/v1/decisions/", decision, format="json").status_code == 201


def test_a_meeting_with_an_unknown_zone_is_refused(api):
    response = api("finance").post(
        "/api/v1/meetings/",
        {"title": "x", "starts_at": "2026-02-01T10:00:00Z", "timezone": "Moon/Base"},
        format="json",
    )
    assert response.status_code == 400 and list(response.json()) == ["timezone"]
    assert not Meeting.objects.exists()


def test_marking_held_via_the_api_carries_open_items_over(api, monthly, people):
    first, second = Meeting.objects.filter(cadence=monthly).order_by("starts_at")[:2]
    client = api("finance")
    client.post(
        "/api/v1/action-items/",
        {"title": "Carry me", "owner": people["engineer"].stakeholder.pk, "origin_meeting": first.pk},
        format="json",
    )
    assert client.patch(f"/api/v1/meetings/{first.pk}/", {"status": "held"}, format="json").status_code == 200
    titles = [i["title"] for i in client.get(f"/api/v1/meetings/{second.pk}/").json()["agenda_items"]]
    assert "Action: Carry me" in titles


# --- calendar feeds -----------------------------------------------------------------------------


def test_a_feed_url_is_shown_once_and_works_until_revoked(api, monthly, client):
    created = api("finance").post("/api/v1/calendar-feeds/", {"cadence": monthly.pk}, format="json")
    assert created.status_code == 201
    url = created.json()["url"]
    path = url[url.index("/calendar/") :]
    assert "url" not in api("finance").get(f"/api/v1/calendar-feeds/{created.json()['id']}/").json()
    feed = client.get(path)  # no login: the secret URL is the credential
    assert feed.status_code == 200 and b"BEGIN:VEVENT" in feed.content
    api("finance").post(f"/api/v1/calendar-feeds/{created.json()['id']}/revoke/")
    assert client.get(path).status_code == 404


def test_rotating_a_feed_retires_the_old_url(api, people, client):
    stakeholder = people["engineer"].stakeholder
    created = (
        api("engineer").post("/api/v1/calendar-feeds/", {"stakeholder": stakeholder.pk}, format="json").json()
    )
    rotated = api("engineer").post(f"/api/v1/calendar-feeds/{created['id']}/rotate/").json()
    old, new = (u[u.index("/calendar/") :] for u in (created["url"], rotated["url"]))
    assert client.get(old).status_code == 404 and client.get(new).status_code == 200


def test_people_create_feeds_only_for_themselves(api, people):
    other = people["finance"].stakeholder.pk
    response = api("engineer").post("/api/v1/calendar-feeds/", {"stakeholder": other}, format="json")
    assert response.status_code == 400 and "stakeholder" in response.json()


def test_the_schema_documents_the_programme_endpoints(api):
    schema = api("finance").get("/api/v1/schema/").content.decode()
    for path in [
        "/api/v1/cadences/",
        "/api/v1/meetings/{id}/ics/",
        "/api/v1/action-items/",
        "/api/v1/calendar-feeds/{id}/rotate/",
    ]:
        assert path in schema


def test_the_change_log_is_readable_and_filterable(api, monthly):
    client = api("finance")
    client.patch(f"/api/v1/cadences/{monthly.pk}/", {"duration_minutes": 90}, format="json")
    body = client.get(
        "/api/v1/audit/",
        {"object_type": "meetings.cadence", "object_id": monthly.pk, "action": 1, "channel": "api"},
    ).json()
    assert body["count"] == 1
    assert body["results"][0]["actor_username"] == "finance"
    assert body["results"][0]["channel"] == "api"
    assert body["results"][0]["changes"] == [{"field": "duration_minutes", "old": "60", "new": "90"}]
    assert client.post("/api/v1/audit/", {}).status_code == 405
