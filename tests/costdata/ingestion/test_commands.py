"""add_source and pull_costs: the command-line contracts."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from costdata.ingestion.windows import first_of_month
from costdata.models import CostSource, DailyCost, DailyTagCost, IngestionRun


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_add_source_creates_an_aws_source_with_its_own_schedule(db):
    out, _ = run(
        "add_source",
        "--name",
        "Payer 1",
        "--kind",
        "aws_cost_explorer",
        "--role-arn",
        "arn:aws:iam::123456789012:role/CostReader",
        "--external-id",
        "ext-42",
        "--tag-keys",
        "team, cost-centre",
    )
    source = CostSource.objects.get(name="Payer 1")
    assert (source.role_arn, source.external_id, source.tag_keys) == (
        "arn:aws:iam::123456789012:role/CostReader",
        "ext-42",
        ["team", "cost-centre"],
    )
    assert source.schedule.task == "costdata.pull_source"
    assert source.schedule.interval.every == 4
    assert "Added source Payer 1" in out


def test_add_source_refuses_a_malformed_role_arn_naming_the_option(db):
    with pytest.raises(CommandError, match="--role-arn: Enter an IAM role ARN"):
        run("add_source", "--name", "X", "--kind", "aws_cost_explorer", "--role-arn", "not-an-arn")
    assert not CostSource.objects.exists()


def test_add_source_refuses_a_duplicate_name(db):
    run("add_source", "--name", "X", "--kind", "demo")
    with pytest.raises(CommandError, match="--name"):
        run("add_source", "--name", "X", "--kind", "demo")


def test_a_focus_source_gets_no_pull_schedule(db):
    run("add_source", "--name", "Azure FOCUS", "--kind", "focus_file")
    assert CostSource.objects.get(name="Azure FOCUS").schedule is None


@pytest.fixture
def demo(db) -> CostSource:
    run("add_source", "--name", "Demo", "--kind", "demo", "--tag-keys", "team")
    return CostSource.objects.get(name="Demo")


def test_pull_costs_backfills_a_window_with_a_progress_bar(demo):
    today = timezone.localdate()
    start, end = first_of_month(today) - timedelta(days=40), first_of_month(today) - timedelta(days=10)
    out, err = run("pull_costs", "--source", "Demo", "--start", start.isoformat(), "--end", end.isoformat())

    run_row = demo.runs.get()
    assert (run_row.trigger, run_row.status) == (IngestionRun.Trigger.BACKFILL, IngestionRun.Status.SUCCEEDED)
    assert (run_row.window_start, run_row.window_end) == (start, end)
    days = set(DailyCost.objects.filter(source=demo).values_list("day", flat=True))
    assert min(days) == start and max(days) == end - timedelta(days=1)
    assert DailyTagCost.objects.filter(source=demo, tag_key="team").exists()
    assert "100%" in err and "[" in err
    assert f"{run_row.rows_written} rows" in out


def test_pull_costs_without_dates_runs_the_computed_refresh_window(demo):
    run("pull_costs", "--source", "Demo")
    first = demo.runs.get()
    assert first.trigger == IngestionRun.Trigger.MANUAL
    # A source with no data reads all the history Cost Explorer keeps.
    assert first.window_start.day == 1 and first.window_end == timezone.localdate()

    run("pull_costs", "--source", "Demo")
    second = demo.runs.order_by("-id").first()
    assert second.window_start > first.window_start, "history held as final is not read again"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--source", "Nope"], "no source named 'Nope'"),
        (["--source", "Demo", "--start", "2026-01-01"], "give both --start and --end"),
        (["--source", "Demo", "--start", "2026-13-01", "--end", "2026-12-01"], "'2026-13-01' is not a date"),
        (["--source", "Demo", "--start", "2026-11-05", "--end", "2026-11-05"], "must be after start"),
        (
            ["--source", "Demo", "--start", "2020-01-01", "--end", "2020-02-01"],
            "older than Cost Explorer keeps",
        ),
        (["--source", "Demo", "--start", "2026-01-01", "--end", "2099-01-01"], "in the future"),
    ],
)
def test_pull_costs_explains_what_is_wrong(demo, args, message):
    with pytest.raises(CommandError, match=message):
        run("pull_costs", *args)


def test_pull_costs_refuses_a_focus_source(db):
    run("add_source", "--name", "F", "--kind", "focus_file")
    with pytest.raises(CommandError, match="import_focus"):
        run("pull_costs", "--source", "F")
