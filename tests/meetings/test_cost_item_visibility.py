"""A variance's figures and explanation reach a person only through the variance's visibility rules: the
agenda, the meeting page, the agenda e-mail and action items made from an explanation keep a reference
and render it per viewer (an engineer of the Search team never reads the Payments team's spike)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from rest_framework.test import APIClient

from costdata.models import Variance
from costdata.variances import services as sop
from meetings import services
from meetings.models import ActionItem, Attendance, Meeting
from outbox.models import Delivery
from stakeholders.models import Stakeholder
from tests.costdata.variance_fixtures import ACCOUNT, facts

FRIDAY = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
NOV = date(2026, 11, 1)
NARRATIVE = "A runaway batch job on the 10th; killed the same day."
PLANNED = "Cap the batch job at four workers"


@pytest.fixture
def spike(cost_source, org, settings, django_capture_on_commit_callbacks) -> Variance:
    """The Payments team's spike, explained by its engineer (with an action item from the explanation)."""
    settings.TIME_ZONE = "UTC"
    settings.SITE_URL = "https://cost.example.com"
    facts(cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16), overrides={date(2026, 11, 10): "400"})
    with django_capture_on_commit_callbacks(execute=True):
        sop.variances_detect(months=[NOV], now=FRIDAY)
    variance = Variance.objects.get(scope_type="account", scope_value=ACCOUNT, kind="spike")
    sop.variance_explain(
        variance=variance,
        actor=org["engineer"],
        category="incident",
        narrative=NARRATIVE,
        expected_duration="one_off",
        planned_action=PLANNED,
        action_item_title="Cap the batch job",
    )
    variance.refresh_from_db()
    return variance


@pytest.fixture
def review(spike, org) -> Meeting:
    """An organisation-wide review both engineers attend, its agenda built by the providers."""
    meeting = Meeting.objects.create(title="Monthly review", starts_at=spike.due_at + timedelta(days=30))
    for name in ("engineer", "outsider"):
        Attendance.objects.create(meeting=meeting, stakeholder=Stakeholder.objects.get(user=org[name]))
    services.meeting_agenda_build(meeting=meeting)
    return meeting


def figures(variance: Variance) -> list[str]:
    """Every form a copy of the variance's figures or explanation takes."""
    shown = [f"{variance.observed:,.2f}", f"{variance.reference:,.2f}", NARRATIVE[:30], PLANNED]
    if variance.percent is not None:
        shown.append(f"{variance.percent:+.1f}%")
    return shown


def leaked(text: str, variance: Variance) -> list[str]:
    return [figure for figure in [*figures(variance), ACCOUNT] if figure in text]


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_agenda_item_stores_a_reference_and_no_figures(review, spike):
    item = review.agenda_items.get(key=f"variances:{spike.pk}")
    assert item.detail == "" and item.title == f"Variance awaiting review (#{spike.pk})"


def test_an_engineer_of_another_team_reads_no_figures_from_the_agenda_items_api(review, spike, org):
    response = client_for(org["outsider"]).get("/api/v1/agenda-items/", {"meeting": review.pk})
    assert response.status_code == 200
    [row] = [r for r in response.json()["results"] if r["key"] == f"variances:{spike.pk}"]
    assert row["title"] == "A variance you cannot see" and row["detail"] == "" and row["url"] == ""
    assert leaked(response.content.decode(), spike) == []


def test_the_owning_teams_engineer_reads_the_figures_from_the_agenda_items_api(review, spike, org):
    response = client_for(org["engineer"]).get("/api/v1/agenda-items/", {"meeting": review.pk})
    [row] = [r for r in response.json()["results"] if r["key"] == f"variances:{spike.pk}"]
    assert f"{spike.observed:,.2f}" in row["detail"] and NARRATIVE[:30] in row["detail"]
    assert row["url"] == f"/costs/variances/{spike.pk}/"


def test_the_meetings_api_renders_its_agenda_per_viewer_too(review, spike, org):
    body = client_for(org["outsider"]).get(f"/api/v1/meetings/{review.pk}/").content.decode()
    assert "A variance you cannot see" in body and leaked(body, spike) == []


def test_an_engineer_of_another_team_reads_no_figures_on_the_meeting_page(client, review, spike, org):
    client.force_login(org["outsider"])
    page = client.get(f"/meetings/{review.pk}/").content.decode()
    assert "A variance you cannot see" in page
    assert leaked(page, spike) == []


def test_the_owner_of_the_variance_still_reads_its_figures_on_the_meeting_page(client, review, spike, org):
    client.force_login(org["engineer"])
    page = client.get(f"/meetings/{review.pk}/").content.decode()
    assert f"{spike.observed:,.2f}" in page and NARRATIVE[:30] in page and ACCOUNT in page


def test_the_agenda_email_carries_no_figures_and_links_to_the_meeting(
    review, spike, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.meeting_agenda_send(meeting_id=review.pk, force=True) == 1
    [message] = [m for m in mail.outbox if m.subject.startswith("Agenda")]
    assert f"https://cost.example.com/meetings/{review.pk}/" in message.body
    assert f"Variance awaiting review (#{spike.pk})" in message.body
    assert leaked(message.body, spike) == []
    stored = Delivery.objects.get(kind="agenda", reference=f"meeting:{review.pk}")
    assert leaked(stored.text_body, spike) == []


def test_the_variance_emails_carry_no_figures(spike):
    delivery = Delivery.objects.get(kind="variance_assigned", reference=f"variance:{spike.pk}")
    assert f"/costs/variances/{spike.pk}/" in delivery.text_body
    assert "Observed" not in delivery.text_body and leaked(delivery.text_body, spike) == [ACCOUNT]


@pytest.fixture
def explained_item(spike, review) -> ActionItem:
    """The action item made from the explanation, raised at the review both engineers attend."""
    item = ActionItem.objects.get(explanation__variance=spike)
    item.origin_meeting = review
    item.save(update_fields=["origin_meeting"])
    return item


def test_an_action_item_from_an_explanation_copies_no_planned_action(explained_item):
    assert PLANNED not in explained_item.description and "Planned action" not in explained_item.description


def test_another_teams_engineer_reads_the_reference_but_not_the_planned_action(explained_item, spike, org):
    response = client_for(org["outsider"]).get("/api/v1/action-items/")
    [row] = [r for r in response.json()["results"] if r["id"] == explained_item.pk]
    assert row["from_explanation"] == {
        "variance": spike.pk,
        "label": f"From the explanation of variance #{spike.pk}",
        "url": f"/costs/variances/{spike.pk}/",
        "planned_action": None,
    }
    assert leaked(response.content.decode(), spike) == []


def test_the_owner_reads_the_planned_action_through_the_variance(explained_item, org):
    response = client_for(org["engineer"]).get(f"/api/v1/action-items/{explained_item.pk}/")
    assert response.json()["from_explanation"]["planned_action"] == PLANNED


def test_the_action_item_page_links_the_explanation_and_hides_the_planned_action(
    client, explained_item, spike, org
):
    client.force_login(org["outsider"])
    page = client.get(f"/action-items/{explained_item.pk}/").content.decode()
    assert f"From the explanation of variance #{spike.pk}" in page and PLANNED not in page
    client.force_login(org["engineer"])
    assert PLANNED in client.get(f"/action-items/{explained_item.pk}/").content.decode()


@pytest.mark.parametrize(
    ("role", "sees"),
    [("finance", True), ("techlead", True), ("buowner", False), ("engineer", True), ("engineer2", False)],
)
def test_the_meeting_lists_hold_the_meetings_the_role_reads(people, api, role, sees):
    """Leads read every meeting; the others the meetings they attend (here: the engineer)."""
    meeting = Meeting.objects.create(title="Ad hoc", starts_at=FRIDAY)
    Attendance.objects.create(meeting=meeting, stakeholder=people["engineer"].stakeholder)
    item = services.agenda_item_add(meeting=meeting, title="Rightsizing")
    raised = ActionItem.objects.create(
        title="Raised", owner=people["finance"].stakeholder, origin_meeting=meeting
    )
    client = api(role)
    listed = {
        path: {row["id"] for row in client.get(f"/api/v1/{path}/").json()["results"]}
        for path in ("meetings", "agenda-items", "action-items")
    }
    assert listed == {
        "meetings": {meeting.pk} if sees else set(),
        "agenda-items": {item.pk} if sees else set(),
        "action-items": {raised.pk} if sees else set(),
    }
