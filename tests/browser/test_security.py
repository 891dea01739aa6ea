"""The content security policy holds in a real browser: the pages work and log no violation."""

from __future__ import annotations

import pytest

from tests.browser.conftest import log_in, screenshot
from tests.conftest import DEMO_TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_render_under_the_policy(page, demo_organisation):
    log_in(page, "techlead", DEMO_TEST_PASSWORD)
    page.goto("/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .info", timeout=20_000)
    assert "partnership API" in page.locator(".swagger-ui .info").inner_text()


def test_the_admin_works_under_the_policy(page, demo_organisation):
    log_in(page, "admin", DEMO_TEST_PASSWORD)
    page.goto("/admin/costdata/ingestionrun/")
    assert page.locator("#result_list").is_visible()
    screenshot(page, "admin-runs")


def test_a_user_creates_and_revokes_an_api_token(page, demo_organisation):
    log_in(page, "engineer", DEMO_TEST_PASSWORD)
    page.click("a.who")
    page.fill("#id_token_name", "laptop script")
    page.click("text=Create token")
    key = page.locator("#new-token-key").inner_text()
    assert len(key) == 40
    page.click("text=Revoke")
    assert "revoked" in page.locator("#tokens table").inner_text()
