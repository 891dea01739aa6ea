"""Static files that ship inside installed packages rather than in this repository.

plotly.js comes with the plotly Python package (the exact version the chart code was written for); a
finder serves it as /static/vendor/plotly.min.js, offline, and collectstatic copies it like any other
static file. Nothing is downloaded and no minified copy is committed.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal, overload

from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage
from django.core.files.storage import FileSystemStorage

# public path -> (package, file inside the package)
PACKAGE_FILES = {"vendor/plotly.min.js": ("plotly", "package_data/plotly.min.js")}


def _package_file(package: str, relative: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise LookupError(f"the {package} package is not installed")
    return Path(spec.origin).parent / relative


class _PrefixedStorage(FileSystemStorage):
    # collectstatic copies a finder's files under their storage's `prefix`, which Django reads if set.
    prefix: str


class PackageFileFinder(BaseFinder):
    def check(self, **kwargs: Any) -> list[CheckMessage]:
        return []

    @overload
    def find(self, path: str, find_all: Literal[False] = False, **kwargs: Any) -> str | None: ...
    @overload
    def find(self, path: str, find_all: Literal[True], **kwargs: Any) -> list[str]: ...
    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> str | list[str] | None:
        find_all = find_all or kwargs.get("all", False)
        if path in PACKAGE_FILES:
            located = str(_package_file(*PACKAGE_FILES[path]))
            return [located] if find_all else located
        return [] if find_all else None

    def list(self, ignore_patterns: Iterable[str] | None) -> Iterator[tuple[str, _PrefixedStorage]]:
        for public_path, (package, relative) in PACKAGE_FILES.items():
            source = _package_file(package, relative)
            storage = _PrefixedStorage(location=str(source.parent))
            storage.prefix = str(Path(public_path).parent)
            yield source.name, storage
