"""The meeting page in a real browser: tick attendance, add an action item, find it on the owner's page."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from meetings import services
from meetings.models import ActionItem, Attendance, Meeting
from tests.browser.conftest import log_in, screenshot
from tests.meetings.conftest import PASSWORD, people  # noqa: F401 - the shared people fixture

pytestmark = pytest.mark.browser


@pytest.fixture
def review(people):  # noqa: F811
    today = timezone.localdate()
    cadence = services.cadence_create(
        name="Weekly payments review",
        rrule="FREQ=WEEKLY",
        timezone_name="Europe/London",
        starts_on=today - timedelta(days=today.weekday()),
        start_time=time(10, 0),
        participants=[people["finance"].stakeholder, people["engineer"].stakeholder],
    )
    return Meeting.objects.filter(cadence=cadence).order_by("starts_at").first()


def test_a_lead_runs_the_meeting_and_the_action_lands_on_the_owners_page(page, people, review):  # noqa: F811
    engineer = people["engineer"].stakeholder
    log_in(page, "techlead", PASSWORD)

    page.goto(f"/meetings/{review.pk}/")
    assert page.locator("h1").inner_text() == "Weekly payments review"
    assert page.locator("#agenda").get_by_text("State of the organisation").is_visible()

    # Tick attendance: saved in the background, no reload.
    page.check(f"#att-{engineer.pk}-present")
    # Locator waits, not wait_for_function: the content security policy forbids evaluating strings.
    expect(page.locator("#attendance-state")).to_have_text(re.compile(r"^Saved"))
    assert review.attendances.get(stakeholder=engineer).status == Attendance.Status.PRESENT
    assert page.url.endswith(f"/meetings/{review.pk}/")

    # Minutes save as one types.
    page.fill("#id_minutes", "Coverage is at 62%; the Savings Plan purchase is agreed.")
    expect(page.locator("#minutes .save-state")).to_have_text(re.compile(r"^Saved"))

    # Add an action item without leaving the meeting.
    due = date.today() + timedelta(days=14)
    page.fill("#id_action_title", "Size the Compute Savings Plan")
    page.select_option("#id_action_owner", str(engineer.pk))
    page.fill("#id_action_due", due.isoformat())
    page.click("#action-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert f"/meetings/{review.pk}/" in page.url
    assert page.locator("#actions").get_by_text("Size the Compute Savings Plan").is_visible()
    item = ActionItem.objects.get(title="Size the Compute Savings Plan")
    assert item.owner == engineer and item.origin_meeting_id == review.pk and item.due_on == due
    screenshot(page, "meeting-live")

    # The owner's page shows it, through the section meetings registers there.
    page.goto(f"/people/{engineer.pk}/")
    section = page.locator("#section-action-items")
    assert section.get_by_text("Size the Compute Savings Plan").is_visible()
    assert page.locator("#section-meetings").get_by_text("Weekly payments review").first.is_visible()
    screenshot(page, "stakeholder-action-items")


def test_an_engineer_sees_the_meeting_read_only_and_updates_their_own_item(page, people, review):  # noqa: F811
    item = services.action_item_create(
        title="Tag the payments buckets",
        owner=people["engineer"].stakeholder,
        origin_meeting=review,
        notify=False,
    )
    log_in(page, "engineer", PASSWORD)
    page.goto(f"/meetings/{review.pk}/")
    assert page.locator("#id_minutes").count() == 0
    page.click("text=Tag the payments buckets")
    page.select_option("#id_status", "done")
    page.click("button[type=submit].primary")
    page.wait_for_load_state("networkidle")
    item.refresh_from_db()
    assert item.status == ActionItem.Status.DONE
