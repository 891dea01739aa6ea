"""The daily rollups equal the facts to the last digit: after a pull, a restated re-pull, a FOCUS import,
and when built for data already held (command and migration function)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

from django.core.management import call_command

from costdata.ingestion import services
from costdata.models import CostSource, DailyAccountCost, DailyCost, DailyServiceCost
from costdata.money import as_decimal
from tests.costdata.conftest import TODAY, day_result, group, page, request

D1, D2, D3 = date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)
END = date(2026, 11, 4)
SAMPLE = Path("/work/shared/data/focus-1.0/focus_sample.csv")


def expected(source: CostSource, key: str) -> dict[tuple, tuple]:
    """The rollup computed independently in Python from the stored facts (Decimal sums, any-estimated)."""
    sums: dict[tuple, list] = defaultdict(lambda: [Decimal(0), Decimal(0), False])
    for row in DailyCost.objects.filter(source=source).values():
        group_ = sums[(row["day"], row["provider"], row[key], row["currency"])]
        group_[0] += as_decimal(row["unblended"])
        group_[1] += as_decimal(row["amortized"])
        group_[2] = group_[2] or row["estimated"]
    return {k: tuple(v) for k, v in sums.items()}


def stored(source: CostSource, model: type, key: str) -> dict[tuple, tuple]:
    return {
        (r["day"], r["provider"], r[key], r["currency"]): (
            as_decimal(r["unblended"]),
            as_decimal(r["amortized"]),
            r["estimated"],
        )
        for r in model.objects.filter(source=source).values()
    }


def assert_rollups_equal_facts(source: CostSource) -> None:
    accounts = expected(source, "account_id")
    services_ = expected(source, "service")
    assert accounts, "the test needs facts"
    assert stored(source, DailyAccountCost, "account_id") == accounts
    assert stored(source, DailyServiceCost, "service") == services_


def three_days(stubber, *, d3_first: str, d3_estimated: bool) -> None:
    stubber.add_response(
        "get_cost_and_usage",
        page(
            [
                day_result(
                    D1,
                    [
                        group(["111111111111", "AWS Lambda"], "1.0000000001", "0.9000000003"),
                        group(["111111111111", "Amazon S3"], "2.0000000002", "1.1"),
                        group(["222222222222", "AWS Lambda"], "0.0000000007", "0.0000000007"),
                    ],
                ),
                day_result(D2, [group(["111111111111", "AWS Lambda"], "-0.2500000001", "3")]),
                day_result(
                    D3,
                    [
                        group(["111111111111", "AWS Lambda"], d3_first),
                        group(["222222222222", "Amazon S3"], "7.123456789"),
                    ],
                    estimated=d3_estimated,
                ),
            ],
            names={"111111111111": "prod", "222222222222": "dev"},
        ),
        request(D1, END),
    )


def pull(source: CostSource, client) -> None:
    services.source_pull(
        source_id=source.pk, start=D1, end=END, today=TODAY, client=client, with_insights=False
    )


def test_a_pull_writes_both_rollups_equal_to_its_facts(aws_source, stubbed):
    client, stubber = stubbed
    three_days(stubber, d3_first="4.1", d3_estimated=True)
    pull(aws_source, client)

    assert_rollups_equal_facts(aws_source)
    row = DailyAccountCost.objects.get(source=aws_source, day=D1, account_id="111111111111")
    assert (as_decimal(row.unblended), as_decimal(row.amortized)) == (
        Decimal("3.0000000003"),
        Decimal("2.0000000003"),
    )
    assert DailyServiceCost.objects.get(source=aws_source, day=D3, service="AWS Lambda").estimated is True


def test_a_restated_re_pull_replaces_the_rollup_rows_and_never_doubles(aws_source, stubbed):
    client, stubber = stubbed
    three_days(stubber, d3_first="4.1", d3_estimated=True)
    three_days(stubber, d3_first="5.0000000001", d3_estimated=False)
    pull(aws_source, client)
    pull(aws_source, client)

    assert_rollups_equal_facts(aws_source)
    restated = DailyAccountCost.objects.get(source=aws_source, day=D3, account_id="111111111111")
    assert (as_decimal(restated.unblended), restated.estimated) == (Decimal("5.0000000001"), False)
    assert DailyAccountCost.objects.filter(source=aws_source).count() == 5


def test_a_focus_import_and_its_reimport_keep_the_rollups_equal_to_the_facts(db):
    source = services.source_create(name="FOCUS export", kind=CostSource.Kind.FOCUS_FILE)
    services.focus_import(source=source, path=SAMPLE)
    assert_rollups_equal_facts(source)
    first = stored(source, DailyAccountCost, "account_id")
    services.focus_import(source=source, path=SAMPLE)
    assert stored(source, DailyAccountCost, "account_id") == first
    assert_rollups_equal_facts(source)


def test_the_rebuild_command_builds_rollups_for_facts_loaded_another_way(aws_source):
    for day, account, service, amount in [
        (D1, "111111111111", "AWS Lambda", "1.123456789012"),
        (D1, "111111111111", "Amazon S3", "0.000000000001"),
        (D2, "222222222222", "AWS Lambda", "99999.5"),
    ]:
        DailyCost.objects.create(
            source=aws_source,
            day=day,
            account_id=account,
            service=service,
            unblended=Decimal(amount),
            amortized=Decimal(amount),
            currency="USD",
        )
    assert not DailyAccountCost.objects.exists()
    out = StringIO()
    call_command("rebuild_rollups", stdout=out)

    assert_rollups_equal_facts(aws_source)
    assert "daily rollup rows" in out.getvalue()
    assert stored(aws_source, DailyAccountCost, "account_id")[(D1, "AWS", "111111111111", "USD")][
        0
    ] == Decimal("1.123456789013")


def test_the_migration_builds_rollups_for_data_already_held(aws_source):
    import importlib

    from django.apps import apps
    from django.db import connection

    DailyCost.objects.create(
        source=aws_source,
        day=D1,
        account_id="1",
        service="S",
        unblended=Decimal("0.1"),
        amortized=Decimal("0.2"),
        currency="USD",
        estimated=True,
    )
    DailyCost.objects.create(
        source=aws_source,
        day=D1,
        account_id="1",
        service="T",
        unblended=Decimal("0.000000000003"),
        amortized=Decimal("0"),
        currency="USD",
    )
    migration = importlib.import_module("costdata.migrations.0012_build_daily_rollups")

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration.build(apps, editor)

    assert_rollups_equal_facts(aws_source)
