"""A database of the release before the reshaping (shared infrastructure apps, models moved between apps,
the explanation's action item link reversed) migrates forward with `migrate` and keeps every row.

The demo organisation is built, the database is taken back to that release's migrations (the state a
database of that release is in, holding the same rows), then migrated forward: every table the product
had keeps its rows, and the moved links still join."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from costdata.models import Explanation
from meetings.models import ActionItem
from stakeholders.models import Stakeholder

# The leaf migrations of the release before the reshaping; the apps it did not have are taken back to zero.
RELEASE = [
    ("partnership", "0003_audit_append_only"),
    ("stakeholders", "0003_audit_trail_moves_to_auditlog"),
    ("meetings", "0005_audit_trail_moves_to_auditlog"),
    ("costdata", "0012_build_daily_rollups"),
    ("audit", None),
    ("common", None),
    ("outbox", None),
]


def _row_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        tables = [t for t in connection.introspection.table_names(cursor) if not t.startswith("django_")]
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - names from the catalogue
            counts[table] = cursor.fetchone()[0]
    return counts


@pytest.mark.django_db(transaction=True)
def test_a_database_of_the_previous_release_migrates_forward_keeping_every_row(demo_organisation):
    explanation = Explanation.objects.order_by("pk").first()
    owner = Stakeholder.objects.filter(active=True).order_by("pk").first()
    ActionItem.objects.create(title="Cap the batch job", owner=owner, explanation=explanation)
    links = set(ActionItem.objects.exclude(explanation=None).values_list("pk", "explanation_id"))
    assert links, "an action item made from an explanation: its link is reversed on the way"
    before = _row_counts()
    executor = MigrationExecutor(connection)
    executor.migrate(RELEASE)
    try:
        old = _row_counts()
        assert "outbox_delivery" not in old, "the release had no outbox"
        kept = {table: count for table, count in before.items() if table in old}
        assert {table: old[table] for table in kept} == kept, "the old release holds the same rows"
    finally:  # forward again whatever happened: the tests after this one need the current schema
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    after = _row_counts()
    assert {table: after.get(table) for table in old} == old
    assert set(ActionItem.objects.exclude(explanation=None).values_list("pk", "explanation_id")) == links
