"""Run the benchmarks of this package, then print one summary of every benchmark's figures and targets.

python -m bench                 every module here with a `main() -> int`, in name order
python -m bench load dashboard  only these
python -m bench --summary       only the summary of what var/bench/*.json holds
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import bench
from bench.summary import print_summary

RESULTS = bench.OUT


def main(argv: list[str]) -> int:
    if argv == ["--summary"]:
        print_summary(RESULTS)
        return 0
    available = sorted(
        m.name
        for m in pkgutil.iter_modules(bench.__path__)
        if not m.name.startswith("_") and hasattr(importlib.import_module(f"bench.{m.name}"), "main")
    )
    names = argv or available
    unknown = [name for name in names if name not in available]
    if unknown:
        print(f"no benchmark named {', '.join(unknown)}; there are: {', '.join(available)}", file=sys.stderr)
        return 2
    status = 0
    for name in names:
        print(f"== bench.{name}", flush=True)
        status = max(status, importlib.import_module(f"bench.{name}").main())
    print_summary(RESULTS)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
