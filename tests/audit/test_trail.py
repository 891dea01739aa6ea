"""Every kind of change leaves a row: create, update (old and new values) and delete, per model family."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from audit.models import AuditLogEntry
from audit.recording import audit_context
from costdata.models import Variance
from costdata.planning import services as budgets
from costdata.variances import services as sop
from meetings import services as meetings
from meetings.models import Attendance
from stakeholders import services as people
from stakeholders.models import Group, Role, Team
from tests.audit.conftest import CREATE, DELETE, UPDATE, entries, last
from tests.costdata.variance_fixtures import ACCOUNT, facts

pytestmark = pytest.mark.django_db


# --- stakeholders, teams, ownership, engagements --------------------------------------------------


def test_a_new_stakeholder_is_recorded_with_its_values_and_who_added_it(users):
    ann = people.stakeholder_create(
        name="Ann", email="ann@example.com", group=Group.FINANCE, role=Role.CFO, actor=users["fin"]
    )
    row = last(ann, CREATE)
    assert row.actor == users["fin"] and row.actor_email == "fin@example.com"
    assert row.changes["name"] == ["None", "Ann"] and row.changes["group"] == ["None", "finance"]
    assert "teams" not in row.changes and "ownerships" not in row.changes  # reverse relations left out


def test_an_edit_records_each_changed_field_old_and_new_and_nothing_else(users):
    ann = people.stakeholder_create(name="Ann", email="ann@example.com", group=Group.FINANCE, role=Role.CFO)
    people.stakeholder_update(
        stakeholder=ann, title="Chief financial officer", name="Ann", actor=users["fin"]
    )
    row = last(ann, UPDATE)
    assert row.changes == {"title": ["", "Chief financial officer"]}
    assert row.actor == users["fin"]


def test_team_membership_changes_are_recorded_as_added_and_removed_people(users):
    team = people.team_create(name="Payments")
    ann = people.stakeholder_create(name="Ann", email="ann@example.com", group=Group.FINANCE, role=Role.CFO)
    people.team_update(team=team, members=[ann], actor=users["lead"])
    people.team_update(team=team, members=[], actor=users["lead"])
    m2m = [row.changes["members"] for row in entries(team, UPDATE)]
    assert [(c["operation"], c["objects"]) for c in m2m] == [("add", [str(ann)]), ("delete", [str(ann)])]


def test_deleting_a_team_records_its_last_values(users):
    team = people.team_create(name="Payments", description="Card payments")
    pk = team.pk
    people.team_delete(team=team, actor=users["lead"])
    row = AuditLogEntry.objects.get(object_pk=str(pk), content_type__model="team", action=DELETE)
    assert row.changes["description"] == ["Card payments", "None"] and row.actor == users["lead"]


def test_ownership_create_edit_and_release_are_each_recorded(users):
    team = Team.objects.create(name="Payments")
    team.members.add(users["lead"].stakeholder)  # a lead claims for their own teams
    claim = people.ownership_create(
        scope_kind="account", scope_value=ACCOUNT, owner_team=team, actor=users["lead"]
    )
    people.ownership_update(ownership=claim, note="Production", actor=users["lead"])
    pk = claim.pk
    people.ownership_delete(ownership=claim, actor=users["lead"])
    rows = AuditLogEntry.objects.filter(content_type__model="ownership", object_pk=str(pk)).order_by("pk")
    assert [r.action for r in rows] == [CREATE, UPDATE, DELETE]
    assert rows[1].changes == {"note": ["", "Production"]}
    assert {r.actor for r in rows} == {users["lead"]}


def test_an_engagement_fee_change_is_recorded(users):
    party = people.stakeholder_create(
        name="Acme", email="acme@example.com", group=Group.THIRD_PARTY, role=Role.CONSULTANT
    )
    engagement = people.engagement_create(
        party=party,
        name="FinOps review",
        model="fixed_fee",
        fee=Decimal("1000.00"),
        currency="USD",
        period="monthly",
        starts_on=date(2026, 1, 1),
    )
    people.engagement_update(engagement=engagement, fee=Decimal("1500.00"), actor=users["fin"])
    assert last(engagement, UPDATE).changes == {"fee": ["1000.00", "1500.00"]}


# --- budgets -------------------------------------------------------------------------------------


def test_budget_versions_and_lines_are_recorded_from_creation_to_lock(users):
    budget = budgets.budget_create(name="FY2027", fiscal_year=2027, actor=users["fin"])
    version = budgets.budget_version_create(budget=budget, name="Original", actor=users["fin"])
    line = budgets.budget_line_set(
        version=version,
        scope_type="organisation",
        scope_value="",
        month=date(2027, 1, 1),
        amount=Decimal("100.00"),
        actor=users["fin"],
    )
    budgets.budget_line_set(
        version=version,
        scope_type="organisation",
        scope_value="",
        month=date(2027, 1, 1),
        amount=Decimal("125.50"),
        actor=users["fin"],
    )
    budgets.budget_version_lock(version=version, actor=users["fin"])
    assert last(budget, CREATE).actor == users["fin"]
    assert last(line, UPDATE).changes == {"amount": ["100.0000", "125.50"]}
    locked = last(version, UPDATE)
    assert set(locked.changes) == {"locked_at", "locked_by"} and locked.changes["locked_at"][0] == "None"


def test_deleting_a_budget_line_is_recorded(users):
    budget = budgets.budget_create(name="FY2027", fiscal_year=2027)
    version = budgets.budget_version_create(budget=budget, name="Original")
    line = budgets.budget_line_set(
        version=version,
        scope_type="organisation",
        scope_value="",
        month=date(2027, 2, 1),
        amount=Decimal("1"),
    )
    pk = line.pk
    budgets.budget_line_delete(line=line, actor=users["fin"])
    row = AuditLogEntry.objects.get(content_type__model="budgetline", object_pk=str(pk), action=DELETE)
    assert row.actor == users["fin"] and row.changes["amount"] == ["1", "None"]


# --- variances and explanations ------------------------------------------------------------------

FRIDAY = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
NOV = date(2026, 11, 1)


@pytest.fixture
def variance(cost_source, org, settings):
    settings.TIME_ZONE = "UTC"
    facts(cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16), overrides={date(2026, 11, 10): "400"})
    sop.variances_detect(months=[NOV], now=FRIDAY)
    return Variance.objects.get(scope_type="account", scope_value=ACCOUNT, kind="spike")


def test_a_detected_variance_is_recorded_and_so_is_each_step_of_its_procedure(variance, org):
    assert last(variance, CREATE).changes["kind"] == ["None", "spike"]
    explanation = sop.variance_explain(
        variance=variance,
        actor=org["engineer"],
        category="incident",
        narrative="A runaway batch job.",
        expected_duration="one_off",
    )
    sop.variance_accept(variance=variance, actor=org["finance"], comment="Fine.")
    assert last(explanation, CREATE).actor == org["engineer"]
    assert last(explanation, CREATE).changes["narrative"] == ["None", "A runaway batch job."]
    accepted = last(explanation, UPDATE)
    assert accepted.actor == org["finance"] and accepted.changes["outcome"] == ["pending", "accepted"]
    statuses = [r.changes["status"] for r in entries(variance, UPDATE) if "status" in r.changes]
    assert statuses[-2:] == [["assigned", "explained"], ["explained", "accepted"]]
    # The SOP's own timeline stays beside the audit trail.
    assert list(variance.transitions.values_list("action", flat=True))[-2:] == ["explain", "accept"]


def test_a_reassignment_records_the_old_and_new_assignee(variance, org):
    sop.variance_reassign(variance=variance, assignee=org["techlead"].stakeholder, actor=org["techlead"])
    row = last(variance, UPDATE)
    assert row.actor == org["techlead"]
    assert row.changes["assignee"][1] == str(org["techlead"].stakeholder.pk)


# --- meetings, minutes, decisions, attendance, action items --------------------------------------


@pytest.fixture
def meeting(users):
    fin = users["fin"].stakeholder
    return meetings.meeting_create(
        title="Cost review",
        starts_at=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
        timezone_name="Europe/London",
        attendees=[fin],
        actor=users["fin"],
    )


def test_a_meeting_and_its_attendance_are_recorded_when_scheduled(meeting, users):
    assert last(meeting, CREATE).actor == users["fin"]
    attendance = Attendance.objects.get(meeting=meeting)
    assert last(attendance, CREATE).changes["status"] == ["None", "expected"]


def test_minutes_decisions_and_attendance_changes_are_recorded(meeting, users):
    meetings.meeting_minutes_update(meeting=meeting, minutes="Agreed <b>RI</b> plan", actor=users["lead"])
    decision = meetings.decision_create(meeting=meeting, text="Buy RIs", recorded_by=users["fin"])
    attendance = meetings.attendance_set(
        meeting=meeting, stakeholder=users["fin"].stakeholder, status="present", actor=users["fin"]
    )
    assert last(meeting, UPDATE).changes == {"minutes": ["", "Agreed <b>RI</b> plan"]}
    assert last(meeting, UPDATE).actor == users["lead"]
    assert last(decision, CREATE).actor == users["fin"]
    assert last(attendance, UPDATE).changes == {"status": ["expected", "present"]}


def test_moving_a_meeting_records_the_old_and_new_start(meeting, users):
    later = meeting.starts_at + timedelta(hours=2)
    meetings.meeting_update(meeting=meeting, starts_at=later, actor=users["fin"])
    row = last(meeting, UPDATE)
    assert row.changes["starts_at"][0].startswith("2026-12-01 10:00")
    assert row.changes["starts_at"][1].startswith("2026-12-01 12:00")


def test_an_action_item_is_recorded_from_creation_to_done(users):
    item = meetings.action_item_create(
        title="Tag the batch jobs", owner=users["eng"].stakeholder, created_by=users["lead"], notify=False
    )
    meetings.action_item_update(item=item, status="done", actor=users["eng"])
    assert last(item, CREATE).actor == users["lead"]
    done = last(item, UPDATE)
    assert done.actor == users["eng"] and done.changes["status"] == ["open", "done"]


# --- what the trail does not hold ----------------------------------------------------------------


def test_cost_facts_are_not_audited_ingestion_runs_are_their_own_record(cost_source):
    before = AuditLogEntry.objects.count()
    facts(cost_source, start=date(2026, 1, 1), end=date(2026, 1, 5))
    assert AuditLogEntry.objects.count() == before


def test_secrets_are_never_copied_into_the_log(users):
    from common.services import api_token_create

    issued = api_token_create(user=users["eng"], name="CI")
    row = last(issued.token, CREATE)
    assert "digest" not in row.changes and issued.key not in str(row.changes)
    feed, token = meetings.calendar_feed_create(stakeholder=users["eng"].stakeholder, created_by=users["eng"])
    assert "token_hash" not in last(feed, CREATE).changes and token not in str(last(feed, CREATE).changes)


def test_a_change_outside_any_entry_point_is_recorded_as_system_without_an_actor():
    team = Team.objects.create(name="Ad hoc")
    row = last(team, CREATE)
    assert row.channel == "system" and row.actor is None


def test_acting_as_keeps_the_open_channel(users):
    with audit_context("task"):
        team = people.team_create(name="From a task", actor=users["lead"])
    row = last(team, CREATE)
    assert (row.channel, row.actor) == ("task", users["lead"])
