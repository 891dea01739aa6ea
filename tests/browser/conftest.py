"""The browser-test harness every page test uses.

Playwright for Python drives Debian's chromium (/usr/bin/chromium; Playwright's own browser download does
not work here), headless. Every console error or uncaught page error fails the test that caused it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(
    os.environ.get("SCREENSHOT_DIR", Path(__file__).resolve().parents[2] / "var" / "screenshots")
)


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class ConsoleErrors(list):
    def record_console(self, message: object) -> None:
        if message.type == "error":  # type: ignore[attr-defined]
            self.append(f"console error: {message.text} at {message.location}")  # type: ignore[attr-defined]

    def record_page_error(self, error: object) -> None:
        self.append(f"page error: {error}")


@pytest.fixture
def page(chromium, live_server) -> Iterator[object]:
    """A fresh browser context and page; the test fails if the page logged any console error."""
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = ConsoleErrors()
    page.on("console", errors.record_console)
    page.on("pageerror", errors.record_page_error)
    page.console_errors = errors
    yield page
    context.close()
    if errors:
        pytest.fail("the page logged errors:\n" + "\n".join(errors))


def log_in(page: object, username: str, password: str) -> None:
    page.goto("/accounts/login/")  # type: ignore[attr-defined]
    page.fill("#id_username", username)  # type: ignore[attr-defined]
    page.fill("#id_password", password)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]


def screenshot(page: object, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path
