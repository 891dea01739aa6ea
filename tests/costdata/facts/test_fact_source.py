"""The facts' link to their source has no database foreign key: the writers' locks keep its guarantee.

Deleting a source deletes every fact it has (Django's cascade), and a delete racing a pull's commit
leaves no orphan either way round: the pull's FOR KEY SHARE lock and the delete's FOR UPDATE lock make
one wait for the other (costdata.facts.services.source_lock_for_facts, costdata.signals).
"""

from __future__ import annotations

import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from django.db import connections, transaction

from costdata.facts import services as facts_module
from costdata.facts.services import SourceDeleted
from costdata.ingestion.cost_explorer import CostRow, NormalisedResult
from costdata.ingestion.services import cost_window_replace, pull_result_from_rows
from costdata.models import CostSource, DailyCost, DailyTagCost, MonthlyCost

START, END = date(2026, 10, 1), date(2026, 10, 4)


def window_result(source: CostSource):
    rows = [
        CostRow(
            date(2026, 10, d), ("111111111111", "AWS Lambda"), "USD", Decimal("1.5"), Decimal("1.5"), False
        )
        for d in (1, 2, 3)
    ]
    tags = [
        CostRow(date(2026, 10, d), ("111111111111", "payments"), "USD", Decimal("1.5"), Decimal("1.5"), False)
        for d in (1, 2, 3)
    ]
    return pull_result_from_rows(
        source_id=source.pk,
        start=START,
        end=END,
        service=NormalisedResult(rows=rows),
        tags={"team": NormalisedResult(rows=tags)},
    )


def replace(source: CostSource) -> int:
    result = window_result(source)
    try:
        return cost_window_replace(source=source, start=START, end=END, result=result)
    finally:
        result.close()


def orphans(source_id: int) -> int:
    return sum(
        model.objects.filter(source_id=source_id).count() for model in (DailyCost, DailyTagCost, MonthlyCost)
    )


@pytest.mark.django_db
def test_deleting_a_source_deletes_its_facts_and_rollups():
    source = CostSource.objects.create(name="ce", kind=CostSource.Kind.AWS_COST_EXPLORER)
    other = CostSource.objects.create(name="other", kind=CostSource.Kind.AWS_COST_EXPLORER)
    assert replace(source) == 6
    replace(other)
    source_id = source.pk

    source.delete()

    assert orphans(source_id) == 0
    assert orphans(other.pk) == 7  # 3 daily, 3 tag, 1 month: the other source keeps its own


@pytest.mark.django_db
def test_a_window_replace_for_a_deleted_source_writes_nothing():
    source = CostSource.objects.create(name="ce", kind=CostSource.Kind.AWS_COST_EXPLORER)
    gone = CostSource(pk=source.pk, name="ce", kind=source.kind)
    source.delete()

    with pytest.raises(SourceDeleted, match="ce was deleted"):
        replace(gone)

    assert orphans(gone.pk) == 0


def _in_thread(target, errors: list) -> threading.Thread:
    def run() -> None:
        try:
            target()
        except BaseException as exc:  # reported to the test
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _blocked(thread: threading.Thread) -> bool:
    time.sleep(0.7)
    return thread.is_alive()


@pytest.mark.django_db(transaction=True)
def test_a_source_deleted_while_a_pull_commits_keeps_no_orphan(monkeypatch):
    source = CostSource.objects.create(name="ce", kind=CostSource.Kind.AWS_COST_EXPLORER)
    loaded, release = threading.Event(), threading.Event()
    upsert = facts_module.accounts_upsert

    def pause_after_loading(**kwargs):
        loaded.set()  # the facts and rollups are written, the transaction not yet committed
        assert release.wait(10)
        upsert(**kwargs)

    monkeypatch.setattr(facts_module, "accounts_upsert", pause_after_loading)
    errors: list = []
    puller = _in_thread(lambda: replace(source), errors)
    assert loaded.wait(10)
    deleter = _in_thread(lambda: CostSource.objects.get(pk=source.pk).delete(), errors)

    assert _blocked(deleter), "the delete must wait for the pull's transaction"
    release.set()
    puller.join(10)
    deleter.join(10)

    assert errors == []
    assert not CostSource.objects.filter(pk=source.pk).exists()
    assert orphans(source.pk) == 0


@pytest.mark.django_db(transaction=True)
def test_a_pull_committing_while_its_source_is_deleted_writes_nothing():
    source = CostSource.objects.create(name="ce", kind=CostSource.Kind.AWS_COST_EXPLORER)
    deleted, release = threading.Event(), threading.Event()

    def delete_and_hold() -> None:
        with transaction.atomic():
            CostSource.objects.get(pk=source.pk).delete()
            deleted.set()
            assert release.wait(10)

    errors: list = []
    deleter = _in_thread(delete_and_hold, errors)
    assert deleted.wait(10)
    puller = _in_thread(lambda: replace(source), errors)

    assert _blocked(puller), "the pull must wait for the delete's transaction"
    release.set()
    deleter.join(10)
    puller.join(10)

    assert [type(e) for e in errors] == [SourceDeleted]
    assert orphans(source.pk) == 0
