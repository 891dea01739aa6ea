"""Writes that send no model signals (bulk_create, queryset.update) are audited where services use them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from audit.models import AuditLogEntry
from audit.recording import audit_context, log_bulk_created, update_audited
from costdata.models import BudgetLine, Variance
from costdata.planning import services as budgets
from costdata.variances import services as sop
from meetings import services as meetings
from meetings.models import Attendance, Topic
from stakeholders import services as people
from stakeholders.models import Group, Role, Stakeholder, Team
from tests.audit.conftest import CREATE, DELETE, UPDATE, entries, last
from tests.costdata.variance_fixtures import ACCOUNT, facts

pytestmark = pytest.mark.django_db

CSV = (
    b"scope_type,scope_value,month,amount,currency\n"
    b"organisation,,2027-01,50000,USD\n"
    b"account,111111111111,2027-01,1200.50,USD\n"
    b"team,Payments,2027-02,9000,USD\n"
)


@pytest.fixture
def version(users):
    budget = budgets.budget_create(name="FY2027", fiscal_year=2027)
    return budgets.budget_version_create(budget=budget, name="Original")


def test_an_imported_budget_file_leaves_a_row_per_line_in_the_importers_channel(version, users):
    with audit_context("page", actor=users["fin"]):
        assert budgets.budget_version_import(version=version, data=CSV, filename="b.csv") == 3
    lines = version.lines.all()
    rows = AuditLogEntry.objects.get_for_objects(lines)
    assert rows.count() == 3
    assert {(r.action, r.channel, r.actor) for r in rows} == {(CREATE, "page", users["fin"])}
    amounts = {r.changes["amount"][1] for r in rows}
    assert amounts == {"50000", "1200.50", "9000"}


def test_reimporting_records_the_old_lines_deleted_and_the_new_ones_created(version, users):
    budgets.budget_version_import(version=version, data=CSV, filename="b.csv")
    old = set(version.lines.values_list("pk", flat=True))
    replacement = b"scope_type,scope_value,month,amount,currency\norganisation,,2027-03,1,USD\n"
    budgets.budget_version_import(version=version, data=replacement, filename="b.csv", actor=users["fin"])
    deleted = AuditLogEntry.objects.filter(content_type__model="budgetline", action=DELETE)
    assert {int(r.object_pk) for r in deleted} == old
    assert {r.actor for r in deleted} == {users["fin"]}
    [new] = version.lines.all()
    assert last(new, CREATE).actor == users["fin"]


def test_a_version_copied_from_another_records_each_copied_line(version, users):
    budgets.budget_version_import(version=version, data=CSV, filename="b.csv")
    copy = budgets.budget_version_create(
        budget=version.budget, name="Reforecast", copy_from=version, actor=users["fin"]
    )
    rows = AuditLogEntry.objects.get_for_objects(copy.lines.all())
    assert rows.count() == 3 and {r.actor for r in rows} == {users["fin"]}


def test_handing_over_primary_ownership_records_the_demoted_claim(users):
    payments = Team.objects.create(name="Payments")
    search = Team.objects.create(name="Search")
    first = people.ownership_create(scope_kind="account", scope_value=ACCOUNT, owner_team=payments)
    second = people.ownership_create(scope_kind="account", scope_value=ACCOUNT, owner_team=search)
    people.ownership_make_primary(ownership=second, actor=users["fin"])  # another team's: finance's call
    demoted = last(first, UPDATE)
    assert demoted.changes == {"is_primary": ["True", "False"]} and demoted.actor == users["fin"]
    assert last(second, UPDATE).changes == {"is_primary": ["False", "True"]}


def test_engagement_scopes_written_in_bulk_are_recorded_added_and_removed(users):
    party = Stakeholder.objects.create(
        name="Acme", email="acme@example.com", group=Group.THIRD_PARTY, role=Role.CONSULTANT
    )
    engagement = people.engagement_create(
        party=party,
        name="Review",
        model="fixed_fee",
        fee=Decimal("100"),
        currency="USD",
        period="monthly",
        starts_on=date(2026, 1, 1),
        scopes=[{"scope_kind": "account", "scope_value": ACCOUNT}],
        actor=users["fin"],
    )
    [scope] = engagement.scopes.all()
    assert last(scope, CREATE).actor == users["fin"]
    people.engagement_update(
        engagement=engagement,
        scopes=[{"scope_kind": "account", "scope_value": "222222222222"}],
        actor=users["fin"],
    )
    assert last(scope, DELETE).actor == users["fin"]
    [new] = engagement.scopes.all()
    assert last(new, CREATE).changes["scope_value"] == ["None", "222222222222"]


def test_attendees_added_in_bulk_by_a_cadence_are_recorded(users):
    from datetime import time

    cadence = meetings.cadence_create(
        name="Weekly",
        rrule="FREQ=WEEKLY;BYDAY=MO",
        timezone_name="UTC",
        starts_on=date.today(),
        start_time=time(9, 0),
        participants=[users["fin"].stakeholder, users["eng"].stakeholder],
    )
    attendances = Attendance.objects.filter(meeting__cadence=cadence)
    assert attendances.count() == 2 * cadence.occurrences_ahead
    assert (
        AuditLogEntry.objects.get_for_objects(attendances).filter(action=CREATE).count()
        == attendances.count()
    )


def test_marking_a_topic_discussed_is_recorded_once_and_never_backwards():
    topic = Topic.objects.first()
    assert meetings.topic_mark_discussed(topic=topic, on=date(2026, 5, 1))
    assert not meetings.topic_mark_discussed(topic=topic, on=date(2026, 4, 1))
    assert [r.changes for r in entries(topic, UPDATE)] == [{"last_discussed": ["None", "2026-05-01"]}]


@pytest.fixture
def variance(cost_source, org, settings):
    settings.TIME_ZONE = "UTC"
    facts(cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16), overrides={date(2026, 11, 10): "400"})
    sop.variances_detect(months=[date(2026, 11, 1)], now=datetime(2026, 11, 20, 10, 0, tzinfo=UTC))
    return Variance.objects.get(scope_type="account", scope_value=ACCOUNT, kind="spike")


def test_closing_a_month_records_each_variance_frozen(variance):
    with audit_context("task"):
        sop.month_close(month=date(2026, 11, 1))
    row = last(variance, UPDATE)
    assert row.changes == {"figures_final": ["False", "True"]} and row.channel == "task"


def test_escalating_an_overdue_variance_records_the_claim_and_the_lead(variance, org):
    escalated = sop.variances_escalate_overdue(now=variance.due_at + timedelta(hours=1))
    assert variance.pk in escalated
    changed = {field for r in entries(variance, UPDATE) for field in r.changes}
    assert {"escalated_at", "escalated_to"} <= changed


def test_update_audited_counts_only_rows_that_still_match_and_logs_only_changes(users):
    a = Team.objects.create(name="A", description="x")
    b = Team.objects.create(name="B", description="y")
    assert update_audited(Team.objects.filter(description="x"), description="y") == 1
    assert update_audited(Team.objects.filter(pk__in=[a.pk, b.pk]), description="y") == 2
    assert [r.changes for r in entries(a, UPDATE)] == [{"description": ["x", "y"]}]
    assert entries(b, UPDATE) == []  # already "y": nothing changed, nothing logged


def test_log_bulk_created_refuses_rows_without_primary_keys(version):
    with pytest.raises(ValueError, match="no primary key"):
        log_bulk_created([BudgetLine(version=version, scope_type="organisation", month=date(2027, 1, 1))])
