"""Each change says which channel it came through: page, api, admin, task or command, and who did it."""

from __future__ import annotations

import io
from datetime import date, time, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditLogEntry
from audit.recording import audit_context, update_audited
from meetings import services as meetings
from meetings.models import Attendance, GlossaryTerm, Meeting
from stakeholders.models import Group, Role, Stakeholder, Team
from tests.audit.conftest import CREATE, DELETE, UPDATE, last

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(db):
    return Stakeholder.objects.create(name="Ann", email="ann@example.com", group=Group.FINANCE, role=Role.CFO)


def test_a_page_form_post_is_recorded_as_page_with_the_user_and_request_id(browser, person):
    client = browser("fin")
    response = client.post(
        f"/people/{person.pk}/edit/",
        {"name": "Ann", "email": "ann@example.com", "title": "CFO", "group": "finance", "role": "cfo"},
    )
    assert response.status_code == 302
    row = last(person, UPDATE)
    assert row.channel == "page"
    assert row.actor.username == "fin"
    assert row.changes["title"] == ["", "CFO"]
    assert row.cid == response["X-Request-ID"]
    assert row.remote_addr == "127.0.0.1"


def test_an_api_write_with_a_token_is_recorded_as_api_with_the_tokens_user(api, person):
    response = api("fin").patch(f"/api/v1/stakeholders/{person.pk}/", {"title": "Controller"}, format="json")
    assert response.status_code == 200, response.content
    row = last(person, UPDATE)
    assert (row.channel, row.actor.username) == ("api", "fin")
    assert row.changes["title"] == ["", "Controller"]


def test_an_admin_change_form_is_recorded_as_admin(browser):
    term = GlossaryTerm.objects.create(term="Audit widget", slug="audit-widget", definition="Spread.")
    response = browser("admin").post(
        f"/admin/meetings/glossaryterm/{term.pk}/change/",
        {
            "term": "Audit widget",
            "slug": "audit-widget",
            "definition": "Upfront fees spread over the term.",
            "example": "",
            "aliases": "",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.content
    row = last(term, UPDATE)
    assert (row.channel, row.actor.username) == ("admin", "root")
    assert row.changes["definition"] == ["Spread.", "Upfront fees spread over the term."]


def test_an_admin_delete_records_the_object_and_what_cascaded_with_it(browser, users):
    meeting = meetings.meeting_create(
        title="Review",
        starts_at=timezone.now() + timedelta(days=2),
        timezone_name="UTC",
        attendees=[users["fin"].stakeholder],
    )
    attendance = Attendance.objects.get(meeting=meeting)
    response = browser("admin").post(f"/admin/meetings/meeting/{meeting.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    gone = AuditLogEntry.objects.filter(action=DELETE, channel="admin", actor__username="root")
    assert {(r.content_type.model, r.object_pk) for r in gone} >= {
        ("meeting", str(meeting.pk)),
        ("attendance", str(attendance.pk)),
    }


def test_a_task_run_through_celery_is_recorded_as_task_with_its_task_id(users):
    from meetings import tasks

    cadence = meetings.cadence_create(
        name="Weekly",
        rrule="FREQ=WEEKLY;BYDAY=MO",
        timezone_name="UTC",
        starts_on=date.today(),
        start_time=time(9, 0),
        participants=[users["fin"].stakeholder],
        active=False,
    )
    Cadence = type(cadence)
    update_audited(Cadence.objects.filter(pk=cadence.pk), active=True)
    result = tasks.cadences_materialise.apply()  # Celery's tracer: task_prerun and task_postrun fire
    assert result.successful()
    created = Meeting.objects.filter(cadence=cadence)
    assert created.count() == cadence.occurrences_ahead
    rows = AuditLogEntry.objects.get_for_objects(created).filter(action=CREATE)
    assert rows.count() == created.count()
    assert {(r.channel, r.cid, r.actor) for r in rows} == {("task", result.id, None)}


def test_after_a_task_the_channel_it_interrupted_is_restored(users):
    from meetings import tasks

    with audit_context("page", actor=users["fin"]):
        tasks.cadences_materialise.apply()
        team = Team.objects.create(name="After the task")
    assert (last(team).channel, last(team).actor) == ("page", users["fin"])


def test_an_eager_task_inside_a_request_acts_for_the_requests_user(users):
    from meetings import tasks

    cadence = meetings.cadence_create(
        name="Weekly",
        rrule="FREQ=WEEKLY;BYDAY=MO",
        timezone_name="UTC",
        starts_on=date.today(),
        start_time=time(9, 0),
        active=False,
    )
    type(cadence).objects.filter(pk=cadence.pk).update(active=True)
    with audit_context("page", actor=users["lead"]):
        result = tasks.cadences_materialise.apply()
    row = AuditLogEntry.objects.filter(content_type__model="meeting", action=CREATE).latest("pk")
    assert (row.channel, row.actor, row.cid) == ("task", users["lead"], result.id)


def test_a_management_command_is_recorded_as_command(db):
    call_command("seed_demo", stdout=io.StringIO())
    rows = AuditLogEntry.objects.filter(content_type__model="stakeholder", action=CREATE)
    assert rows.exists()
    assert set(rows.values_list("channel", "cid").distinct()) == {("command", "command:seed_demo")}


@pytest.mark.worker
def test_a_task_on_a_real_worker_is_recorded_as_task(transactional_db):
    from celery.contrib.testing.worker import start_worker

    from meetings import tasks
    from partnership.celery import app

    cadence = meetings.cadence_create(
        name="Weekly on a worker",
        rrule="FREQ=WEEKLY;BYDAY=TU",
        timezone_name="UTC",
        starts_on=date.today(),
        start_time=time(9, 0),
        active=False,
    )
    type(cadence).objects.filter(pk=cadence.pk).update(active=True)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        result = tasks.cadences_materialise.delay()
        result.get(timeout=60)
    rows = AuditLogEntry.objects.get_for_objects(Meeting.objects.filter(cadence=cadence))
    assert rows.exists()
    assert set(rows.values_list("channel", "cid").distinct()) == {("task", result.id)}
