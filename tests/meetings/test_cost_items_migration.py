"""Copies of figures stored before agenda items kept references are blanked by meetings 0009."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from meetings.models import ActionItem, AgendaItem, ReviewPack

BEFORE = ("meetings", "0008_action_item_explanation")
STARTS = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
COPY = "1,234.56 against 100.00 USD (+1134.6%). Explained: Incident: a runaway batch job"


def _migrate_to(target):
    """Meetings back to `target`, every other app at its latest (the state the old rows were written in)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    targets = [target, *(node for node in executor.loader.graph.leaf_nodes() if node[0] != target[0])]
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _old_rows(old):
    meeting = old.get_model("meetings", "Meeting").objects.create(title="Review", starts_at=STARTS)
    variance = old.get_model("costdata", "Variance").objects.create(
        natural_key="migration:spike",
        scope_type="account",
        scope_value="111111111111",
        month=date(2026, 3, 1),
        kind="spike",
        currency="USD",
        observed=Decimal("1234.56"),
        reference=Decimal("100"),
        difference=Decimal("1134.56"),
        actual_to_date=Decimal("1234.56"),
        status="explained",
        due_at=STARTS + timedelta(days=3),
    )
    agenda = old.get_model("meetings", "AgendaItem").objects
    cost = agenda.create(
        meeting_id=meeting.pk,
        key=f"variances:{variance.pk}",
        source="variances",
        title="Review variance: Spike: account 111111111111 2026-03",
        detail=COPY,
        notes="Agreed to cap it.",
    )
    manual = agenda.create(meeting_id=meeting.pk, key="manual:1", source="manual", title="AOB", detail="Kept")
    author = get_user_model().objects.create_user("author", "author@example.com", "pw-author")
    explanation = old.get_model("costdata", "Explanation").objects.create(
        variance_id=variance.pk,
        author_id=author.pk,
        category="incident",
        narrative="A runaway batch job",
        expected_duration="one_off",
        planned_action="Cap it",
    )
    owner = old.get_model("stakeholders", "Stakeholder").objects.create(
        name="Eli", group="engineering", role="engineer"
    )
    item = old.get_model("meetings", "ActionItem").objects.create(
        title="Cap the job",
        owner_id=owner.pk,
        explanation_id=explanation.pk,
        description="Planned action for x.\n\nCap it",
    )
    section = {
        "title": cost.title,
        "detail": COPY,
        "source": "variances",
        "url": f"/costs/variances/{variance.pk}/",
    }
    pack = old.get_model("meetings", "ReviewPack").objects.create(
        meeting_id=meeting.pk, version=1, period=date(2026, 3, 1), content={"sections": [section]}
    )
    return variance, cost, manual, item, pack


@pytest.mark.django_db(transaction=True)
def test_the_migration_blanks_the_copies_and_keeps_the_references():
    variance, cost, manual, item, pack = _old_rows(_migrate_to(BEFORE))
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    cost_now = AgendaItem.objects.get(pk=cost.pk)
    assert (cost_now.key, cost_now.title, cost_now.detail, cost_now.notes) == (
        f"variances:{variance.pk}",
        f"Variance awaiting review (#{variance.pk})",
        "",
        "Agreed to cap it.",
    )
    assert AgendaItem.objects.get(pk=manual.pk).detail == "Kept"
    assert ActionItem.objects.get(pk=item.pk).description == ""
    [section] = ReviewPack.objects.get(pk=pack.pk).content["sections"]
    assert section["detail"] == "" and "111111111111" not in section["title"]
