"""The scheduled pull's computed window, end to end: what the source holds and has read decides what
Cost Explorer is asked for (the request is checked by botocore's Stubber)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from costdata.ingestion import services
from costdata.models import CostSource, DailyCost, IngestionRun
from tests.costdata.conftest import TODAY, day_result, group, page, request

HISTORY_START = date(2025, 11, 1)  # 13 months counting November 2026


def read_before(source: CostSource, start: date, end: date, *, status=IngestionRun.Status.SUCCEEDED) -> None:
    IngestionRun.objects.create(
        source=source,
        status=status,
        trigger=IngestionRun.Trigger.SCHEDULE,
        window_start=start,
        window_end=end,
        finished_at=timezone.now(),
    )


def held(source: CostSource, day: date, *, estimated: bool) -> None:
    DailyCost.objects.create(
        source=source,
        day=day,
        provider="AWS",
        account_id="111111111111",
        service="AWS Lambda",
        unblended=Decimal("1"),
        amortized=Decimal("1"),
        currency="USD",
        estimated=estimated,
    )


def scheduled_pull_asks_for(source: CostSource, stubbed, expected: tuple[date, date], today: date = TODAY):
    client, stubber = stubbed
    start, end = expected
    stubber.add_response(
        "get_cost_and_usage",
        page([day_result(start, [group(["111111111111", "AWS Lambda"], "2")])]),
        request(start, end),
    )
    run = services.source_pull(source_id=source.pk, today=today, client=client, with_insights=False)
    stubber.assert_no_pending_responses()
    assert (run.window_start, run.window_end) == expected
    assert run.status == IngestionRun.Status.SUCCEEDED
    return run


def test_a_new_source_reads_all_the_history_cost_explorer_keeps(aws_source, stubbed):
    scheduled_pull_asks_for(aws_source, stubbed, (HISTORY_START, TODAY))


def test_a_source_that_has_read_everything_reads_only_the_open_month_once_the_last_bill_is_final(
    aws_source, stubbed
):
    read_before(aws_source, HISTORY_START, date(2026, 11, 19))
    held(aws_source, date(2026, 10, 31), estimated=False)
    scheduled_pull_asks_for(aws_source, stubbed, (date(2026, 11, 1), TODAY))


def test_a_source_with_no_cost_at_all_does_not_read_its_history_again(aws_source, stubbed):
    """Its pulls return no rows; what it has read still counts (no request spent on history again)."""
    read_before(aws_source, HISTORY_START, date(2026, 11, 19))
    assert not DailyCost.objects.filter(source=aws_source).exists()
    scheduled_pull_asks_for(aws_source, stubbed, (date(2026, 11, 1), TODAY))


def test_early_in_the_month_the_previous_month_is_read_until_its_bill_is_final(aws_source, stubbed, settings):
    settings.BILL_FINAL_AFTER_DAYS = 5
    today = date(2026, 11, 5)  # not past the 5th: October's bill may still change
    read_before(aws_source, HISTORY_START, date(2026, 11, 4))
    scheduled_pull_asks_for(aws_source, stubbed, (date(2026, 10, 1), today), today=today)


def test_the_day_after_the_cut_off_the_previous_month_is_final(aws_source, stubbed, settings):
    settings.BILL_FINAL_AFTER_DAYS = 5
    today = date(2026, 11, 6)
    read_before(aws_source, HISTORY_START, date(2026, 11, 5))
    scheduled_pull_asks_for(aws_source, stubbed, (date(2026, 11, 1), today), today=today)


def test_a_previous_month_still_holding_estimated_days_is_not_final(aws_source, stubbed):
    read_before(aws_source, HISTORY_START, date(2026, 11, 19))
    held(aws_source, date(2026, 10, 30), estimated=True)
    scheduled_pull_asks_for(aws_source, stubbed, (date(2026, 10, 1), TODAY))


def test_an_older_estimated_day_pulls_the_window_back_to_it(aws_source, stubbed):
    read_before(aws_source, HISTORY_START, date(2026, 11, 19))
    held(aws_source, date(2026, 9, 28), estimated=True)
    held(aws_source, date(2026, 9, 27), estimated=False)
    scheduled_pull_asks_for(aws_source, stubbed, (date(2026, 9, 28), TODAY))


def test_a_source_backfilled_for_old_months_only_fills_the_gap(aws_source, stubbed):
    """Holding rows is not having read everything: the months after the backfill were never pulled."""
    read_before(aws_source, HISTORY_START, date(2026, 2, 1))
    held(aws_source, date(2026, 1, 15), estimated=False)
    scheduled_pull_asks_for(aws_source, stubbed, (date(2026, 2, 1), TODAY))
    # Once that pull has succeeded, the next one is back to the open month.
    scheduled_pull_asks_for(aws_source, stubbed, (date(2026, 11, 1), TODAY))


@pytest.mark.parametrize("status", [IngestionRun.Status.FAILED, IngestionRun.Status.RUNNING])
def test_a_window_that_did_not_succeed_was_not_read(aws_source, stubbed, status):
    read_before(aws_source, HISTORY_START, date(2026, 6, 1))
    read_before(aws_source, date(2026, 6, 1), date(2026, 11, 19), status=status)
    scheduled_pull_asks_for(aws_source, stubbed, (date(2026, 6, 1), TODAY))
