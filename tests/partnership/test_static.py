"""plotly.js is served from the installed plotly package: offline, no CDN, no committed copy."""

from __future__ import annotations

import subprocess

import plotly

from tests.partnership.helpers import PROJECT_DIR, PYTHON, embedded_environment


def test_plotly_js_is_served_at_a_static_url(client):
    response = client.get("/static/vendor/plotly.min.js")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert plotly.__version__.split(".")[0].encode() in body[:2000] or b"plotly" in body[:2000].lower()
    assert len(body) > 1_000_000


def test_collectstatic_copies_plotly_js(tmp_path):
    env = embedded_environment(tmp_path / "var", STATIC_ROOT=str(tmp_path / "static"))
    result = subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "static" / "vendor" / "plotly.min.js").stat().st_size > 1_000_000
