"""The WSGI entry point gunicorn loads: start-up objects are frozen out of the garbage collector's sight."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.partnership.helpers import PROJECT_DIR


def test_the_wsgi_application_freezes_what_it_loaded_at_start_up(tmp_path):
    """Full collections under load would otherwise walk Django, the apps and every URL pattern again
    and pause the worker for 130-260 ms each."""
    env = {**os.environ, "VAR_DIR": str(tmp_path), "DEBUG": "false"}
    script = (
        "import gc; import partnership.wsgi as w; "
        "from django.urls import get_resolver; "
        "print(gc.get_freeze_count(), callable(w.application), 'url_patterns' in get_resolver().__dict__)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=True
    )
    frozen, callable_app, patterns_loaded = done.stdout.split()
    assert int(frozen) > 50_000, done.stdout
    assert callable_app == "True" and patterns_loaded == "True"
