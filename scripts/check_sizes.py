"""Size limits of the house style: no function over 60 lines, no module over 500 (STYLE.md).

Every function or method of the product's packages (migrations excluded) is measured from its `def`
line to its last line, decorators excluded; every module by its line count. Offenders that existed when
the limit was introduced are listed in scripts/size_baseline.txt with their length then. The check fails
when an offender is not in the baseline or has grown beyond its recorded length, and names the baseline
entries that are now within the limit, so that the baseline only ever shrinks. Entries are keyed by path
and qualified name (`costdata/dashboards/content.py::Chart.csv`), not line numbers, which move.

    python scripts/check_sizes.py                   # check; exit 1 on a new or grown offender
    python scripts/check_sizes.py --write-baseline  # record today's offenders (after fixing some)
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGES = ("partnership", "meetings", "costdata", "stakeholders", "audit", "common", "outbox")
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 500
MODULE = "<module>"  # the name under which a whole module is recorded
BASELINE_HEADER = """\
# Functions over {functions} lines and modules over {modules} lines that predate the limit: path::name length.
# Written by `python scripts/check_sizes.py --write-baseline`. It may only shrink: split an offender,
# then regenerate. A new offender, or a listed one that grows, fails `make lint`.
"""


@dataclass(frozen=True)
class Offender:
    path: str  # relative to the root, with forward slashes
    line: int
    name: str  # qualified name, or MODULE
    length: int

    @property
    def key(self) -> str:
        return f"{self.path}::{self.name}"

    def describe(self) -> str:
        limit = MAX_MODULE_LINES if self.name == MODULE else MAX_FUNCTION_LINES
        what = "module" if self.name == MODULE else self.name
        return f"{self.path}:{self.line}: {what} is {self.length} lines (limit {limit})"


def source_files(*, root: Path) -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" not in path.relative_to(root).parts:
                yield path


_Function = ast.FunctionDef | ast.AsyncFunctionDef


def _functions(node: ast.AST, *, prefix: str = "") -> Iterator[tuple[str, _Function]]:
    """Every function and method under `node`, nested ones too, with its qualified name."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            name = f"{prefix}{child.name}"
            yield name, child
            yield from _functions(child, prefix=f"{name}.<locals>.")
        elif isinstance(child, ast.ClassDef):
            yield from _functions(child, prefix=f"{prefix}{child.name}.")
        else:
            yield from _functions(child, prefix=prefix)


def file_offenders(*, path: Path, root: Path) -> list[Offender]:
    text = path.read_text(encoding="utf-8")
    relative = path.relative_to(root).as_posix()
    found = []
    module_lines = len(text.splitlines())
    if module_lines > MAX_MODULE_LINES:
        found.append(Offender(path=relative, line=1, name=MODULE, length=module_lines))
    for name, function in _functions(ast.parse(text, filename=str(path))):
        end = function.end_lineno or function.lineno
        length = end - function.lineno + 1  # `lineno` is the def line: decorators are not counted
        if length > MAX_FUNCTION_LINES:
            found.append(Offender(path=relative, line=function.lineno, name=name, length=length))
    return found


def find_offenders(*, root: Path) -> list[Offender]:
    return [offender for path in source_files(root=root) for offender in file_offenders(path=path, root=root)]


def read_baseline(*, path: Path) -> dict[str, int]:
    if not path.exists():
        return {}
    baseline = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key, _, length = line.rpartition(" ")
        if not key or not length.isdigit():
            raise SystemExit(f"{path}:{number}: expected 'path::name length', got {raw!r}")
        baseline[key.strip()] = int(length)
    return baseline


def write_baseline(*, path: Path, offenders: list[Offender]) -> None:
    lines = [f"{o.key} {o.length}" for o in sorted(offenders, key=lambda o: o.key)]
    header = BASELINE_HEADER.format(functions=MAX_FUNCTION_LINES, modules=MAX_MODULE_LINES)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Report:
    new: list[Offender]
    grown: list[tuple[Offender, int]]  # the offender and its recorded length
    fixed: list[str]  # baseline keys that are no longer offenders
    known: int

    @property
    def failed(self) -> bool:
        return bool(self.new or self.grown)


def compare(*, offenders: list[Offender], baseline: dict[str, int]) -> Report:
    new, grown = [], []
    for offender in offenders:
        recorded = baseline.get(offender.key)
        if recorded is None:
            new.append(offender)
        elif offender.length > recorded:
            grown.append((offender, recorded))
    current = {offender.key for offender in offenders}
    fixed = sorted(key for key in baseline if key not in current)
    return Report(new=new, grown=grown, fixed=fixed, known=len(offenders) - len(new))


def print_report(*, report: Report, baseline_path: str) -> None:
    for offender in report.new:
        print(f"{offender.describe()}: new, split it")
    for offender, recorded in report.grown:
        print(f"{offender.describe()}: grew from {recorded} (baseline), split it or at least do not grow it")
    for key in report.fixed:
        print(f"{key}: within the limit now, remove it from {baseline_path} (--write-baseline)")
    status = "FAILED" if report.failed else "ok"
    print(
        f"check_sizes {status}: {len(report.new)} new, {len(report.grown)} grown, "
        f"{report.known - len(report.grown)} baselined, {len(report.fixed)} fixed"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--baseline", type=Path, help="default: scripts/size_baseline.txt under the root")
    parser.add_argument("--write-baseline", action="store_true", help="record today's offenders and exit")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    baseline_path = args.baseline or root / "scripts" / "size_baseline.txt"
    offenders = find_offenders(root=root)
    if args.write_baseline:
        write_baseline(path=baseline_path, offenders=offenders)
        print(f"{baseline_path}: {len(offenders)} offenders recorded")
        return 0
    report = compare(offenders=offenders, baseline=read_baseline(path=baseline_path))
    print_report(report=report, baseline_path=str(baseline_path))
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
