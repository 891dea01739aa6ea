"""Databases made before meetings took over decisions about variances and the explanation's action item
migrate forward with every row and link: the tables stay, the link moves to the action item."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from costdata.models import Explanation
from meetings.models import ActionItem, VarianceDecision

BEFORE = [("costdata", "0012_build_daily_rollups"), ("meetings", "0005_audit_trail_moves_to_auditlog")]
AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def _old_rows(old) -> dict[str, int]:
    owner = old.get_model("stakeholders", "Stakeholder").objects.create(
        name="Eve", email="eve@example.com", group="engineering", role="engineer"
    )
    zero = Decimal("0")
    variance = old.get_model("costdata", "Variance").objects.create(
        natural_key="spike:account:1:2026-11",
        scope_type="account",
        scope_value="1",
        month=date(2026, 11, 1),
        kind="spike",
        currency="USD",
        observed=Decimal("400.5"),
        reference=Decimal("100"),
        difference=Decimal("300.5"),
        actual_to_date=zero,
        detected_at=AT,
    )
    item = old.get_model("meetings", "ActionItem").objects.create(title="Cap the job", owner=owner)
    explanation = old.get_model("costdata", "Explanation").objects.create(
        variance=variance,
        category="incident",
        narrative="Runaway job",
        expected_duration="one_off",
        action_item=item,
    )
    meeting = old.get_model("meetings", "Meeting").objects.create(title="Review", starts_at=AT)
    decision = old.get_model("meetings", "Decision").objects.create(meeting=meeting, text="Cap it")
    link = old.get_model("costdata", "VarianceDecision").objects.create(variance=variance, decision=decision)
    content_types = old.get_model("contenttypes", "ContentType")
    content_types.objects.get_or_create(app_label="costdata", model="variancedecision")
    return {
        "item": item.pk,
        "explanation": explanation.pk,
        "link": link.pk,
        "decision": decision.pk,
        "variance": variance.pk,
    }


@pytest.mark.django_db(transaction=True)
def test_decisions_and_action_item_links_survive_the_move_to_meetings():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        rows = _old_rows(executor.loader.project_state(BEFORE).apps)
    finally:  # forward again whatever happened: the tests after this one need the current schema
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    link = VarianceDecision.objects.get(pk=rows["link"])
    assert (link.variance_id, link.decision_id, link.decision.text) == (
        rows["variance"],
        rows["decision"],
        "Cap it",
    )
    assert ActionItem.objects.get(pk=rows["item"]).explanation_id == rows["explanation"]
    assert Explanation.objects.filter(pk=rows["explanation"]).exists()
    assert "action_item_id" not in {
        c.name
        for c in connection.introspection.get_table_description(connection.cursor(), "costdata_explanation")
    }
    assert ContentType.objects.filter(app_label="meetings", model="variancedecision").exists()
    assert not ContentType.objects.filter(app_label="costdata", model="variancedecision").exists()
