"""The dashboards in a real browser, on the demo organisation: overview, a business-unit filter, a scope
page and a review pack, with plotly drawing every chart under the content security policy."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from partnership.demo import demo_organisation_seed
from tests.browser.conftest import log_in, screenshot
from tests.conftest import DEMO_TEST_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(transactional_db, settings):
    settings.DEMO_PASSWORD = DEMO_TEST_PASSWORD
    return demo_organisation_seed()


def wait_for_charts(page, at_least: int) -> int:
    """Waits until plotly has drawn every chart on the page (at least `at_least` of them) and returns how
    many there are. Locator waits only: Playwright's wait_for_function evaluates its string in the page,
    which the content security policy (no 'unsafe-eval') refuses."""
    charts = page.locator("[data-figure]")
    expect(charts.nth(at_least - 1)).to_be_attached()
    count = charts.count()
    expect(page.locator("[data-figure].drawn", has=page.locator(".main-svg"))).to_have_count(count)
    return count


def test_finance_opens_the_overview_filters_a_unit_opens_a_scope_and_a_review_pack(page, demo):
    log_in(page, "finance", DEMO_TEST_PASSWORD)

    page.goto("/dashboards/")
    # Four cost charts, the variance funnel (the variance procedure plugs it in) and programme health
    # (the meetings app plugs it in).
    assert wait_for_charts(page, 6) == 6
    assert "Meetings held" in page.locator("[data-chart=programme-health] .legend").text_content()
    summary = page.inner_text("#summary")
    assert "Digital products" in summary and "Data and platform" in summary
    assert "no budget yet" in summary
    assert "Data up to" in page.inner_text("#freshness")
    # The daily chart drew its estimated days and the forecast band.
    legend = page.locator("[data-chart=daily] .legend").text_content()
    assert "Estimated" in legend and "Projected" in legend
    screenshot(page, "overview")

    page.select_option("#filter-business-unit", label="Digital products")
    page.click("#apply-filters")
    page.wait_for_url(re.compile(r"business_unit=\d+"))
    wait_for_charts(page, 4)
    summary = page.inner_text("#summary")
    assert "Organisation (business unit Digital products)" in summary
    for team in ("Payments", "Search", "Web"):
        assert team in summary

    page.click("#summary a.scope-link >> text=Payments")
    page.wait_for_url(re.compile(r"/dashboards/scope/team/\d+/"))
    wait_for_charts(page, 4)
    assert "Payments" in page.inner_text("h1")

    page.goto("/dashboards/review-packs/")
    page.locator("button.generate-pack").first.click()
    page.wait_for_url(re.compile(r"/dashboards/review-packs/\d+/$"))
    assert "Figures frozen" in page.inner_text("#frozen-note")
    wait_for_charts(page, 4)
    assert page.is_visible("#pack-xlsx")
    screenshot(page, "review-pack")
