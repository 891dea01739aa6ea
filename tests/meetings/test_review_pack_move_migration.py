"""Review packs move from costdata to meetings in state only: the rows stay, and so does their content
type (renamed), which audit rows and permissions point at."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from meetings.models import ReviewPack

BEFORE = [("costdata", "0012_build_daily_rollups"), ("meetings", "0005_audit_trail_moves_to_auditlog")]
STARTS = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
CONTENT = {
    "scope": {"label": "Organisation"},
    "charts": {"daily": {"rows": [["2026-03-01", "12.3456789012"]]}},
}


def _migrate_to(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_a_pack_written_before_the_move_reads_the_same_after_it():
    old = _migrate_to(BEFORE)
    meeting = old.get_model("meetings", "Meeting").objects.create(
        title="Monthly cost review", starts_at=STARTS
    )
    old_pack = old.get_model("costdata", "ReviewPack").objects.create(
        meeting_id=meeting.pk,
        version=2,
        period=date(2026, 3, 1),
        basis="amortized",
        currency="EUR",
        data_up_to=date(2026, 3, 9),
        content=CONTENT,
    )
    content_types = old.get_model("contenttypes", "ContentType").objects
    content_types.filter(app_label="meetings", model="reviewpack").delete()
    old_type, _ = content_types.get_or_create(app_label="costdata", model="reviewpack")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    pack = ReviewPack.objects.get(pk=old_pack.pk)
    assert (pack.meeting_id, pack.version, pack.period, pack.basis, pack.currency, pack.data_up_to) == (
        meeting.pk,
        2,
        date(2026, 3, 1),
        "amortized",
        "EUR",
        date(2026, 3, 9),
    )
    assert pack.content == CONTENT
    assert pack.meeting.title == "Monthly cost review"
    ContentType.objects.clear_cache()
    moved = ContentType.objects.get_for_model(ReviewPack)
    assert (moved.pk, moved.app_label) == (old_type.pk, "meetings")
    assert not ContentType.objects.filter(app_label="costdata", model="reviewpack").exists()


@pytest.mark.django_db(transaction=True)
def test_going_back_gives_the_content_type_back_to_costdata():
    ContentType.objects.clear_cache()
    moved = ContentType.objects.get_for_model(ReviewPack)
    old = _migrate_to(BEFORE)
    restored = old.get_model("contenttypes", "ContentType").objects.get(pk=moved.pk)
    assert restored.app_label == "costdata"
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()
    assert ContentType.objects.get(pk=moved.pk).app_label == "meetings"
