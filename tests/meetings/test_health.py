"""Programme health, the meetings side: planned against held per cadence, action items, and the panel
on the overview and, frozen, in the review pack."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from costdata.dashboards.scopes import ORGANISATION
from costdata.variances.programme_health import ActionRecord, CadenceMonth
from meetings import review_packs
from meetings.health import ProgrammeHealthPanels, action_records, cadence_months
from meetings.models import ActionItem, Meeting

JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)


def test_planned_occurrences_and_held_meetings_per_cadence_and_month(monthly):
    february = Meeting.objects.get(cadence=monthly, starts_at__date=date(2026, 2, 10))
    february.status = Meeting.Status.HELD
    february.save(update_fields=["status"])
    now = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)

    result = cadence_months(months=[JAN, FEB, MAR, date(2026, 4, 1)], now=now)

    # Second Tuesdays: 13 Jan, 10 Feb, 10 Mar planned by 20 March; April not yet.
    assert result == [
        CadenceMonth("Monthly cost review", JAN, planned=1, held=0),
        CadenceMonth("Monthly cost review", FEB, planned=1, held=1),
        CadenceMonth("Monthly cost review", MAR, planned=1, held=0),
    ]
    # Up to the 9th of March nothing in March was planned yet.
    early = cadence_months(months=[MAR], now=datetime(2026, 3, 9, 12, 0, tzinfo=UTC))
    assert early == []


def test_action_items_give_their_due_and_closing_days_and_dropped_ones_are_left_out(people, settings):
    settings.TIME_ZONE = "UTC"
    owner = people["engineer"].stakeholder
    done = ActionItem.objects.create(title="Tag the batch jobs", owner=owner, due_on=date(2026, 3, 2))
    ActionItem.objects.filter(pk=done.pk).update(
        status=ActionItem.Status.DONE, closed_at=datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
    )
    ActionItem.objects.create(title="Still open", owner=owner, due_on=date(2026, 3, 5))
    ActionItem.objects.create(
        title="Dropped", owner=owner, due_on=date(2026, 3, 6), status=ActionItem.Status.DROPPED
    )
    ActionItem.objects.create(title="Before the window", owner=owner, due_on=date(2026, 1, 6))

    records = sorted(action_records(since=FEB), key=lambda r: r.due_on)
    assert records == [
        ActionRecord(due_on=date(2026, 3, 2), closed_on=date(2026, 3, 2)),
        ActionRecord(due_on=date(2026, 3, 5), closed_on=None),
    ]


def test_the_panel_measures_the_programme_by_month(monthly, people, settings, monkeypatch):
    settings.TIME_ZONE = "UTC"
    now = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: now)
    Meeting.objects.filter(cadence=monthly, starts_at__date=date(2026, 2, 10)).update(
        status=Meeting.Status.HELD
    )
    owner = people["engineer"].stakeholder
    late = ActionItem.objects.create(title="Late", owner=owner, due_on=date(2026, 3, 2))
    ActionItem.objects.filter(pk=late.pk).update(
        status=ActionItem.Status.DONE, closed_at=datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    )
    ActionItem.objects.create(title="Open, due later", owner=owner, due_on=date(2026, 3, 30))
    view = SimpleNamespace(scope=ORGANISATION, month=MAR, owners=None, term_urls={})

    panels = {p.key: p for p in ProgrammeHealthPanels().panels(view=view)}

    health = panels["programme-health"].frame.set_index("month")
    assert list(health.index) == [date(2025, 10, 1), date(2025, 11, 1), date(2025, 12, 1), JAN, FEB, MAR]
    assert (health.loc[FEB, "meetings_held"], health.loc[FEB, "meetings_planned"]) == (1, 1)
    assert (health.loc[JAN, "meetings_held"], health.loc[JAN, "meetings_planned"]) == (0, 1)
    assert health.loc[MAR, "actions_on_time"] == Decimal("0.0")
    assert health.loc[MAR, "actions_judged"] == 1
    assert health.loc[MAR, "explained_on_time"] is None
    traces = {t.name: t for t in panels["programme-health"].figure.data}
    assert list(traces["Meetings planned"].y) == [0, 0, 0, 1, 1, 1]
    cadences = panels["meetings-by-cadence"].frame
    assert cadences[cadences["month"] == FEB][["held", "planned"]].values.tolist() == [[1, 1]]


@pytest.fixture
def procedure(cost_source, org, settings, django_capture_on_commit_callbacks):  # noqa: F811
    """A spike detected on Friday 20 November 2026 for the Payments team, explained Tuesday 24th (on
    time: due the 27th), accepted Thursday 26th; a second one left unexplained past its due day."""
    from costdata.models import Variance
    from costdata.variances import services as sop
    from tests.costdata.variance_fixtures import ACCOUNT, facts

    settings.TIME_ZONE = "UTC"
    friday = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    facts(cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16), overrides={date(2026, 11, 10): "400"})
    with django_capture_on_commit_callbacks(execute=True):
        sop.variances_detect(months=[date(2026, 11, 1)], now=friday)
    variance = Variance.objects.get(scope_type="account", scope_value=ACCOUNT, kind="spike")
    return variance, sop


def test_variance_measures_come_from_the_procedures_own_record(procedure, org, monkeypatch):  # noqa: F811
    from costdata.models import Variance

    variance, sop = procedure
    tuesday = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: tuesday)
    sop.variance_explain(
        variance=variance,
        actor=org["engineer"],
        category="incident",
        narrative="A batch job.",
        expected_duration="one_off",
    )
    monkeypatch.setattr(timezone, "now", lambda: tuesday + timedelta(days=2))
    sop.variance_accept(variance=Variance.objects.get(pk=variance.pk), actor=org["finance"], comment="")
    # Model defaults read the real clock: put the explanation and the acceptance on their days.
    variance.explanations.update(created_at=tuesday)
    variance.transitions.filter(action="explain").update(at=tuesday)
    variance.transitions.filter(action="accept").update(at=tuesday + timedelta(days=2))
    others = Variance.objects.exclude(pk=variance.pk).filter(status__in=Variance.AWAITING_OWNER)
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 12, 3, 9, 0, tzinfo=UTC))
    view = SimpleNamespace(scope=ORGANISATION, month=date(2026, 12, 1), owners=None, term_urls={})

    panels = {p.key: p for p in ProgrammeHealthPanels().panels(view=view)}

    health = panels["programme-health"].frame.set_index("month")
    november = health.loc[date(2026, 11, 1)]
    judged = 1 + others.count()  # every other variance detected that Friday is now past its due day
    assert november["variances_judged"] == judged
    assert november["explained_on_time"] == (Decimal(100) / judged).quantize(Decimal("0.1"))
    assert november["median_days_to_explain"] == Decimal(2)  # Fri 20 -> Tue 24: Mon, Tue
    assert november["median_days_to_accept"] == Decimal(2)  # Tue 24 -> Thu 26
    overdue = panels["overdue-by-team"].frame
    assert overdue["overdue"].sum() == others.count()


def test_the_pack_freezes_the_programme_health_panel(procedure, org):  # noqa: F811
    from meetings.models import ReviewPack

    meeting = Meeting.objects.create(
        title="Monthly cost review", starts_at=datetime(2026, 11, 24, 10, 0, tzinfo=UTC), timezone="UTC"
    )
    pack = review_packs.review_pack_generate(meeting=meeting, user=org["finance"])
    content = ReviewPack.objects.get(pk=pack.pk).content
    frozen = content["charts"]["programme-health"]
    assert frozen["columns"][:3] == ["month", "explained_on_time", "variances_judged"]
    assert frozen["figure"]["data"], "the figure is frozen with the pack"
    assert "programme-health" in content["overview"]
