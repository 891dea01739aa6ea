"""The hand-written audit tables' rows move into the library's log before the tables are dropped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from audit.models import AuditLogEntry

BEFORE = [("stakeholders", "0002_ownership_engagements_audit"), ("meetings", "0004_change_record")]
AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_audit_entries_and_change_records_are_copied_into_the_audit_log():
    user = get_user_model().objects.create_user("old-hand", "old@example.com", "pw-old-hand-123")
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    old.get_model("stakeholders", "AuditEntry").objects.create(
        at=AT,
        actor_id=user.pk,
        action="deactivate",
        object_type="stakeholder",
        object_id=7,
        summary="Deactivated Ann",
        changes={"active": [True, False]},
    )
    old.get_model("meetings", "ChangeRecord").objects.create(
        at=AT,
        action="cadence.materialise",
        object_type="cadence",
        object_id=3,
        summary="Scheduled 3 meetings",
        changes={"created": [1, 2, 3]},
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    person = AuditLogEntry.objects.get(content_type__model="stakeholder", object_id=7)
    assert (person.action, person.channel, person.actor_id, person.timestamp) == (
        AuditLogEntry.Action.UPDATE,
        "legacy",
        user.pk,
        AT,
    )
    assert person.changes == {"active": ["True", "False"]}
    assert person.additional_data["summary"] == "Deactivated Ann"
    cadence = AuditLogEntry.objects.get(content_type__app_label="meetings", content_type__model="cadence")
    assert cadence.actor is None and cadence.object_repr == "Scheduled 3 meetings"
    assert cadence.changes is None and cadence.additional_data["created"] == [1, 2, 3]
    tables = connection.introspection.table_names()
    assert "stakeholders_auditentry" not in tables and "meetings_changerecord" not in tables
