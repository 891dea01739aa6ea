"""The source page follows a run it did not start, to failure, without reloading (no worker needed)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from costdata.ingestion import services
from costdata.models import CostSource, IngestionRun
from stakeholders.models import Group, Role, Stakeholder
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_the_page_follows_a_running_pull_to_its_failure_and_shows_why(page, transactional_db):
    user = get_user_model().objects.create_user("reader", password="pw-reader-browser-1")
    Stakeholder.objects.create(
        user=user,
        name="Reader",
        email="reader@example.com",
        group=Group.TECHNOLOGY,
        role=Role.TECHNICAL_MANAGER,
    )
    source = services.source_create(name="Payer 1", kind=CostSource.Kind.DEMO)
    run = IngestionRun.objects.create(source=source, trigger=IngestionRun.Trigger.SCHEDULE, status="running")
    log_in(page, "reader", "pw-reader-browser-1")
    page.goto(f"/costs/sources/{source.pk}/")
    row = page.locator(f"tr[data-run-id='{run.pk}']")
    expect(row.locator(".run-status")).to_have_text("Running")
    expect(page.locator("#runs-state")).to_contain_text("Following 1 pull")
    assert page.locator("#last-failure").count() == 0

    # The worker gives up (as a pull does when the role may not call Cost Explorer).
    IngestionRun.objects.filter(pk=run.pk).update(
        status=IngestionRun.Status.FAILED,
        error="Access denied: the credentials may not call Cost Explorer (ce:GetCostAndUsage).",
        finished_at=timezone.now(),
    )
    expect(row.locator(".run-status")).to_have_text("Failed")
    expect(row.locator(".run-message")).to_contain_text("ce:GetCostAndUsage")
    # Only the script that followed the run writes this line: a reloaded page would not say it.
    expect(page.locator("#runs-state")).to_have_text(f"Run {run.pk}: failed, 0 rows written.")
    # The failure notice appears too, saying the earlier data is kept.
    expect(page.locator("#last-failure")).to_contain_text("The last pull failed")
