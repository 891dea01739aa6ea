"""FOCUS 1.0 import: the real sample's totals to the last digit, replace-not-double, whole-file refusal."""

from __future__ import annotations

import csv
import gzip
import json
import sys
from collections import defaultdict
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from costdata.ingestion import services
from costdata.ingestion.focus import FocusFileRefused
from costdata.models import CloudAccount, CostSource, DailyCost, DailyTagCost, IngestionRun, MonthlyCost
from costdata.money import as_decimal, exact_sum

SAMPLE = Path("/work/shared/data/focus-1.0/focus_sample.csv")


def independent_totals(path: Path, key: str, amount: str) -> dict[str, Decimal]:
    """Sums straight from the file with the csv module and Decimal: no product code involved."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            totals[row[key]] += Decimal(row[amount])
    return dict(totals)


def stored_totals(source: CostSource, field: str, amount: str) -> dict[str, Decimal]:
    return {
        row[field]: as_decimal(row["total"])
        for row in DailyCost.objects.filter(source=source).values(field).annotate(total=exact_sum(amount))
    }


@pytest.fixture
def focus_source(db) -> CostSource:
    return services.source_create(name="FOCUS export", kind=CostSource.Kind.FOCUS_FILE)


def rewrite(tmp_path: Path, change) -> Path:
    """A copy of the sample with `change(line_number, row)` applied to each data row."""
    with open(SAMPLE, newline="") as handle:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames)
        rows = list(reader)
    out = tmp_path / "changed.csv"
    with open(out, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for line, row in enumerate(rows, start=2):
            change(line, row)
            writer.writerow(row)
    return out


@pytest.mark.parametrize(("field", "column"), [("provider", "ProviderName"), ("service", "ServiceName")])
@pytest.mark.parametrize(
    ("amount", "focus_amount"), [("unblended", "BilledCost"), ("amortized", "EffectiveCost")]
)
def test_the_sample_imports_with_exact_totals(focus_source, field, column, amount, focus_amount):
    services.focus_import(source=focus_source, path=SAMPLE)

    assert stored_totals(focus_source, field, amount) == independent_totals(SAMPLE, column, focus_amount)


def test_the_sample_lands_at_the_daily_grain_with_credits_kept(focus_source):
    run = services.focus_import(source=focus_source, path=SAMPLE)

    assert run.status == IngestionRun.Status.SUCCEEDED
    assert (str(run.window_start), str(run.window_end)) == ("2024-09-01", "2024-11-01")
    facts = DailyCost.objects.filter(source=focus_source)
    tag_facts = DailyTagCost.objects.filter(source=focus_source)
    assert facts.count() < 1000
    assert run.rows_written == facts.count() + tag_facts.count()
    assert set(facts.values_list("provider", flat=True)) == {"AWS", "Microsoft", "Oracle"}
    assert set(facts.values_list("currency", flat=True)) == {"USD"}
    # The sample's credit (billed -2.6137 on account 11353890204, 24 September) is summed into its day,
    # not dropped: the stored figure for that grain equals the file's rows for it.
    with open(SAMPLE, newline="") as handle:
        rows = [
            r
            for r in csv.DictReader(handle)
            if r["SubAccountId"] == "11353890204" and r["ChargePeriodStart"].startswith("2024-09-24")
        ]
    assert any(r["ChargeCategory"] == "Credit" for r in rows)
    for service in {r["ServiceName"] for r in rows}:
        expected = sum(Decimal(r["BilledCost"]) for r in rows if r["ServiceName"] == service)
        stored = facts.get(account_id="11353890204", day="2024-09-24", service=service).unblended
        assert stored == expected
    assert MonthlyCost.objects.filter(source=focus_source).exists()
    assert CloudAccount.objects.filter(provider="AWS").exclude(name="").exists()


def test_importing_the_same_file_twice_replaces_and_never_doubles(focus_source):
    services.focus_import(source=focus_source, path=SAMPLE)
    once = list(
        DailyCost.objects.filter(source=focus_source)
        .order_by("day", "provider", "account_id", "service")
        .values_list("day", "provider", "account_id", "service", "unblended", "amortized")
    )
    services.focus_import(source=focus_source, path=SAMPLE)
    twice = list(
        DailyCost.objects.filter(source=focus_source)
        .order_by("day", "provider", "account_id", "service")
        .values_list("day", "provider", "account_id", "service", "unblended", "amortized")
    )
    assert once == twice


def test_a_gzipped_file_imports_the_same(focus_source, tmp_path):
    packed = tmp_path / "focus.csv.gz"
    packed.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    services.focus_import(source=focus_source, path=packed)
    assert stored_totals(focus_source, "provider", "unblended") == independent_totals(
        SAMPLE, "ProviderName", "BilledCost"
    )


def test_a_missing_required_column_refuses_the_file_and_keeps_old_data(focus_source, tmp_path):
    services.focus_import(source=focus_source, path=SAMPLE)
    before = DailyCost.objects.filter(source=focus_source).count()
    lines = SAMPLE.read_text().splitlines()
    header = lines[0].replace('"BilledCost",', "")
    broken = tmp_path / "no-billed.csv"
    broken.write_text(
        "\n".join([header, *(line.split(",", 2)[0] + "," + line.split(",", 2)[2] for line in lines[1:])])
    )

    with pytest.raises(FocusFileRefused) as refused:
        services.focus_import(source=focus_source, path=broken)

    assert refused.value.problems == ["line 1: required column BilledCost is missing"]
    assert DailyCost.objects.filter(source=focus_source).count() == before
    run = focus_source.runs.order_by("-id").first()
    assert run.status == IngestionRun.Status.FAILED and "required column BilledCost is missing" in run.error


def test_bad_values_are_listed_by_row_and_column_and_nothing_is_imported(focus_source, tmp_path):
    def spoil(line, row):
        if line == 5:
            row["ChargePeriodStart"] = "30/09/2024"
        if line == 9:
            row["BilledCost"] = "twelve"
        if line == 12:
            row["BillingCurrency"] = "ZZZ"
        if line == 20:
            row["EffectiveCost"] = "NULL"

    with pytest.raises(FocusFileRefused) as refused:
        services.focus_import(source=focus_source, path=rewrite(tmp_path, spoil))

    assert refused.value.problems == [
        "row 5, column ChargePeriodStart: '30/09/2024' is not a date and time",
        "row 9, column BilledCost: 'twelve' is not an amount",
        "row 12, column BillingCurrency: 'ZZZ' is not an ISO 4217 currency code",
        "row 20, column EffectiveCost: is empty",
    ]
    assert not DailyCost.objects.filter(source=focus_source).exists()


def test_problems_name_the_file_line_a_record_starts_on_when_a_quoted_field_spans_lines(
    focus_source, tmp_path
):
    # Record 3's description holds two line breaks (the writer quotes it), record 4 is followed by a
    # blank line: from there every record starts lower in the file than its record number says.
    def spoil(record, row):
        if record == 3:
            row["ChargeDescription"] = "Compute usage\nsecond line\nthird line"
            row["BilledCost"] = "three"
        if record == 6:
            row["BillingCurrency"] = "ZZZ"

    path = rewrite(tmp_path, spoil)
    lines = path.read_text().splitlines(keepends=True)
    blank_after = 1 + 1 + 3 + 1  # header, record 2, record 3 (three lines), record 4
    path.write_text("".join([*lines[:blank_after], "\n", *lines[blank_after:]]))
    # Where the bad value sits, counted as an editor counts lines (1-based).
    text_lines = path.read_text().splitlines()
    zzz_line = next(n for n, text in enumerate(text_lines, start=1) if '"ZZZ"' in text or ",ZZZ," in text)

    with pytest.raises(FocusFileRefused) as refused:
        services.focus_import(source=focus_source, path=path)

    assert zzz_line == 6 + 2 + 1, "two line breaks inside record 3 and one blank line"
    assert refused.value.problems == [
        "row 3, column BilledCost: 'three' is not an amount",
        f"row {zzz_line}, column BillingCurrency: 'ZZZ' is not an ISO 4217 currency code",
    ]
    assert not DailyCost.objects.filter(source=focus_source).exists()


def test_an_unreadable_record_is_named_by_the_line_csv_stopped_on(focus_source, tmp_path):
    def spoil(record, row):
        if record == 2:
            row["ChargeDescription"] = "one\ntwo"  # record 2 takes lines 2 and 3
        if record == 4:
            row["ChargeDescription"] = "x" * (csv.field_size_limit() + 1)  # on line 5

    with pytest.raises(FocusFileRefused) as refused:
        services.focus_import(source=focus_source, path=rewrite(tmp_path, spoil))

    assert refused.value.problems == [
        "row 5: the file is not readable CSV from here "
        f"(field larger than field limit ({csv.field_size_limit()}))"
    ]


def test_only_the_first_fifty_problems_are_listed(focus_source, tmp_path):
    def spoil(line, row):
        row["BillingCurrency"] = "usd"

    with pytest.raises(FocusFileRefused) as refused:
        services.focus_import(source=focus_source, path=rewrite(tmp_path, spoil))
    assert len(refused.value.problems) == 50 and refused.value.more
    assert refused.value.problems[0].startswith("row 2, column BillingCurrency")
    assert "first 50" in focus_source.runs.get().error


def test_an_amount_finer_than_twelve_places_is_refused_rather_than_rounded(focus_source, tmp_path):
    def spoil(line, row):
        if line == 3:
            row["BilledCost"] = "0.0000000000001"

    with pytest.raises(FocusFileRefused, match="more than 12 decimal places"):
        services.focus_import(source=focus_source, path=rewrite(tmp_path, spoil))


def test_a_parquet_file_without_pyarrow_is_refused_clearly(focus_source, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    parquet = tmp_path / "focus.parquet"
    parquet.write_bytes(b"PAR1")
    with pytest.raises(FocusFileRefused, match="need pyarrow"):
        services.focus_import(source=focus_source, path=parquet)


def test_only_a_focus_source_takes_a_file(db):
    demo = services.source_create(name="Demo", kind=CostSource.Kind.DEMO)
    with pytest.raises(Exception, match="not a FOCUS file source"):
        services.focus_import(source=demo, path=SAMPLE)


def test_import_focus_command(focus_source, tmp_path):
    out = StringIO()
    call_command("import_focus", str(SAMPLE), "--source", "FOCUS export", stdout=out)
    assert "Imported focus_sample.csv into FOCUS export" in out.getvalue()
    assert "2024-09-01..2024-11-01 (end exclusive)" in out.getvalue()

    with pytest.raises(CommandError, match="no source named 'Nope'"):
        call_command("import_focus", str(SAMPLE), "--source", "Nope")
    with pytest.raises(CommandError, match="no file at"):
        call_command("import_focus", str(tmp_path / "missing.csv"), "--source", "FOCUS export")
    bad = rewrite(tmp_path, lambda line, row: row.update(ChargePeriodStart="soon") if line == 7 else None)
    with pytest.raises(CommandError, match="row 7, column ChargePeriodStart: 'soon' is not a date and time"):
        call_command("import_focus", str(bad), "--source", "FOCUS export")


# --- Tags ----------------------------------------------------------------------------------------
def independent_tag_totals(path: Path, key: str, amount: str) -> dict[str, Decimal]:
    """Sums by the value of tag `key` straight from the file ('' for rows without it): no product code."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            tags = {} if row["Tags"] in ("", "NULL") else json.loads(row["Tags"])
            totals[tags.get(key) or ""] += Decimal(row[amount])
    return dict(totals)


def stored_tag_totals(source: CostSource, key: str, amount: str) -> dict[str, Decimal]:
    return {
        row["tag_value"]: as_decimal(row["total"])
        for row in DailyTagCost.objects.filter(source=source, tag_key=key)
        .values("tag_value")
        .annotate(total=exact_sum(amount))
    }


def test_the_samples_tags_import_with_exact_totals_by_value(focus_source):
    services.focus_import(source=focus_source, path=SAMPLE)

    for key in ["application", "environment", "business_unit", " org", "CostCenter"]:
        for amount, focus_amount in [("unblended", "BilledCost"), ("amortized", "EffectiveCost")]:
            stored = stored_tag_totals(focus_source, key, amount)
            assert stored == independent_tag_totals(SAMPLE, key, focus_amount), (key, amount)
            # Every charge counts once under each key (untagged as ''): the key's total is the file's.
            file_total = sum(independent_totals(SAMPLE, "ProviderName", focus_amount).values())
            assert sum(stored.values()) == file_total, (key, amount)


def test_without_configured_keys_every_key_in_the_file_is_loaded_at_the_daily_grain(focus_source):
    services.focus_import(source=focus_source, path=SAMPLE)

    tag_facts = DailyTagCost.objects.filter(source=focus_source)
    keys = set(tag_facts.values_list("tag_key", flat=True))
    assert {"application", "environment", "business_unit", " org", "org", "ms:Department"} <= keys
    grain = ["day", "provider", "account_id", "tag_key", "tag_value", "currency"]
    assert tag_facts.values(*grain).distinct().count() == tag_facts.count()
    # The sample's credit (24 September, account 11353890204) is in its day's untagged application row.
    credit_day = tag_facts.filter(account_id="11353890204", day="2024-09-24", tag_key="application")
    assert credit_day.exists()


def test_configured_tag_keys_load_only_those_keys_and_an_absent_key_is_all_untagged(tmp_path, db):
    source = services.source_create(
        name="FOCUS tagged", kind=CostSource.Kind.FOCUS_FILE, tag_keys=["application", "team"]
    )
    services.focus_import(source=source, path=SAMPLE)

    tag_facts = DailyTagCost.objects.filter(source=source)
    assert set(tag_facts.values_list("tag_key", flat=True)) == {"application", "team"}
    file_total = sum(independent_totals(SAMPLE, "ProviderName", "BilledCost").values())
    assert stored_tag_totals(source, "team", "unblended") == {"": file_total}
    assert stored_tag_totals(source, "application", "unblended") == independent_tag_totals(
        SAMPLE, "application", "BilledCost"
    )


def test_reimporting_replaces_the_tag_rows_too(focus_source):
    services.focus_import(source=focus_source, path=SAMPLE)
    once = DailyTagCost.objects.filter(source=focus_source).count()
    services.focus_import(source=focus_source, path=SAMPLE)
    assert DailyTagCost.objects.filter(source=focus_source).count() == once
    assert stored_tag_totals(focus_source, "application", "unblended") == independent_tag_totals(
        SAMPLE, "application", "BilledCost"
    )


def test_malformed_tags_are_listed_by_row_and_column_and_nothing_is_imported(focus_source, tmp_path):
    broken = {5: '{"team": "payments"', 6: '["team"]', 7: '{"team": 7}', 8: '{"%s": "x"}' % ("k" * 129)}
    bad = rewrite(tmp_path, lambda line, row: row.update(Tags=broken[line]) if line in broken else None)

    with pytest.raises(FocusFileRefused) as refused:
        services.focus_import(source=focus_source, path=bad)

    problems = refused.value.problems
    assert problems[0].startswith("row 5, column Tags: is not valid JSON")
    assert problems[1] == "row 6, column Tags: is not a JSON object of tag keys and values (found list)"
    assert problems[2] == "row 7, column Tags: the value of tag 'team' is not text (7)"
    assert problems[3].startswith("row 8, column Tags: tag key 'kkk")
    assert len(problems) == 4
    assert not DailyCost.objects.filter(source=focus_source).exists()
    assert not DailyTagCost.objects.filter(source=focus_source).exists()


# --- Parquet -------------------------------------------------------------------------------------
def sample_as_parquet(tmp_path: Path, *, typed: bool) -> Path:
    """The sample converted to Parquet: typed as an export would be (costs as doubles, periods as
    timestamps, NULL as null), or every column as text."""
    pa_csv = pytest.importorskip("pyarrow.csv")
    import pyarrow.parquet as pq

    columns = SAMPLE.read_text().splitlines()[0].replace('"', "").split(",")
    convert = pa_csv.ConvertOptions(
        null_values=["NULL", ""],
        strings_can_be_null=True,
        column_types=None if typed else {name: "string" for name in columns},
    )
    table = pa_csv.read_csv(SAMPLE, convert_options=convert)
    if typed:
        assert str(table.schema.field("BilledCost").type) == "double"
        assert str(table.schema.field("ChargePeriodStart").type).startswith("timestamp")
    out = tmp_path / ("typed.parquet" if typed else "text.parquet")
    pq.write_table(table, out)
    return out


@pytest.mark.parametrize("typed", [True, False], ids=["typed", "text"])
def test_the_sample_as_parquet_imports_the_same_totals_as_the_csv(focus_source, tmp_path, typed):
    parquet = sample_as_parquet(tmp_path, typed=typed)

    run = services.focus_import(source=focus_source, path=parquet)

    assert run.status == IngestionRun.Status.SUCCEEDED
    for field, column in [("provider", "ProviderName"), ("service", "ServiceName")]:
        for amount, focus_amount in [("unblended", "BilledCost"), ("amortized", "EffectiveCost")]:
            assert stored_totals(focus_source, field, amount) == independent_totals(
                SAMPLE, column, focus_amount
            )
    assert stored_tag_totals(focus_source, "application", "unblended") == independent_tag_totals(
        SAMPLE, "application", "BilledCost"
    )
    assert (str(run.window_start), str(run.window_end)) == ("2024-09-01", "2024-11-01")


def test_a_parquet_file_is_recognised_by_its_content_whatever_its_name(focus_source, tmp_path):
    renamed = tmp_path / "export.bin"
    renamed.write_bytes(sample_as_parquet(tmp_path, typed=True).read_bytes())
    services.focus_import(source=focus_source, path=renamed)
    assert stored_totals(focus_source, "provider", "unblended") == independent_totals(
        SAMPLE, "ProviderName", "BilledCost"
    )


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_corrupt_parquet_file_is_refused_clearly_and_keeps_old_data(focus_source, tmp_path, damage):
    services.focus_import(source=focus_source, path=SAMPLE)
    before = DailyCost.objects.filter(source=focus_source).count()
    good = sample_as_parquet(tmp_path, typed=True).read_bytes()
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"PAR1 this is not parquet" if damage == "garbage" else good[: len(good) // 2])

    with pytest.raises(FocusFileRefused, match="not a readable Parquet file"):
        services.focus_import(source=focus_source, path=corrupt)

    run = IngestionRun.objects.filter(source=focus_source).first()
    assert run.status == IngestionRun.Status.FAILED
    assert "corrupt.parquet: refused, nothing imported" in run.error
    assert DailyCost.objects.filter(source=focus_source).count() == before


def _two_charges(tmp_path: Path, first_tags: str, second_tags: str) -> Path:
    """The sample's first row twice, on one day and sub-account, with the given Tags each."""
    with open(SAMPLE, newline="") as handle:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames or [])
        row = next(reader)
    out = tmp_path / "two.csv"
    with open(out, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for tags, billed in ((first_tags, "1.25"), (second_tags, "2.5")):
            writer.writerow({**row, "Tags": tags, "BilledCost": billed, "EffectiveCost": billed})
    return out


@pytest.mark.parametrize("empty", ['{"team": ""}', '{"team": null}'])
def test_an_empty_tag_value_and_a_missing_tag_key_are_one_untagged_row(focus_source, tmp_path, empty):
    path = _two_charges(tmp_path, empty, '{"env": "prod"}')
    run = services.focus_import(source=focus_source, path=path)
    assert run.status == IngestionRun.Status.SUCCEEDED
    untagged = DailyTagCost.objects.filter(source=focus_source, tag_key="team")
    assert [(row.tag_value, row.unblended) for row in untagged] == [("", Decimal("3.75"))]
    env = DailyTagCost.objects.filter(source=focus_source, tag_key="env").order_by("tag_value")
    assert [(row.tag_value, row.unblended) for row in env] == [
        ("", Decimal("1.25")),
        ("prod", Decimal("2.5")),
    ]


def test_a_database_refusal_during_an_import_is_a_failed_run_with_a_clear_message(
    focus_source, tmp_path, monkeypatch
):
    from django.db import IntegrityError

    from costdata.ingestion.services import focus as focus_service

    def refuse(**kwargs):
        raise IntegrityError(
            'duplicate key value violates unique constraint "uniq_daily_tag_cost"\nDETAIL: ...'
        )

    monkeypatch.setattr(focus_service, "focus_window_replace", refuse)
    with pytest.raises(services.FocusImportFailed, match="the database refused the import"):
        services.focus_import(source=focus_source, path=SAMPLE)
    run = IngestionRun.objects.get(source=focus_source)
    assert run.status == IngestionRun.Status.FAILED
    assert "nothing was imported (duplicate key value violates unique constraint" in run.error
    assert not DailyCost.objects.filter(source=focus_source).exists()
    with pytest.raises(CommandError, match="the database refused the import"):
        call_command("import_focus", str(SAMPLE), "--source", focus_source.name)
