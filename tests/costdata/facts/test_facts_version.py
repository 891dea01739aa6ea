"""costdata.facts.selectors.facts_version: one statement, read on every cached request, that changes whenever
the cost facts may have (new rows, a new or finished run, a source renamed or deleted)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from costdata.facts.selectors import facts_version
from costdata.models import CostSource, DailyCost, IngestionRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def sources() -> list[CostSource]:
    return [CostSource.objects.create(name=name, kind=CostSource.Kind.DEMO) for name in ("One", "Two")]


def test_it_is_one_statement_and_stable_while_nothing_changes(sources):
    with CaptureQueriesContext(connection) as queries:
        version = facts_version()
    assert len(queries.captured_queries) == 1
    assert facts_version() == version


def test_it_changes_when_a_source_is_renamed(sources):
    before = facts_version()
    CostSource.objects.filter(pk=sources[0].pk).update(name="Renamed")
    assert facts_version() != before


def test_it_changes_when_a_source_is_deleted(sources):
    before = facts_version()
    sources[1].delete()
    assert facts_version() != before


def test_it_changes_with_new_facts_and_with_a_finished_run(sources):
    before = facts_version()
    DailyCost.objects.create(
        source=sources[0],
        day=timezone.localdate(),
        account_id="111111111111",
        service="Amazon S3",
        unblended=Decimal("1"),
        amortized=Decimal("1"),
        currency="USD",
    )
    with_facts = facts_version()
    assert with_facts != before
    run = IngestionRun.objects.create(source=sources[0], status=IngestionRun.Status.RUNNING)
    started = facts_version()
    assert started != with_facts
    IngestionRun.objects.filter(pk=run.pk).update(
        status=IngestionRun.Status.SUCCEEDED, finished_at=timezone.now()
    )
    assert facts_version() != started


def test_on_postgres_it_names_the_database(sources):
    with connection.cursor() as cursor:
        cursor.execute("SELECT oid FROM pg_database WHERE datname = current_database()")
        oid = cursor.fetchone()[0]
    assert facts_version().endswith(f"|{oid}")
