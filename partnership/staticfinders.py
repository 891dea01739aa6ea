"""Static files that ship inside installed packages rather than in this repository.

plotly.js comes with the plotly Python package (the exact version the chart code was written for); a
finder serves it as /static/vendor/plotly.min.js, offline, and collectstatic copies it like any other
static file. Nothing is downloaded and no minified copy is committed.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

# public path -> (package, file inside the package)
PACKAGE_FILES = {"vendor/plotly.min.js": ("plotly", "package_data/plotly.min.js")}


def _package_file(package: str, relative: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise LookupError(f"the {package} package is not installed")
    return Path(spec.origin).parent / relative


class PackageFileFinder(BaseFinder):
    def check(self, **kwargs: Any) -> list:
        return []

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> str | list[str]:
        find_all = find_all or kwargs.get("all", False)
        if path in PACKAGE_FILES:
            located = str(_package_file(*PACKAGE_FILES[path]))
            return [located] if find_all else located
        return [] if find_all else ""

    def list(self, ignore_patterns: Any):  # type: ignore[no-untyped-def]
        for public_path, (package, relative) in PACKAGE_FILES.items():
            source = _package_file(package, relative)
            storage = FileSystemStorage(location=str(source.parent))
            storage.prefix = str(Path(public_path).parent)
            yield source.name, storage
