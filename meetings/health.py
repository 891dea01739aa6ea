"""Programme health on the dashboards: the meetings side, and the panel that puts both sides together.

costdata knows nothing of meetings (dependencies point from meetings to costdata), so the programme
health panel is provided from here through costdata's panel registry: the variance measures come from
costdata's selectors, the meeting and action-item measures from this app, and the arithmetic from
costdata.variances.programme_health (pure functions). Registered in MeetingsConfig.ready().
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from django.utils import timezone

from costdata.dashboards.figures import cached_figure
from costdata.dashboards.programme_charts import programme_health_figure
from costdata.dashboards.registries import Panel, PanelItem, register_panel_provider
from costdata.variances.programme_health import (
    HEALTH_COLUMNS,
    ActionRecord,
    CadenceMonth,
    cadence_rows,
    health_rows,
    last_months,
    overdue_by_team,
)
from costdata.variances.selectors import timeline_holidays, variance_timelines
from meetings import permissions as meeting_permissions
from meetings import recurrence
from meetings.models import ActionItem, Cadence, Meeting

TREND_MONTHS = 6


def _next_month(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def cadence_months(
    *, months: list[date], now: datetime, team_ids: set[int] | None = None
) -> list[CadenceMonth]:
    """Per cadence and month: occurrences its rule planned up to `now`, and its meetings held.

    A meeting moved to another day still counts as held in the month it was held; a cancelled one
    does not. Months are judged in each cadence's own time zone.
    """
    cadences = Cadence.objects.all()
    if team_ids is not None:
        cadences = cadences.filter(scope_team_id__in=sorted(team_ids))
    result = []
    for cadence in cadences.order_by("name"):
        zone = ZoneInfo(cadence.timezone)
        try:
            rule = recurrence.build_rule(
                cadence.rrule, recurrence.series_start(cadence.starts_on, cadence.start_time, zone)
            )
        except recurrence.RecurrenceError:
            rule = None
        for month in months:
            start = datetime.combine(month, time(0), tzinfo=zone)
            end = min(datetime.combine(_next_month(month), time(0), tzinfo=zone), now)
            if end <= start:
                continue
            planned = len(recurrence.occurrences_between(rule, start, end)) if rule is not None else 0
            held = Meeting.objects.filter(
                cadence=cadence, status=Meeting.Status.HELD, starts_at__gte=start, starts_at__lt=end
            ).count()
            if planned or held:
                result.append(CadenceMonth(cadence.name, month, planned, held))
    return result


def action_records(*, since: date, team_ids: set[int] | None = None) -> list[ActionRecord]:
    items = ActionItem.objects.filter(due_on__gte=since).exclude(status=ActionItem.Status.DROPPED)
    if team_ids is not None:
        items = items.filter(owner__teams__in=sorted(team_ids)).distinct()
    return [
        ActionRecord(
            due_on=item.due_on,
            closed_on=timezone.localtime(item.closed_at).date()
            if item.status == ActionItem.Status.DONE and item.closed_at
            else None,
        )
        for item in items.only("due_on", "status", "closed_at")
    ]


def _scope_filters(view: Any) -> tuple[set[int] | None, tuple[str, str] | None]:
    """Team ids (team and business-unit pages) or a variance scope (account and service pages)."""
    scope = view.scope
    if scope.kind in ("team", "business_unit") and view.owners is not None and scope.team is not None:
        if scope.kind == "team":
            return {scope.team.pk}, None
        return view.owners.unit_team_ids(scope.team.pk), None
    if scope.kind in ("account", "service"):
        return None, (scope.kind, scope.value)
    return None, None


def _viewer_limits(view: Any) -> tuple[Any, bool]:
    """For a dashboard restricted to its viewer's scopes: the variances they may see (the variance
    list's rule) and whether they read the programme (meetings, action items: not third parties)."""
    filters = getattr(view, "filters", None)  # no filters: an unrestricted view
    if filters is None or not filters.restricted:
        return None, True
    from costdata import permissions as cost_permissions
    from costdata.models import Variance

    viewer = filters.viewer
    within = cost_permissions.visible_variances(viewer, Variance.objects.all())
    return within, viewer is not None and meeting_permissions.can_read(viewer)


class ProgrammeHealthPanels:
    """Programme health by month, overdue variances by team, meetings held against planned by cadence."""

    key = "programme-health"
    order = 20

    def panels(self, *, view: Any) -> Iterator[Panel]:
        now = timezone.now()
        today = timezone.localdate()
        last = min(view.month, today.replace(day=1))
        months = last_months(last, TREND_MONTHS)
        since = months[0]
        team_ids, scope = _scope_filters(view)
        within, reads_programme = _viewer_limits(view)
        # One read of the holidays for both: the timelines' range covers the one health_rows needs.
        holidays = timeline_holidays(since=since, today=today)
        timelines = variance_timelines(
            since=since, team_ids=team_ids, scope=scope, within=within, holidays=holidays
        )
        with_meetings = scope is None and reads_programme
        cadences = cadence_months(months=months, now=now, team_ids=team_ids) if with_meetings else []
        actions = action_records(since=since, team_ids=team_ids) if with_meetings else []
        rows = health_rows(
            months=months,
            variances=timelines,
            actions=actions,
            cadence_months=cadences,
            today=today,
            holidays=holidays,
        )
        frame = pd.DataFrame(rows, columns=HEALTH_COLUMNS)
        yield Panel(
            key="programme-health",
            title="Programme health",
            figure=cached_figure(programme_health_figure, frame, term_urls=view.term_urls),
            frame=frame,
        )
        overdue = overdue_by_team(timelines, today=today)
        yield Panel(
            key="overdue-by-team",
            title="Overdue variances by team",
            frame=pd.DataFrame(
                [{"team": team, "overdue": count} for team, count in overdue.items()],
                columns=["team", "overdue"],
            ),
            items=[
                PanelItem(text=f"{team}: {count} overdue", overdue=True) for team, count in overdue.items()
            ],
            term="variance",
        )
        if with_meetings:
            yield Panel(
                key="meetings-by-cadence",
                title="Meetings held against planned, by cadence",
                frame=pd.DataFrame(
                    cadence_rows(cadences, months), columns=["cadence", "month", "held", "planned"]
                ),
            )


def register_health_panels() -> None:
    register_panel_provider(ProgrammeHealthPanels())
