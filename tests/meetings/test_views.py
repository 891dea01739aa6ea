import re

import pytest
from django.core import mail
from django.template import Context, Template

from meetings.models import ActionItem, Attendance, Cadence, GlossaryTerm, Meeting, Topic


@pytest.fixture
def as_role(client, people):
    def log_in(role: str):
        client.force_login(people[role].user)
        return client

    return log_in


@pytest.mark.parametrize(
    "url",
    ["/glossary/", "/topics/", "/cadences/", "/meetings/", "/action-items/", "/topics/?due=1&group=finance"],
)
def test_every_list_page_renders_for_anyone_in_the_organisation(as_role, monthly, url):
    assert as_role("buowner").get(url).status_code == 200


@pytest.mark.parametrize("url", ["/glossary/", "/topics/", "/cadences/", "/meetings/", "/action-items/"])
def test_the_programme_is_closed_to_third_parties(as_role, monthly, url):
    assert as_role("consultant").get(url).status_code == 403


def test_pages_need_a_login(client, db):
    response = client.get("/meetings/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_glossary_has_a_stable_anchor_per_term_and_searches(as_role):
    page = as_role("engineer").get("/glossary/").content.decode()
    for slug in [
        "unblended-cost",
        "blended-cost",
        "amortised-cost",
        "net-amortised-cost",
        "focus-billed-cost",
    ]:
        assert f'id="term-{slug}"' in page
    found = as_role("engineer").get("/glossary/", {"q": "chargeback"}).content.decode()
    assert 'id="term-chargeback"' in found and 'id="term-unblended-cost"' not in found


def test_the_glossary_link_tag_links_a_term_with_its_definition(db):
    html = Template(
        '{% load glossary %}{% glossary_link "run-rate" %} {% glossary_link "gone" "Gone" %}'
    ).render(Context())
    assert 'href="/glossary/#term-run-rate"' in html and "Run rate</a>" in html and "Current spend" in html
    assert html.endswith(" Gone")


def test_a_lead_edits_a_glossary_term(as_role):
    client = as_role("finance")
    response = client.post(
        "/glossary/run-rate/edit/",
        {
            "term": "Run rate",
            "slug": "run-rate",
            "definition": "Spend per day times 30.",
            "example": "",
            "aliases": "",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/glossary/#term-run-rate"
    assert GlossaryTerm.objects.get(slug="run-rate").definition == "Spend per day times 30."


@pytest.mark.parametrize("url", ["/glossary/new/", "/topics/new/", "/cadences/new/", "/meetings/new/"])
def test_engineers_cannot_open_the_programme_forms(as_role, url):
    assert as_role("engineer").get(url).status_code == 403


def test_creating_a_cadence_from_a_preset_schedules_meetings(as_role, people):
    response = as_role("techlead").post(
        "/cadences/new/",
        {
            "name": "Payments monthly",
            "preset": "monthly_nth_weekday",
            "rrule": "",
            "timezone": "Europe/Berlin",
            "starts_on": "2026-01-06",
            "start_time": "14:00",
            "duration_minutes": "30",
            "participants": [people["engineer"].stakeholder.pk],
            "participant_groups": ["finance"],
            "agenda_template": "State of the organisation\nKey workloads in detail",
            "occurrences_ahead": "2",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()
    cadence = Cadence.objects.get(name="Payments monthly")
    assert cadence.rrule == "FREQ=MONTHLY;BYDAY=+1TU" and cadence.meetings.count() == 2


def test_a_malformed_rule_in_the_cadence_form_is_shown_against_the_field(as_role):
    response = as_role("finance").post(
        "/cadences/new/",
        {
            "name": "Broken",
            "rrule": "FREQ=MONTHLY;BYDAY=+2XX",
            "timezone": "Mars/Base",
            "starts_on": "2026-01-06",
            "start_time": "14:00",
            "duration_minutes": "30",
            "agenda_template": "x",
            "occurrences_ahead": "2",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(r'id="field-timezone".*?Mars/Base', page, re.S)
    assert not Cadence.objects.exists()


def test_the_meeting_page_shows_agenda_attendance_and_forms_for_a_lead(as_role, monthly):
    meeting = Meeting.objects.filter(cadence=monthly).first()
    page = as_role("finance").get(f"/meetings/{meeting.pk}/").content.decode()
    assert "State of the organisation" in page and 'id="attendance"' in page and 'action="/meetings/' in page
    assert "js/meeting.js" in page and "<script>" not in page


def test_a_reader_sees_the_meeting_without_the_editing_forms(as_role, monthly):
    meeting = Meeting.objects.filter(cadence=monthly).first()
    page = as_role("consultant").get(f"/meetings/{meeting.pk}/").content.decode()
    assert 'id="id_minutes"' not in page and "Mark held" not in page


def test_attendance_posts_answer_json_for_the_script_and_redirect_without_it(as_role, monthly, people):
    meeting = Meeting.objects.filter(cadence=monthly).first()
    client, who = as_role("finance"), people["engineer"].stakeholder.pk
    response = client.post(
        f"/meetings/{meeting.pk}/attendance/",
        {"stakeholder": who, "status": "present"},
        HTTP_ACCEPT="application/json",
    )
    assert response.json() == {"ok": True, "status": "present", "label": "Present"}
    response = client.post(f"/meetings/{meeting.pk}/attendance/", {"stakeholder": who, "status": "absent"})
    assert response.status_code == 302 and response["Location"].endswith("#attendance")
    assert meeting.attendances.get(stakeholder_id=who).status == Attendance.Status.ABSENT
    bad = client.post(
        f"/meetings/{meeting.pk}/attendance/",
        {"stakeholder": who, "status": "asleep"},
        HTTP_ACCEPT="application/json",
    )
    assert bad.status_code == 400 and "status" in bad.json()["errors"]


def test_an_engineer_cannot_tick_attendance_or_write_minutes(as_role, monthly, people):
    meeting = Meeting.objects.filter(cadence=monthly).first()
    client = as_role("engineer")
    assert (
        client.post(
            f"/meetings/{meeting.pk}/attendance/",
            {"stakeholder": people["engineer"].stakeholder.pk, "status": "present"},
        ).status_code
        == 403
    )
    assert client.post(f"/meetings/{meeting.pk}/minutes/", {"minutes": "hi"}).status_code == 403


def test_minutes_decisions_and_action_items_are_added_from_the_meeting_page(
    as_role, monthly, people, django_capture_on_commit_callbacks
):
    meeting = Meeting.objects.filter(cadence=monthly).first()
    client = as_role("techlead")
    client.post(f"/meetings/{meeting.pk}/minutes/", {"minutes": "Discussed coverage."})
    client.post(
        f"/meetings/{meeting.pk}/decisions/",
        {"text": "Buy a 1-year Compute SP", "topic": Topic.objects.get(slug="discount-models").pk},
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/meetings/{meeting.pk}/action-items/",
            {"title": "Size the SP", "owner": people["engineer"].stakeholder.pk, "due_on": "2026-03-01"},
        )
    assert response.status_code == 302 and response["Location"].endswith("#actions")
    meeting.refresh_from_db()
    assert meeting.minutes == "Discussed coverage." and meeting.decisions.count() == 1
    item = ActionItem.objects.get(title="Size the SP")
    assert item.origin_meeting == meeting and mail.outbox[0].to == ["engineer@example.com"]


def test_the_owners_stakeholder_page_lists_open_items_and_meetings(as_role, monthly, people):
    from meetings.services import action_item_create

    owner = people["engineer"].stakeholder
    action_item_create(title="Open one", owner=owner, notify=False)
    action_item_create(title="Closed one", owner=owner, status="done", notify=False)
    page = as_role("techlead").get(f"/people/{owner.pk}/").content.decode()
    assert 'id="section-action-items"' in page and "Open one" in page and "Closed one" not in page
    assert 'id="section-meetings"' in page and "Monthly cost review" in page


def test_an_engineer_edits_their_own_action_item_page_but_not_anothers(as_role, people):
    from meetings.services import action_item_create

    mine = action_item_create(title="Mine", owner=people["engineer"].stakeholder, notify=False)
    theirs = action_item_create(title="Theirs", owner=people["engineer2"].stakeholder, notify=False)
    client = as_role("engineer")
    data = {
        "title": "Mine",
        "owner": people["engineer"].stakeholder.pk,
        "status": "done",
        "due_on": "",
        "topic": "",
        "description": "",
    }
    assert client.post(f"/action-items/{mine.pk}/", data).status_code == 302
    mine.refresh_from_db()
    assert mine.status == "done"
    # Another engineer's item from no meeting this one attends is not theirs to read either.
    assert client.post(f"/action-items/{theirs.pk}/", {**data, "title": "Theirs"}).status_code == 404
    assert client.get(f"/action-items/{theirs.pk}/").status_code == 404


def test_the_stakeholder_feed_is_created_from_their_page_and_shown_once(as_role, people, monthly):
    owner = people["engineer"].stakeholder
    client = as_role("engineer")
    response = client.post("/calendar/feeds/new/", {"stakeholder": owner.pk, "next": f"/people/{owner.pk}/"})
    assert response.status_code == 302
    first = client.get(f"/people/{owner.pk}/").content.decode()
    url = re.search(r'value="(http://[^"]+/calendar/[^"]+\.ics)"', first).group(1)
    assert client.get(url[url.index("/calendar/") :]).status_code == 200
    assert url not in client.get(f"/people/{owner.pk}/").content.decode()


def test_a_next_parameter_cannot_redirect_off_site(as_role, people):
    owner = people["engineer"].stakeholder
    response = as_role("engineer").post(
        "/calendar/feeds/new/", {"stakeholder": owner.pk, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_the_cadence_page_offers_the_series_file_and_the_meeting_ics(as_role, monthly):
    client = as_role("buowner")
    page = client.get(f"/cadences/{monthly.pk}/").content.decode()
    assert f"/cadences/{monthly.pk}/series.ics" in page
    series = client.get(f"/cadences/{monthly.pk}/series.ics")
    assert series.status_code == 200 and b"RRULE:FREQ=MONTHLY;BYDAY=+2TU" in series.content
    meeting = Meeting.objects.filter(cadence=monthly).first()
    ics = as_role("engineer").get(f"/meetings/{meeting.pk}/meeting.ics")  # a participant's meeting
    assert ics.status_code == 200 and b"BEGIN:VTIMEZONE" in ics.content


def test_an_owner_marks_their_item_done_from_their_page(as_role, people):
    from meetings.services import action_item_create

    owner = people["engineer"].stakeholder
    item = action_item_create(title="Close me", owner=owner, notify=False)
    client = as_role("engineer")
    page = client.get(f"/people/{owner.pk}/").content.decode()
    assert f'action="/action-items/{item.pk}/status/"' in page
    response = client.post(
        f"/action-items/{item.pk}/status/", {"status": "done", "next": f"/people/{owner.pk}/"}
    )
    assert response.status_code == 302 and response["Location"] == f"/people/{owner.pk}/"
    item.refresh_from_db()
    assert item.status == "done"
    assert f'id="action-item-{item.pk}"' not in client.get(f"/people/{owner.pk}/").content.decode()


def test_nobody_else_gets_the_quick_status_buttons(as_role, people):
    from meetings.services import action_item_create

    owner = people["engineer"].stakeholder
    item = action_item_create(title="Not yours", owner=owner, notify=False)
    client = as_role("engineer2")
    assert (
        f'action="/action-items/{item.pk}/status/"' not in client.get(f"/people/{owner.pk}/").content.decode()
    )
    assert client.post(f"/action-items/{item.pk}/status/", {"status": "done"}).status_code == 403
