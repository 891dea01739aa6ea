"""The variance procedure in a real browser: an engineer explains an assigned variance, finance accepts it."""

from __future__ import annotations

from datetime import date

import pytest

from costdata.models import Variance
from costdata.variances import services as sop
from tests.browser.conftest import log_in, screenshot
from tests.costdata import variance_fixtures
from tests.costdata.variance_fixtures import ACCOUNT, facts

pytestmark = pytest.mark.browser
cost_source = variance_fixtures.cost_source  # the fixtures the costdata tests share
org = variance_fixtures.org


@pytest.fixture
def variance(transactional_db, cost_source, org) -> Variance:
    facts(cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16), overrides={date(2026, 11, 10): "400"})
    sop.variances_detect(months=[date(2026, 11, 1)])
    return Variance.objects.get(scope_type="account", scope_value=ACCOUNT, kind="spike")


def test_an_engineer_explains_an_assigned_variance_and_finance_accepts_it(page, variance):
    log_in(page, "engineer", "pw-engineer")
    page.goto("/costs/variances/?status=assigned&scope_type=account")
    page.click(f"a[href='/costs/variances/{variance.pk}/']")
    assert page.inner_text("#variance-status") == "Assigned"
    page.click("#explain-link")
    page.select_option("#id_category", "incident")
    page.fill("#id_narrative", "A runaway batch job on the 10th; killed the same day.")
    page.select_option("#id_expected_duration", "one_off")
    page.fill("#id_planned_action", "Cap the job's concurrency.")
    screenshot(page, "variance-explain")
    page.click("#explain-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.inner_text("#variance-status") == "Explained"
    assert "runaway batch job" in page.inner_text(".explanation")

    page.context.clear_cookies()
    log_in(page, "finance", "pw-finance")
    page.goto(f"/costs/variances/{variance.pk}/")
    page.fill("#id_comment", "Understood.")
    page.click("#review-form button[value=accept]")
    page.wait_for_load_state("networkidle")
    assert page.inner_text("#variance-status") == "Accepted"
    timeline = page.inner_text("#timeline")
    assert "Explanation filed" in timeline and "Accepted" in timeline and "Understood." in timeline
    screenshot(page, "variance-accepted")
    variance.refresh_from_db()
    assert variance.status == "accepted"
