"""Ingest benchmark: a million Cost Explorer-shaped rows into Postgres, three ways, side by side.

1. the product's path: costdata.services.source_pull reading GetCostAndUsage pages (JSON, as botocore
   hands them over after parsing the HTTP body) through the page normaliser, spooling, COPY into the
   indexed fact table, the monthly rollup, one transaction;
2. the ceiling: a plain COPY of the same rows, already as CSV, into an unlogged table with no index;
3. what a typical Django app does: json.loads, Decimal, DailyCost(...) and bulk_create.

Each runs in its own process so its peak memory (ru_maxrss) is its own. Figures go to
var/bench/ingest.json and a table on stdout. BENCH_ROWS overrides the row count for a quick look.
"""

from __future__ import annotations

import csv
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "var" / "bench"
ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
ACCOUNTS, SERVICES = 80, 50  # 4,000 groups a day
GROUPS_PER_PAGE = 3000  # so most days straddle two pages, as Cost Explorer's do
START = date(2026, 1, 1)
TARGET_FRACTION_OF_CEILING = 0.5
TARGET_PEAK_MB = 400


def window() -> tuple[date, date]:
    days = -(-ROWS // (ACCOUNTS * SERVICES))
    return START, START + timedelta(days=days)


def _groups() -> Any:
    """Every (day, account, service, amount) of the benchmark, deterministic."""
    start, end = window()
    produced = 0
    day = start
    while day < end:
        for a in range(ACCOUNTS):
            for s in range(SERVICES):
                if produced == ROWS:
                    return
                n = produced * 2654435761 % 1_000_000_007
                amount = f"{n % 100000}.{n % 9999999999:010d}"
                yield day, f"{100000000000 + a:012d}", f"Service number {s:02d}", amount
                produced += 1
        day += timedelta(days=1)


def generate() -> None:
    """Write the pages (JSON lines, one GetCostAndUsage response each) and the same rows as CSV."""
    OUT.mkdir(parents=True, exist_ok=True)
    pages_path, csv_path = OUT / "pages.jsonl", OUT / "rows.csv"
    marker = OUT / f"generated-{ROWS}"
    if marker.exists() and pages_path.exists() and csv_path.exists():
        return
    with open(pages_path, "w") as pages, open(csv_path, "w", newline="") as rows:
        writer = csv.writer(rows, lineterminator="\n")
        batch: list[tuple] = []
        page_number = 0

        def flush(last: bool) -> None:
            nonlocal page_number
            page_number += 1
            by_day: dict[date, list] = {}
            for day, account, service, amount in batch:
                by_day.setdefault(day, []).append(
                    {
                        "Keys": [account, service],
                        "Metrics": {
                            "UnblendedCost": {"Amount": amount, "Unit": "USD"},
                            "AmortizedCost": {"Amount": amount, "Unit": "USD"},
                        },
                    }
                )
            response: dict[str, Any] = {
                "GroupDefinitions": [
                    {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"},
                    {"Type": "DIMENSION", "Key": "SERVICE"},
                ],
                "ResultsByTime": [
                    {
                        "TimePeriod": {"Start": d.isoformat(), "End": (d + timedelta(days=1)).isoformat()},
                        "Total": {},
                        "Groups": groups,
                        "Estimated": False,
                    }
                    for d, groups in by_day.items()
                ],
                "DimensionValueAttributes": [],
            }
            if not last:
                response["NextPageToken"] = f"page-{page_number + 1}"
            pages.write(json.dumps(response) + "\n")
            batch.clear()

        for day, account, service, amount in _groups():
            batch.append((day, account, service, amount))
            writer.writerow([0, day.isoformat(), "AWS", account, service, amount, amount, "USD", "f"])
            if len(batch) == GROUPS_PER_PAGE:
                flush(last=False)
        flush(last=True)
    marker.touch()


class PagesFromFile:
    """A Cost Explorer client answering GetCostAndUsage from the generated pages, one line per call."""

    def __init__(self, path: Path) -> None:
        self.handle = open(path)

    def get_cost_and_usage(self, **request: Any) -> dict[str, Any]:
        return json.loads(self.handle.readline())


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnership.settings")
    # As in production: with DEBUG on, Django keeps every SQL statement in memory.
    os.environ.setdefault("DEBUG", "false")
    import django

    django.setup()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _empty_facts() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE costdata_dailycost, costdata_dailytagcost, costdata_monthlycost")


def measure(kind: str) -> dict[str, Any]:
    """One measurement, in this process (called by the parent through a subprocess)."""
    _setup_django()
    from django.db import connection, transaction

    from costdata import services
    from costdata.models import CostSource, DailyCost, IngestionRun

    start, end = window()
    source, _ = CostSource.objects.get_or_create(name=f"bench-{kind}", kind=CostSource.Kind.AWS_COST_EXPLORER)
    if kind == "copy":
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_copy")
            cursor.execute(
                "CREATE UNLOGGED TABLE bench_copy (source_id bigint, day date, provider varchar(50), "
                "account_id varchar(100), service varchar(255), unblended numeric(30,12), "
                "amortized numeric(30,12), currency varchar(3), estimated boolean)"
            )
        began = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor, open(OUT / "rows.csv") as rows:
            cursor.copy_expert("COPY bench_copy FROM STDIN WITH (FORMAT csv)", rows, 256 * 1024)
        elapsed = time.perf_counter() - began
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM bench_copy")
            loaded = cursor.fetchone()[0]
            cursor.execute("DROP TABLE bench_copy")
    elif kind == "product":
        _empty_facts()
        client = PagesFromFile(OUT / "pages.jsonl")
        began = time.perf_counter()
        run = services.source_pull(
            source_id=source.pk,
            start=start,
            end=end,
            today=end,
            client=client,
            trigger=IngestionRun.Trigger.BACKFILL,
            with_insights=False,
        )
        elapsed = time.perf_counter() - began
        loaded = DailyCost.objects.filter(source=source).count()
        assert run.rows_written == loaded == ROWS, (run.rows_written, loaded)
    elif kind == "bulk_create":
        from decimal import Decimal

        _empty_facts()
        began = time.perf_counter()
        with transaction.atomic(), open(OUT / "pages.jsonl") as pages:
            DailyCost.objects.filter(source=source, day__gte=start, day__lt=end).delete()
            for line in pages:
                page = json.loads(line)
                objects = [
                    DailyCost(
                        source=source,
                        day=date.fromisoformat(result["TimePeriod"]["Start"]),
                        provider="AWS",
                        account_id=group["Keys"][0],
                        service=group["Keys"][1],
                        unblended=Decimal(group["Metrics"]["UnblendedCost"]["Amount"]),
                        amortized=Decimal(group["Metrics"]["AmortizedCost"]["Amount"]),
                        currency=group["Metrics"]["UnblendedCost"]["Unit"],
                        estimated=bool(result["Estimated"]),
                    )
                    for result in page["ResultsByTime"]
                    for group in result["Groups"]
                ]
                DailyCost.objects.bulk_create(objects, batch_size=5000)
        elapsed = time.perf_counter() - began
        loaded = DailyCost.objects.filter(source=source).count()
    else:
        raise SystemExit(f"unknown measurement {kind}")
    return {
        "rows": loaded,
        "seconds": round(elapsed, 3),
        "rows_per_second": round(loaded / elapsed),
        "peak_mb": round(_peak_mb(), 1),
    }


def main() -> int:
    database = os.environ.get("DATABASE_URL", "")
    if not database.startswith(("postgres://", "postgresql://")):
        print("bench.ingest needs Postgres: run it with `make bench` (it starts one).", file=sys.stderr)
        return 2
    _setup_django()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    began = time.perf_counter()
    generate()
    print(f"generated {ROWS:,} rows in {time.perf_counter() - began:.1f} s", flush=True)
    results: dict[str, Any] = {}
    for kind in ("copy", "product", "bulk_create"):
        child = subprocess.run(
            [sys.executable, "-m", "bench.ingest", "--measure", kind],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if child.returncode != 0:
            print(child.stderr, file=sys.stderr)
            return 1
        results[kind] = json.loads(child.stdout.strip().splitlines()[-1])
        print(f"  {kind}: {results[kind]}", flush=True)
    ceiling = results["copy"]["rows_per_second"]
    product = results["product"]
    report = {
        "rows": ROWS,
        "postgres": True,
        "results": results,
        "targets": {
            "product_vs_copy_ceiling": round(product["rows_per_second"] / ceiling, 3),
            "product_at_least_half_of_ceiling": product["rows_per_second"]
            >= TARGET_FRACTION_OF_CEILING * ceiling,
            "product_peak_mb": product["peak_mb"],
            "product_peak_under_400_mb": product["peak_mb"] < TARGET_PEAK_MB,
        },
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "ingest.json").write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(f"{'path':<42}{'rows/s':>12}{'seconds':>10}{'peak MB':>10}")
    labels = {
        "product": "product (pages -> normalise -> COPY)",
        "copy": "plain COPY, unlogged table (ceiling)",
        "bulk_create": "Django bulk_create",
    }
    for kind in ("product", "copy", "bulk_create"):
        r = results[kind]
        print(f"{labels[kind]:<42}{r['rows_per_second']:>12,}{r['seconds']:>10.1f}{r['peak_mb']:>10.0f}")
    t = report["targets"]
    print(
        f"\ntarget >= {TARGET_FRACTION_OF_CEILING:.0%} of the COPY ceiling: {t['product_vs_copy_ceiling']:.0%} "
        f"({'met' if t['product_at_least_half_of_ceiling'] else 'NOT met'}); "
        f"target < {TARGET_PEAK_MB} MB peak: {product['peak_mb']:.0f} MB "
        f"({'met' if t['product_peak_under_400_mb'] else 'NOT met'})"
    )
    print(f"written to {OUT / 'ingest.json'}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2])))
    else:
        sys.exit(main())
