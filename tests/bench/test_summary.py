"""The `make bench` summary: every benchmark's figures beside their targets, from var/bench/*.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.summary import read_reports, render, summary_lines

INGEST = {
    "rows": 1000000,
    "results": {"product": {"rows_per_second": 9100, "from_parsed_pages": {"rows_per_second": 17203}}},
    "targets": {
        "product_vs_copy_ceiling": 0.061,
        "design_floor_from_parsed_pages_vs_copy_ceiling": 0.119,
        "design_floor_perfect_overlap_vs_copy_ceiling": 0.14,
        "product_at_least_half_of_ceiling": False,
        "product_peak_mb": 91.2,
        "product_peak_under_400_mb": True,
    },
}
DASHBOARD = {
    "sizes": [
        {
            "rows": 1012500,
            "timings": {
                "trivial": {"p50_ms": 15, "p95_ms": 17},
                "overview": {"p50_ms": 120, "p95_ms": 180},
                "overview_cold": {"p50_ms": 310, "p95_ms": 402.5},
            },
            "overview_p95_vs_trivial": 10.6,
            "overview_p95_under_300_ms": True,
            "overview_under_10x_trivial": False,
        }
    ]
}
LOAD = {
    "rows": 1012500,
    "results": {
        "costs_api": {"requests_per_second": 412.5, "p50_ms": 12.0, "p95_ms": 40.0, "p99_ms": 90.5},
        "overview": {"requests_per_second": 3.1, "p50_ms": 800.0, "p95_ms": 1500.0, "p99_ms": 2400.0},
    },
    "targets": {
        "costs_api_requests_per_second": 412.5,
        "costs_api_at_least_300_rps": True,
        "costs_api_p99_ms": 90.5,
        "costs_api_p99_under_150_ms": True,
        "errors": 3,
        "zero_errors": False,
    },
}


def write(directory: Path, **reports: dict) -> Path:
    for name, report in reports.items():
        (directory / f"{name}.json").write_text(json.dumps(report))
    return directory


def table(directory: Path) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(benchmark, measure) -> (figure, target, met) as the rendered summary shows them."""
    return {
        (line.benchmark, line.measure): (
            line.figure,
            line.target,
            {True: "yes", False: "NO", None: "-"}[line.met],
        )
        for line in summary_lines(read_reports(directory))
    }


def test_each_figure_stands_beside_its_target_and_whether_it_is_met(tmp_path):
    rows = table(write(tmp_path, ingest=INGEST, dashboard=DASHBOARD, load=LOAD))
    assert rows[("ingest", "product path, 1,000,000 rows: rows/s (share of the plain COPY ceiling)")] == (
        "17,203 (6%)",
        ">= 50% of the ceiling",
        "NO",
    )
    assert rows[("ingest", "product path: peak memory")] == ("91 MB", "< 400 MB", "yes")
    floor = "design floor keeping the unique key and rollups: share of the ceiling (phases in turn / perfectly overlapped)"
    assert rows[("ingest", floor)] == (
        "12% / 14%",
        "informative",
        "-",
    )
    assert rows[("dashboard", "overview p50 / p95, 1,012,500 rows")] == (
        "120 / 180 ms",
        "p95 < 300 ms",
        "yes",
    )
    assert rows[("dashboard", "overview p95 vs the trivial page (17 ms), 1,012,500 rows")][2] == "NO"
    # The cold figure is shown beside the targets, not judged against them; a page not timed is not shown.
    assert rows[("dashboard", "overview cold (caches emptied) p50 / p95, 1,012,500 rows")] == (
        "310 / 402 ms",
        "(informative)",
        "-",
    )
    assert not [key for key in rows if key[1].startswith("scope page cold")]
    assert rows[("load", "costs API requests/s (1,012,500 rows, gunicorn, wrk)")] == (
        "412.5",
        ">= 300/s",
        "yes",
    )
    assert rows[("load", "costs API p99")] == ("90.5 ms", "< 150 ms", "yes")
    assert rows[("load", "overview: req/s, p50 / p95 / p99")] == (
        "3.1/s, 800.0 / 1,500.0 / 2,400.0 ms",
        "p99 < 1000 ms",
        "NO",
    )
    assert rows[("load", "errors (non-2xx, socket errors, timeouts), all endpoints")] == ("3", "0", "NO")


def test_a_benchmark_that_has_not_run_is_named_as_not_run(tmp_path):
    write(tmp_path, load=LOAD)
    (tmp_path / "dashboard.json").write_text("{not json")
    text = render(summary_lines(read_reports(tmp_path)))
    assert "not run (no var/bench/ingest.json): make bench BENCH=ingest" in text
    assert "not run (no var/bench/dashboard.json)" in text
    assert "costs API p99" in text


def test_a_figure_missing_from_the_json_reads_as_unknown_not_a_crash(tmp_path):
    rows = table(write(tmp_path, ingest={"rows": 5}, dashboard={"sizes": [{}]}, load={"results": {"x": {}}}))
    assert rows[("ingest", "product path: peak memory")] == ("?", "< 400 MB", "-")
    assert rows[("load", "x: req/s, p50 / p95 / p99")] == ("?/s, ? / ? / ?", "p99 < 1000 ms", "-")


def test_the_rendered_table_counts_the_targets_met_and_missed(tmp_path):
    text = render(summary_lines(read_reports(write(tmp_path, ingest=INGEST, dashboard=DASHBOARD, load=LOAD))))
    header, rule, *body = text.splitlines()
    assert header.split() == ["benchmark", "measure", "figure", "target", "met"]
    assert set(rule.replace(" ", "")) == {"-"}
    # ingest 1 of 2, dashboard 1 of 2, load: rate, p99, costs_api p99 met; overview p99 and errors missed.
    assert body[-1] == "targets met: 5, not met: 4"


@pytest.mark.parametrize("argv", [["--summary"]])
def test_python_m_bench_summary_prints_the_table_alone(tmp_path, monkeypatch, capsys, argv):
    import bench.__main__ as runner

    monkeypatch.setattr(runner, "RESULTS", write(tmp_path, load=LOAD))
    assert runner.main(argv) == 0
    out = capsys.readouterr().out
    assert "costs API requests/s" in out and "not run (no var/bench/ingest.json)" in out
