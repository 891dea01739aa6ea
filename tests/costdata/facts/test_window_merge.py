"""A re-pull of a window the source holds is merged on Postgres: the same result as delete-and-reload,
with only the rows that differ touched."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from costdata.ingestion.cost_explorer import CostRow, NormalisedResult
from costdata.ingestion.services import cost_window_replace, pull_result_from_rows
from costdata.models import CostSource, DailyCost, DailyTagCost, MonthlyCost

START, END = date(2026, 10, 1), date(2026, 10, 4)


def row(day: int, keys: tuple[str, str], amount: str, *, estimated: bool = False, currency: str = "USD"):
    return CostRow(date(2026, 10, day), keys, currency, Decimal(amount), Decimal(amount), estimated)


def load(source: CostSource, service: list[CostRow], tags: dict[str, list[CostRow]]) -> int:
    result = pull_result_from_rows(
        source_id=source.pk,
        start=START,
        end=END,
        service=NormalisedResult(rows=service),
        tags={key: NormalisedResult(rows=rows) for key, rows in tags.items()},
    )
    try:
        return cost_window_replace(source=source, start=START, end=END, result=result)
    finally:
        result.close()


def daily(source: CostSource) -> dict[tuple, tuple]:
    return {
        (r.day, r.account_id, r.service, r.currency): (r.id, r.unblended, r.estimated)
        for r in DailyCost.objects.filter(source=source)
    }


def tagged(source: CostSource) -> set[tuple]:
    return set(
        DailyTagCost.objects.filter(source=source).values_list("day", "tag_key", "tag_value", "unblended")
    )


@pytest.mark.django_db
def test_a_re_pull_leaves_exactly_the_new_rows_and_touches_only_what_changed():
    source = CostSource.objects.create(name="ce", kind=CostSource.Kind.AWS_COST_EXPLORER)
    other = CostSource.objects.create(name="other", kind=CostSource.Kind.AWS_COST_EXPLORER)
    first = [
        row(1, ("1", "S3"), "1.5"),
        row(2, ("1", "S3"), "2.5"),
        row(3, ("1", "S3"), "3.0000000001", estimated=True),
        row(3, ("1", "EC2"), "9"),
    ]
    load(source, first, {"team": [row(1, ("1", "a"), "1.5")], "old-key": [row(2, ("1", "x"), "2.5")]})
    load(other, first, {})
    before = daily(source)

    written = load(
        source,
        [
            row(1, ("1", "S3"), "1.5"),  # unchanged
            row(2, ("1", "S3"), "2.5"),  # unchanged
            row(3, ("1", "S3"), "3.2", estimated=False),  # restated
            row(3, ("1", "Lambda"), "0.25"),  # new; EC2 on day 3 is gone
        ],
        {"team": [row(1, ("1", "a"), "1.5"), row(2, ("1", ""), "2.5")]},
    )

    after = daily(source)
    assert written == 6
    assert {k: v[1:] for k, v in after.items()} == {
        (date(2026, 10, 1), "1", "S3", "USD"): (Decimal("1.5"), False),
        (date(2026, 10, 2), "1", "S3", "USD"): (Decimal("2.5"), False),
        (date(2026, 10, 3), "1", "S3", "USD"): (Decimal("3.2"), False),
        (date(2026, 10, 3), "1", "Lambda", "USD"): (Decimal("0.25"), False),
    }
    assert tagged(source) == {
        (date(2026, 10, 1), "team", "a", Decimal("1.5")),
        (date(2026, 10, 2), "team", "", Decimal("2.5")),
    }
    assert MonthlyCost.objects.get(source=source, service="S3").unblended == Decimal("7.2")
    assert not MonthlyCost.objects.filter(source=source, service="EC2").exists()
    assert len(daily(other)) == 4  # another source's rows in the same days are not touched
    # Merged, not reloaded: the unchanged and the restated rows are the same rows as before.
    for key in [(date(2026, 10, d), "1", "S3", "USD") for d in (1, 2, 3)]:
        assert after[key][0] == before[key][0]


@pytest.mark.django_db
def test_re_pulling_an_unchanged_window_changes_nothing():
    source = CostSource.objects.create(name="ce", kind=CostSource.Kind.AWS_COST_EXPLORER)
    rows = [row(d, ("1", "S3"), f"{d}.0000000001") for d in (1, 2, 3)]
    load(source, rows, {"team": [row(1, ("1", "a"), "1")]})
    before, before_tags = daily(source), tagged(source)

    assert load(source, rows, {"team": [row(1, ("1", "a"), "1")]}) == 4

    assert tagged(source) == before_tags
    assert daily(source) == before


@pytest.mark.django_db(transaction=True)
def test_the_merge_never_plans_a_nested_loop_even_before_the_facts_are_analysed():
    """Re-pulling a window loaded moments ago: the fact table's statistics do not know its rows yet,
    and a nested loop over Postgres's guess of a handful would read the staged rows once per fact row
    (minutes for a million rows). Each merge statement's plan is read as Postgres makes it."""
    source = CostSource.objects.create(name="ce", kind=CostSource.Kind.AWS_COST_EXPLORER)
    rows = [row(d, (str(a), f"S{s}"), "1.5") for d in (1, 2, 3) for a in range(20) for s in range(20)]
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE costdata_dailycost")  # forget any statistics earlier tests left
    load(source, rows, {})
    plans: list[str] = []

    def explain_merges(execute, sql, params, many, context):
        if "merge_costdata_dailycost" in sql and sql.lstrip().startswith(("DELETE", "UPDATE", "INSERT")):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN " + sql, params)
                plans.append("\n".join(line for (line,) in cursor.fetchall()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(explain_merges):
        load(source, [*rows[1:], row(3, ("1", "S1"), "2")], {})

    assert len(plans) == 3, plans
    for plan in plans:
        assert "Nested Loop" not in plan, plan
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_nestloop")
        assert cursor.fetchone()[0] == "on", "the setting does not outlive the merge"
