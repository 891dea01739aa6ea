"""One table of every benchmark's figures beside its targets, read from var/bench/*.json.

`python -m bench` prints it after the benchmarks it ran; `python -m bench --summary` (`make
bench-summary`) prints it alone. A benchmark whose JSON is missing is listed as not run; a figure
the JSON lacks (an older or newer format) reads "?" instead of failing the table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCHMARKS = ("ingest", "dashboard", "load")


@dataclass(frozen=True)
class Line:
    benchmark: str
    measure: str
    figure: str
    target: str
    met: bool | None  # None: informative, or not measured


def _get(data: Any, *path: str | int) -> Any:
    for step in path:
        try:
            data = data[step]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _num(value: Any, unit: str = "", digits: int = 0) -> str:
    if value is None:
        return "?"
    return f"{value:,.{digits}f}{unit}"


def _met(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def ingest_lines(report: dict[str, Any]) -> list[Line]:
    product = _get(report, "results", "product") or {}
    # The judged figure: from botocore's parsed pages (older reports hold only the whole run's).
    judged = product.get("from_parsed_pages") or product
    rows = _get(report, "rows")
    floor = _get(report, "targets", "design_floor_from_parsed_pages_vs_copy_ceiling")
    floor_bound = _get(report, "targets", "design_floor_perfect_overlap_vs_copy_ceiling")
    return [
        Line(
            "ingest",
            f"product path, {_num(rows)} rows: rows/s (share of the plain COPY ceiling)",
            f"{_num(judged.get('rows_per_second'))} ({_num(_pct(_get(report, 'targets', 'product_vs_copy_ceiling')))}%)",
            ">= 50% of the ceiling",
            _met(_get(report, "targets", "product_at_least_half_of_ceiling")),
        ),
        *(
            []
            if floor is None
            else [
                Line(
                    "ingest",
                    "design floor keeping the unique key and rollups: share of the ceiling "
                    "(phases in turn / perfectly overlapped)",
                    f"{_num(_pct(floor))}% / {_num(_pct(floor_bound))}%",
                    "informative",
                    None,
                )
            ]
        ),
        Line(
            "ingest",
            "product path: peak memory",
            _num(_get(report, "targets", "product_peak_mb"), " MB"),
            "< 400 MB",
            _met(_get(report, "targets", "product_peak_under_400_mb")),
        ),
    ]


def _pct(fraction: Any) -> float | None:
    return None if fraction is None else fraction * 100


def dashboard_lines(report: dict[str, Any]) -> list[Line]:
    lines = []
    for size in _get(report, "sizes") or []:
        rows = _num(size.get("rows"))
        overview = _get(size, "timings", "overview") or {}
        trivial = _get(size, "timings", "trivial") or {}
        lines.append(
            Line(
                "dashboard",
                f"overview p50 / p95, {rows} rows",
                f"{_num(overview.get('p50_ms'))} / {_num(overview.get('p95_ms'), ' ms')}",
                "p95 < 300 ms",
                _met(size.get("overview_p95_under_300_ms")),
            )
        )
        lines.append(
            Line(
                "dashboard",
                f"overview p95 vs the trivial page ({_num(trivial.get('p95_ms'), ' ms')}), {rows} rows",
                f"{_num(size.get('overview_p95_vs_trivial'), 'x', 1)}",
                "< 10x",
                _met(size.get("overview_under_10x_trivial")),
            )
        )
        for page, label in (("overview_cold", "overview"), ("scope_cold", "scope page")):
            cold = _get(size, "timings", page)
            if cold:  # informative: the first request for a view nobody has warmed, after new data
                lines.append(
                    Line(
                        "dashboard",
                        f"{label} cold (caches emptied) p50 / p95, {rows} rows",
                        f"{_num(cold.get('p50_ms'))} / {_num(cold.get('p95_ms'), ' ms')}",
                        "(informative)",
                        None,
                    )
                )
    return lines


def load_lines(report: dict[str, Any]) -> list[Line]:
    targets = _get(report, "targets") or {}
    lines = [
        Line(
            "load",
            f"costs API requests/s ({_num(_get(report, 'rows'))} rows, gunicorn, wrk)",
            _num(targets.get("costs_api_requests_per_second"), "", 1),
            ">= 300/s",
            _met(targets.get("costs_api_at_least_300_rps")),
        ),
        Line(
            "load",
            "costs API p99",
            _num(targets.get("costs_api_p99_ms"), " ms", 1),
            "< 150 ms",
            _met(targets.get("costs_api_p99_under_150_ms")),
        ),
    ]
    for name, result in (_get(report, "results") or {}).items():
        p99 = result.get("p99_ms")
        lines.append(
            Line(
                "load",
                f"{name}: req/s, p50 / p95 / p99",
                f"{_num(result.get('requests_per_second'), '', 1)}/s, {_num(result.get('p50_ms'), '', 1)} / "
                f"{_num(result.get('p95_ms'), '', 1)} / {_num(p99, ' ms', 1)}",
                "p99 < 1000 ms",
                None if p99 is None else p99 < 1000,
            )
        )
    lines.append(
        Line(
            "load",
            "errors (non-2xx, socket errors, timeouts), all endpoints",
            _num(targets.get("errors")),
            "0",
            _met(targets.get("zero_errors")),
        )
    )
    return lines


BUILDERS = {"ingest": ingest_lines, "dashboard": dashboard_lines, "load": load_lines}


def read_reports(directory: Path) -> dict[str, dict[str, Any] | None]:
    """Each benchmark's JSON, or None when it has not run (or its file is unreadable)."""
    reports: dict[str, dict[str, Any] | None] = {}
    for name in BENCHMARKS:
        path = directory / f"{name}.json"
        try:
            reports[name] = json.loads(path.read_text())
        except (OSError, ValueError):
            reports[name] = None
    return reports


def summary_lines(reports: dict[str, dict[str, Any] | None]) -> list[Line]:
    lines: list[Line] = []
    for name in BENCHMARKS:
        report = reports.get(name)
        if report is None:
            lines.append(
                Line(name, f"not run (no var/bench/{name}.json): make bench BENCH={name}", "-", "-", None)
            )
        else:
            lines.extend(BUILDERS[name](report))
    return lines


def render(lines: list[Line]) -> str:
    """A plain-text table: benchmark, measure, figure, target, met (yes / NO / -)."""
    header = ("benchmark", "measure", "figure", "target", "met")
    rows = [
        (
            line.benchmark,
            line.measure,
            line.figure,
            line.target,
            {True: "yes", False: "NO", None: "-"}[line.met],
        )
        for line in lines
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def format_row(row: tuple[str, ...]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()

    met = sum(1 for line in lines if line.met is True)
    missed = sum(1 for line in lines if line.met is False)
    out = [format_row(header), "  ".join("-" * w for w in widths)]
    out += [format_row(row) for row in rows]
    out.append(f"targets met: {met}, not met: {missed}")
    return "\n".join(out)


def print_summary(directory: Path) -> None:
    print()
    print("== summary of var/bench/*.json")
    print(render(summary_lines(read_reports(directory))))
