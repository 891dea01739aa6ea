"""The organisation's holidays move variance due dates and escalation, like weekends do."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from costdata.models import Holiday, Variance
from costdata.variances import services as sop
from tests.costdata.variance_fixtures import ACCOUNT, facts

FRIDAY = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
NOV = date(2026, 11, 1)


@pytest.fixture
def detected(cost_source, org, settings):
    """A spike detected on Friday 20 November 2026, with Thursday 26 and Friday 27 made holidays first."""
    settings.TIME_ZONE = "UTC"

    def detect() -> Variance:
        facts(
            cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16), overrides={date(2026, 11, 10): "400"}
        )
        sop.variances_detect(months=[NOV], now=FRIDAY)
        return Variance.objects.get(scope_type="account", scope_value=ACCOUNT, kind="spike")

    return detect


def test_a_holiday_weekend_pushes_the_due_date_past_it(detected):
    Holiday.objects.create(day=date(2026, 11, 26), name="Thanksgiving")
    Holiday.objects.create(day=date(2026, 11, 27), name="Day after Thanksgiving")
    variance = detected()
    # Mon 23, Tue 24, Wed 25, (Thu 26, Fri 27 holidays, Sat, Sun), Mon 30, Tue 1 December.
    assert variance.due_at == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    assert variance.due_day == date(2026, 12, 1)


def test_without_holidays_the_same_variance_is_due_before_the_weekend(detected):
    assert detected().due_at == datetime(2026, 11, 28, 0, 0, tzinfo=UTC)


def test_a_holiday_outside_the_window_changes_nothing(detected):
    Holiday.objects.create(day=date(2026, 12, 25), name="Christmas Day")
    Holiday.objects.create(day=date(2026, 11, 20), name="The opening day itself")
    assert detected().due_at == datetime(2026, 11, 28, 0, 0, tzinfo=UTC)


def test_holidays_are_judged_in_the_organisations_time_zone(detected, settings):
    settings.TIME_ZONE = "Australia/Sydney"
    # 10:00 UTC Friday is 21:00 Friday in Sydney; Monday 23 off: Tue..Fri and Mon 30 November.
    Holiday.objects.create(day=date(2026, 11, 23), name="A Sydney holiday")
    variance = detected()
    assert variance.due_day == date(2026, 11, 30)


def test_a_sent_back_explanation_gets_a_due_date_that_skips_holidays(detected, org, monkeypatch):
    variance = detected()
    sop.variance_explain(
        variance=variance,
        actor=org["engineer"],
        category="incident",
        narrative="A batch job.",
        expected_duration="one_off",
    )
    Holiday.objects.create(day=date(2026, 12, 1), name="A holiday")
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    sent_back = sop.variance_send_back(variance=variance, actor=org["finance"], comment="Which job?")
    # Friday 27: Mon 30, (Tue 1 holiday), Wed 2, Thu 3, Fri 4, Mon 7 December.
    assert sent_back.due_day == date(2026, 12, 7)


def test_escalation_waits_when_a_holiday_is_entered_after_the_due_date_was_set(detected):
    variance = detected()
    due = variance.due_at
    assert due == datetime(2026, 11, 28, 0, 0, tzinfo=UTC)
    Holiday.objects.create(day=date(2026, 11, 27), name="Declared late")

    assert sop.variances_escalate_overdue(now=due + timedelta(minutes=1)) == []
    variance.refresh_from_db()
    assert variance.due_at == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # end of Monday 30 November
    assert variance.escalated_at is None
    assert variance.pk in sop.variances_escalate_overdue(now=variance.due_at + timedelta(minutes=1))


def test_removing_a_holiday_never_shortens_a_running_deadline(detected):
    holiday = Holiday.objects.create(day=date(2026, 11, 27), name="Cancelled later")
    variance = detected()
    assert variance.due_at == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    holiday.delete()
    assert sop.variances_escalate_overdue(now=datetime(2026, 11, 28, 0, 1, tzinfo=UTC)) == []
