"""Each demo user logs in through the browser and sees the home page with the demo data."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import log_in, screenshot
from tests.conftest import DEMO_TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("username", ["admin", "finance", "techlead", "buowner", "engineer", "consultant"])
def test_each_demo_user_logs_in_and_sees_the_home_page(page, demo_organisation, username):
    log_in(page, username, DEMO_TEST_PASSWORD)
    assert urlsplit(page.url).path == "/", "logging in lands on the home page"
    assert page.locator("h1").inner_text() == "Demo Organisation"
    last_pull = page.locator("#last-pull").inner_text()
    if username in ("admin", "finance", "techlead"):  # the sources' readers: which source, how many rows
        assert f"{demo_organisation.run.rows_written} rows" in last_pull
        assert "Demo AWS organisation" in last_pull
    else:  # everyone else: only when the data was refreshed
        assert "Cost data last refreshed" in last_pull and "Demo AWS organisation" not in last_pull
    screenshot(page, f"home-{username}")


def test_a_wrong_password_is_refused_in_the_browser(page, demo_organisation):
    log_in(page, "finance", "not-the-password")
    assert "didn't match" in page.locator("[role=alert]").inner_text()
