"""MonthlyCost from the normaliser's running sums: exactly the GROUP BY of the facts it replaces."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from costdata.facts.services import monthly_rollup_rebuild
from costdata.ingestion.cost_explorer import PageNormaliser, RollupSums
from costdata.ingestion.demo_source import DemoCostExplorer
from costdata.ingestion.services import source_pull
from costdata.models import CostSource, DailyCost, MonthlyCost
from tests.costdata.conftest import day_result, group, page

PARTS = {"line_start": "1,", "after_day": ",AWS,", "after_first": ""}


def monthly_rows(source: CostSource) -> list[tuple]:
    return sorted(
        MonthlyCost.objects.filter(source=source).values_list(
            "month", "provider", "account_id", "service", "currency", "unblended", "amortized", "estimated"
        )
    )


def test_the_sums_add_a_day_split_across_pages_and_keep_every_digit():
    monthly = RollupSums()
    normaliser = PageNormaliser(rollups=[monthly])
    normaliser.feed_csv(
        page(
            [
                day_result(date(2026, 10, 30), [group(["1", "S3"], "0.0000000001", "5")]),
                day_result(date(2026, 10, 31), [group(["1", "S3"], "123456789012345.1234567891")]),
            ]
        ),
        **PARTS,
    )
    normaliser.feed_csv(
        page(
            [
                day_result(date(2026, 10, 31), [group(["1", "EC2"], "-2.5")], estimated=True),
                day_result(date(2026, 11, 1), [group(["1", "S3"], "1E-10")]),
            ]
        ),
        **PARTS,
    )

    assert sorted(monthly.totals()) == [
        (date(2026, 10, 1), "1", "EC2", "USD", Decimal("-2.5"), Decimal("-2.5"), True),
        (
            date(2026, 10, 1),
            "1",
            "S3",
            "USD",
            Decimal("123456789012345.1234567892"),
            Decimal("123456789012350.1234567891"),
            False,
        ),
        (date(2026, 11, 1), "1", "S3", "USD", Decimal("1E-10"), Decimal("1E-10"), False),
    ]


def test_a_daily_grain_drops_the_service_and_keeps_currencies_apart():
    daily = RollupSums(bucket=lambda day: day, keep_second=False)
    PageNormaliser(rollups=[daily]).feed_csv(
        page(
            [
                day_result(
                    date(2026, 10, 30),
                    [
                        group(["1", "S3"], "1.1"),
                        group(["1", "EC2"], "2.2"),
                        group(["1", "EC2"], "3.3", unit="EUR"),
                        group(["2", "EC2"], "4.4"),
                    ],
                )
            ]
        ),
        **PARTS,
    )

    assert {total[:4]: total[4] for total in daily.totals()} == {
        (date(2026, 10, 30), "1", "", "USD"): Decimal("3.3"),
        (date(2026, 10, 30), "1", "", "EUR"): Decimal("3.3"),
        (date(2026, 10, 30), "2", "", "USD"): Decimal("4.4"),
    }


@pytest.mark.django_db
def test_monthly_costs_from_the_pulls_sums_equal_the_group_by_of_its_facts():
    # Aug 20 .. Nov 20: August and November are cut by the window (summed from the table), September
    # and October are whole (written from the normaliser's sums). Days before the window stay too.
    source = CostSource.objects.create(name="demo", kind=CostSource.Kind.DEMO)
    today = date(2026, 11, 20)
    client = DemoCostExplorer(today=today)
    source_pull(
        source_id=source.pk,
        start=date(2026, 8, 1),
        end=date(2026, 8, 25),
        today=today,
        client=client,
        with_insights=False,
    )
    source_pull(
        source_id=source.pk,
        start=date(2026, 8, 20),
        end=today,
        today=today,
        client=client,
        with_insights=False,
    )
    from_sums = monthly_rows(source)

    monthly_rollup_rebuild(source=source, start=date(2026, 8, 1), end=today)  # the GROUP BY, every month
    from_facts = monthly_rows(source)

    assert from_sums == from_facts
    assert {row[0] for row in from_sums} == {date(2026, m, 1) for m in (8, 9, 10, 11)}
    assert any(row[-1] for row in from_sums)  # the demo's recent days are estimated
    total = sum((row[5] for row in from_sums), Decimal(0))
    assert total == sum(DailyCost.objects.filter(source=source).values_list("unblended", flat=True))
