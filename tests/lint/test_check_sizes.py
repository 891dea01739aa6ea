"""scripts/check_sizes.py against small trees: new offenders fail, the baseline only shrinks."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_sizes.py"
_spec = importlib.util.spec_from_file_location("check_sizes", _SCRIPT)
assert _spec and _spec.loader
check_sizes = importlib.util.module_from_spec(_spec)
sys.modules["check_sizes"] = check_sizes  # dataclasses look their module up by name
_spec.loader.exec_module(check_sizes)


def _function(name: str, *, body_lines: int, indent: str = "") -> str:
    """A function whose def line plus body make 1 + body_lines lines."""
    body = "".join(f"{indent}    x{i} = {i}\n" for i in range(body_lines))
    return f"{indent}def {name}() -> None:\n{body}"


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _run(root: Path, *args: str) -> int:
    return check_sizes.main(["--root", str(root), *args])


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    _write(tmp_path, "costdata/__init__.py", "")
    _write(tmp_path, "costdata/short.py", _function("fine", body_lines=59))
    return tmp_path


def test_it_passes_a_tree_within_the_limits(tree: Path, capsys) -> None:
    assert _run(tree) == 0
    assert "0 new" in capsys.readouterr().out


def test_it_fails_a_function_over_sixty_lines(tree: Path, capsys) -> None:
    _write(tree, "meetings/services.py", "import os\n\n" + _function("long_one", body_lines=60))
    assert _run(tree) == 1
    out = capsys.readouterr().out
    assert "meetings/services.py:3: long_one is 61 lines (limit 60): new" in out


def test_it_names_methods_by_class_and_leaves_decorators_out(tree: Path, capsys) -> None:
    method = "    @property\n    @staticmethod\n" + _function("total", body_lines=59, indent="    ")
    _write(tree, "stakeholders/models.py", "class Team:\n" + method)
    assert _run(tree) == 0  # 60 lines from the def: decorators do not count
    _write(tree, "stakeholders/models.py", "class Team:\n" + _function("total", body_lines=60, indent="    "))
    assert _run(tree) == 1
    assert "Team.total is 61 lines" in capsys.readouterr().out


def test_it_fails_a_module_over_five_hundred_lines(tree: Path, capsys) -> None:
    _write(tree, "common/big.py", "x = 1\n" * 501)
    assert _run(tree) == 1
    assert "common/big.py:1: module is 501 lines (limit 500)" in capsys.readouterr().out


def test_a_baselined_offender_passes(tree: Path) -> None:
    _write(tree, "outbox/services.py", _function("long_one", body_lines=70))
    assert _run(tree, "--write-baseline") == 0
    assert "outbox/services.py::long_one 71" in (tree / "scripts" / "size_baseline.txt").read_text()
    assert _run(tree) == 0


def test_a_baselined_offender_that_moved_still_passes(tree: Path) -> None:
    _write(tree, "outbox/services.py", _function("long_one", body_lines=70))
    _run(tree, "--write-baseline")
    _write(tree, "outbox/services.py", "import os\n\n\n" + _function("long_one", body_lines=70))
    assert _run(tree) == 0


def test_a_baselined_offender_that_grew_fails(tree: Path, capsys) -> None:
    _write(tree, "outbox/services.py", _function("long_one", body_lines=70))
    _run(tree, "--write-baseline")
    _write(tree, "outbox/services.py", _function("long_one", body_lines=71))
    assert _run(tree) == 1
    assert "long_one is 72 lines (limit 60): grew from 71" in capsys.readouterr().out


def test_a_fixed_offender_is_reported_and_passes(tree: Path, capsys) -> None:
    _write(tree, "outbox/services.py", _function("long_one", body_lines=70))
    _run(tree, "--write-baseline")
    _write(tree, "outbox/services.py", _function("long_one", body_lines=30))
    assert _run(tree) == 0
    out = capsys.readouterr().out
    assert "outbox/services.py::long_one: within the limit now, remove it" in out
    assert "1 fixed" in out


def test_migrations_and_code_outside_the_packages_are_ignored(tree: Path) -> None:
    _write(tree, "costdata/migrations/0001_initial.py", _function("long_one", body_lines=200))
    _write(tree, "tests/test_long.py", _function("long_one", body_lines=200))
    _write(tree, "bench/run.py", "x = 1\n" * 900)
    _write(tree, "scripts/tool.py", _function("long_one", body_lines=200))
    assert _run(tree) == 0
