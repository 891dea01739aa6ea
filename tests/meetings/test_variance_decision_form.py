"""The meeting page records a meeting's decision about a variance; the variance page's timeline and the
meeting's decisions show it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from costdata.models import Variance
from costdata.variances import services as sop
from meetings.models import AgendaItem, Meeting, VarianceDecision
from tests.costdata.variance_fixtures import ACCOUNT, facts

FRIDAY = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def variance(cost_source, org, settings) -> Variance:
    settings.TIME_ZONE = "UTC"
    facts(cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16), overrides={date(2026, 11, 10): "400"})
    sop.variances_detect(months=[date(2026, 11, 1)], now=FRIDAY)
    return Variance.objects.get(scope_type="account", scope_value=ACCOUNT, kind="spike")


@pytest.fixture
def meeting(db) -> Meeting:
    return Meeting.objects.create(
        title="November cost review", starts_at=datetime(2026, 11, 24, 10, 0, tzinfo=UTC), timezone="UTC"
    )


def post(client, meeting, **data):
    return client.post(reverse("meeting-variance-decision", args=[meeting.pk]), data)


def test_finance_records_a_decision_from_the_meeting_page_and_both_pages_show_it(
    client, org, variance, meeting
):
    client.force_login(org["finance"])
    response = post(client, meeting, variance=variance.pk, text="Accept the spike; no budget change.")

    assert response.status_code == 302
    assert response["Location"] == meeting.get_absolute_url() + "#decisions"
    link = VarianceDecision.objects.get(variance=variance)
    assert (link.decision.meeting, link.decision.text) == (meeting, "Accept the spike; no budget change.")
    assert link.decision.recorded_by == org["finance"]

    meeting_page = client.get(meeting.get_absolute_url()).content.decode()
    assert "Accept the spike; no budget change." in meeting_page
    assert f'href="{variance.get_absolute_url()}"' in meeting_page

    variance_page = client.get(variance.get_absolute_url()).content.decode()
    timeline = variance_page[variance_page.index('id="timeline"') :]
    assert "Meeting decision" in timeline and "November cost review" in timeline
    assert timeline.index("Assigned") < timeline.index("Meeting decision")


def test_the_form_lists_the_meetings_agenda_variances_first(client, org, variance, meeting):
    other = Variance.objects.exclude(pk=variance.pk).first()
    assert other is not None
    AgendaItem.objects.create(
        meeting=meeting,
        position=1,
        key=f"overdue-variances:{other.pk}",
        source="overdue-variances",
        title="x",
    )
    client.force_login(org["finance"])
    page = client.get(meeting.get_absolute_url()).content.decode()
    form = page[page.index('id="variance-decision-form"') :]
    assert form.index(f'value="{other.pk}"') < form.index(f'value="{variance.pk}"')


def test_an_engineer_may_not_record_meeting_decisions(client, org, variance, meeting):
    client.force_login(org["engineer"])
    response = post(client, meeting, variance=variance.pk, text="We decide.")
    assert response.status_code == 403
    assert not VarianceDecision.objects.exists()


def test_a_missing_variance_or_text_is_refused_naming_the_field_and_nothing_is_written(client, org, meeting):
    client.force_login(org["finance"])
    response = post(client, meeting, variance="999999", text="")
    assert response.status_code == 302
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "Choose a variance from the list." in page
    assert "Decision: This field is required." in page
    assert not VarianceDecision.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client, variance, meeting):
    response = post(client, meeting, variance=variance.pk, text="x")
    assert response.status_code == 302 and "login" in response["Location"]
    assert not VarianceDecision.objects.exists()
