"""Benchmarks run by `make bench` (`python -m bench`): each module here with a `main()` is one benchmark."""

from pathlib import Path

# Where every benchmark writes its JSON (var/bench/<name>.json) and the summary reads it.
OUT = Path(__file__).resolve().parents[1] / "var" / "bench"
