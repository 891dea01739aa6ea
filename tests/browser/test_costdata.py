"""Cost data pages in a real browser: the source page, and an admin importing a FOCUS file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from costdata.ingestion import services
from costdata.models import CostSource, DailyCost
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser
SAMPLE = Path("/work/shared/data/focus-1.0/focus_sample.csv")


@pytest.fixture
def admin_user(transactional_db):
    return get_user_model().objects.create_user("boss", password="pw-boss-browser-1", is_staff=True)


def test_the_source_page_shows_freshness_forecast_and_runs(page, admin_user):
    demo = services.source_create(name="Demo AWS", kind=CostSource.Kind.DEMO, tag_keys=["team"])
    today = timezone.localdate()
    services.source_pull(source_id=demo.pk, start=today - timedelta(days=14), end=today)
    log_in(page, "boss", "pw-boss-browser-1")

    page.goto("/costs/sources/")
    page.click("text=Demo AWS")

    freshness = page.inner_text("#freshness")
    assert f"Data up to {today - timedelta(days=1):%Y-%m-%d}" in freshness
    assert "3 days estimated" in freshness
    assert page.inner_text("#month-forecast").endswith("USD")
    assert "Succeeded" in page.inner_text("#runs")
    assert page.is_visible("#pull-now")
    screenshot(page, "costdata-source")


def test_an_admin_imports_a_focus_file_and_sees_a_bad_one_refused(page, admin_user, tmp_path):
    focus = services.source_create(name="Multi-cloud FOCUS", kind=CostSource.Kind.FOCUS_FILE)
    log_in(page, "boss", "pw-boss-browser-1")
    page.goto(f"/costs/sources/{focus.pk}/")
    page.click("#import-file")

    lines = SAMPLE.read_text().splitlines()
    lines[5] = lines[5].replace('"USD"', '"US$"', 1)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines))
    page.set_input_files("input[type=file]", str(bad))
    page.click("#import-submit")
    assert "row 6, column BillingCurrency" in page.inner_text("#problems")
    assert not DailyCost.objects.filter(source=focus).exists()
    screenshot(page, "costdata-focus-refused")

    page.set_input_files("input[type=file]", str(SAMPLE))
    page.click("#import-submit")
    page.wait_for_url(f"**/costs/sources/{focus.pk}/")
    assert "Imported focus_sample.csv" in page.inner_text(".messages")
    assert "Data up to 2024-09-30" in page.inner_text("#freshness")
    assert DailyCost.objects.filter(source=focus).exists()
    screenshot(page, "costdata-focus-imported")
