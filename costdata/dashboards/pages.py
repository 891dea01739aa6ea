"""Building a dashboard page: the overview (the organisation) or a scope page, for one month, and the
commitments chart.

Who is looking: the views fill `DashboardFilters.visible` (the cost rows the user may read) and
`viewer` (the user). With `visible` set, budgets are asked for only where costdata.permissions lets the
viewer read the scope's budget lines (else the column says so); the "Organisation" row is the whole
organisation's (with Cost Explorer's forecast and its budget) only for a viewer who reads the
organisation's totals, else it is the sum of their rows, labelled VISIBLE_TOTAL_LABEL, with no budget;
breakdown rows are the units and teams they see; panel providers filter their own objects by viewer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from django.db.models import Q
from django.utils import timezone

from costdata.dashboards import charts
from costdata.dashboards.content import Chart, DashboardView, SummaryRow
from costdata.dashboards.figures import cached_figure
from costdata.dashboards.filters import BASIS_TERMS, DashboardFilters, FilterErrors, term_urls
from costdata.dashboards.movers import mover_windows, movers_frames
from costdata.dashboards.registries import budgets_for, may_read_budget, panel_providers
from costdata.dashboards.scopes import (
    ORGANISATION,
    CostScope,
    PartCondition,
    breakdown_scopes,
    ownership_map,
)
from costdata.dashboards.selectors import (
    commitments_frame,
    daily_frame,
    daily_frames_by_part,
    freshness,
    main_currency,
    month_forecast,
    projection_for,
    version_cached,
)
from costdata.facts.selectors import facts_version
from costdata.planning.forecasting import ForecastBasis, Projection, forecast_days, month_end

MOVERS_SHOWN = 10  # top movers by service and by account
LOOKBACK_DAYS = 35  # a projection early in a month needs the previous month's days for its run rate
VISIBLE_TOTAL_LABEL = "Costs you may see"
VISIBLE_TOTAL_NOTE = (
    "You may not read the organisation's totals: the first row is the sum of the costs you may see, "
    "not the organisation's total, and has no budget."
)


@dataclass(frozen=True)
class _Reading:
    """What every part of a page reads with: the month's data in one currency, under one condition."""

    condition: Q
    month: date
    through: date  # the last day of data in the month
    start: date  # the first day read: the days shown and the days the projection's run rate needs
    currency: str
    version: str | None


def dashboard_view(
    *,
    scope: CostScope = ORGANISATION,
    filters: DashboardFilters | None = None,
    today: date | None = None,
    panels: bool = True,
) -> DashboardView:
    """The overview (scope = organisation) or a scope page: totals, daily chart, movers, panels.

    Steps: find the data's last day and the month asked for; pick the currency; sum this month's actual
    and project its end for the scope and each breakdown row (business units, or a unit's teams); draw
    the last `days` days with the forecast band; compare the month with the previous one by service and
    by account; add the registered providers' panels (costdata.dashboards.registries).
    """
    filters = filters or DashboardFilters()
    view = _start_view(scope=scope, filters=filters, today=today or timezone.localdate())
    reading = _reading(view=view)
    if reading is None:
        return view
    breakdown = _visible_breakdown(view=view)
    daily, part_frames = version_cached(
        "daily-by-part",
        reading.version,
        daily_frames_by_part,
        condition=reading.condition,
        parts=[part for _, part in breakdown],
        start=reading.start,
        end=reading.through + timedelta(days=1),
        basis=filters.basis,
        currency=reading.currency,
    )
    projection = _projection(view=view, reading=reading, daily=daily)
    _add_summary(
        view=view, reading=reading, projection=projection, breakdown=breakdown, part_frames=part_frames
    )
    _add_this_month_chart(view=view, currency=reading.currency)
    _add_daily_chart(view=view, reading=reading, daily=daily, projection=projection)
    _add_mover_charts(view=view, reading=reading)
    if panels:  # warming the cost aggregates (costdata.dashboards.warming): no viewer, no panels
        _add_panels(view=view)
    return view


def _start_view(*, scope: CostScope, filters: DashboardFilters, today: date) -> DashboardView:
    """The page before any cost is read: the data's freshness, the month, the glossary links."""
    owners = ownership_map()
    version = facts_version()
    # The cache pickles a DashboardFreshness by its class's module path; this namespace is new with
    # the path (it was "freshness" in costdata/dashboards.py), so a value kept before is never loaded.
    fresh = version_cached("dashboards-freshness", version, freshness)
    month = filters.period or (fresh.data_up_to or today).replace(day=1)
    return DashboardView(
        scope=scope,
        filters=filters,
        month=month,
        data_through=None,
        currency=None,
        currencies=(),
        freshness=fresh,
        term_urls=term_urls(filters.basis),
        owners=owners,
        facts_version=version,
    )


def _reading(*, view: DashboardView) -> _Reading | None:
    """Check the month against the data, set the view's last day and currency; None: nothing to read
    (no data yet, or no cost in the window)."""
    data_through = view.freshness.data_up_to
    if data_through is None:
        return None
    month = view.month
    if month > data_through.replace(day=1):
        latest = f"{data_through:%Y-%m}"
        raise FilterErrors(
            {"period": f"The cost data ends on {data_through}; choose {latest} or an earlier month."}
        )
    condition = view.condition
    through = min(data_through, month_end(month) - timedelta(days=1))
    view.data_through = through
    start = min(through - timedelta(days=view.filters.days - 1), month - timedelta(days=LOOKBACK_DAYS))
    currency, currencies = version_cached(
        "main-currency",
        view.facts_version,
        main_currency,
        start=start,
        end=through + timedelta(days=1),
        condition=condition,
    )
    if view.filters.currency:
        currency = view.filters.currency
    view.currencies = currencies
    view.currency = currency
    if currency is None:
        return None
    return _Reading(condition, month, through, start, currency, view.facts_version)


def _visible_breakdown(*, view: DashboardView) -> list[tuple[CostScope, PartCondition]]:
    """The rows under the total: business units or a unit's teams, only those the viewer reads."""
    assert view.owners is not None
    breakdown = breakdown_scopes(view.scope, view.filters, view.owners)
    if view.filters.restricted:
        # Only the units and teams the viewer reads; no "No business unit" remainder (it would be the
        # rest of what they see, not of the organisation).
        breakdown = [(s, part) for s, part in breakdown if _sees_breakdown_scope(view.filters, s)]
    return breakdown


def _whole_organisation(view: DashboardView) -> bool:
    return view.scope.kind == "organisation" and not view.filters.describe()


def _projection(*, view: DashboardView, reading: _Reading, daily: pd.DataFrame) -> Projection:
    """The month's projection for the page's rows; Cost Explorer forecasts the whole organisation, so
    it projects only the organisation's own total."""
    filters = view.filters
    cost_explorer = None
    if _whole_organisation(view) and filters.basis == "unblended" and not filters.restricted:
        cost_explorer = month_forecast(reading.month, reading.currency, reading.through)
    return projection_for(
        daily, month=reading.month, data_through=reading.through, cost_explorer=cost_explorer
    )


def _total_label_and_projection(
    *, view: DashboardView, reading: _Reading, projection: Projection
) -> tuple[str, Projection]:
    """The summary's first row: its label and projection, as the viewer may read them."""
    scope, filters = view.scope, view.filters
    label = scope.label if scope.kind != "organisation" else "Organisation"
    if filters.describe():
        label += " (" + ", ".join(filters.describe()) + ")"
    if not (_whole_organisation(view) and filters.restricted):
        return label, projection
    if _reads_organisation_totals(filters):
        # A business-unit owner reads the organisation's totals: the whole organisation's figure
        # (and its budget), not the sum of their rows, so the row means what its label says.
        return label, _organisation_projection(
            month=reading.month,
            through=reading.through,
            start=reading.start,
            basis=filters.basis,
            currency=reading.currency,
            version=reading.version,
        )
    view.summary_note = VISIBLE_TOTAL_NOTE
    return VISIBLE_TOTAL_LABEL, projection


def _add_summary(
    *,
    view: DashboardView,
    reading: _Reading,
    projection: Projection,
    breakdown: list[tuple[CostScope, PartCondition]],
    part_frames: list[pd.DataFrame],
) -> None:
    """The summary's rows: the total, then each breakdown row, with the budgets the viewer reads."""
    scope, filters = view.scope, view.filters
    total_label, total_projection = _total_label_and_projection(
        view=view, reading=reading, projection=projection
    )
    # Every row's budget in one call (a provider may answer them all with one query).
    wanted = [s for s, _ in breakdown if s.kind != "organisation"]
    if not filters.describe() and total_label != VISIBLE_TOTAL_LABEL:
        wanted.insert(0, scope)
    found = budgets_for(
        scopes=wanted, month=reading.month, basis=filters.basis, currency=reading.currency, filters=filters
    )
    budgets = dict(zip(map(id, wanted), found, strict=True))
    view.summary.append(
        SummaryRow(
            CostScope(scope.kind, scope.value, total_label, scope.team),
            total_projection.actual_to_date,
            total_projection,
            budgets.get(id(scope)),
            budget_hidden=not filters.describe()
            and (total_label == VISIBLE_TOTAL_LABEL or not may_read_budget(filters, scope)),
        )
    )
    for (sub_scope, _), sub_daily in zip(breakdown, part_frames, strict=True):
        sub_projection = projection_for(sub_daily, month=reading.month, data_through=reading.through)
        budget = budgets.get(id(sub_scope))
        hidden = sub_scope.kind != "organisation" and not may_read_budget(filters, sub_scope)
        view.summary.append(
            SummaryRow(sub_scope, sub_projection.actual_to_date, sub_projection, budget, budget_hidden=hidden)
        )


def _add_this_month_chart(*, view: DashboardView, currency: str) -> None:
    summary = _summary_frame(view.summary)
    view.charts.append(
        Chart(
            "this-month",
            f"This month ({view.month:%B %Y})",
            cached_figure(
                charts.budget_comparison_figure, summary, currency=currency, term_urls=view.term_urls
            ),
            summary,
            term="forecast",
        )
    )


def _add_daily_chart(
    *, view: DashboardView, reading: _Reading, daily: pd.DataFrame, projection: Projection
) -> None:
    days = view.filters.days
    ahead = (
        charts.forecast_frame(forecast_days(projection)) if projection.basis != ForecastBasis.ACTUAL else None
    )
    first_shown = reading.through - timedelta(days=days - 1)
    shown_daily = daily[daily["day"] >= first_shown] if not daily.empty else daily
    view.charts.append(
        Chart(
            "daily",
            f"Daily cost, last {days} days",
            cached_figure(
                charts.daily_cost_figure,
                shown_daily,
                ahead,
                currency=reading.currency,
                last_days=days,
                term_urls=view.term_urls,
            ),
            _daily_chart_frame(daily, ahead if ahead is not None else charts.forecast_frame([]), first_shown),
            term=BASIS_TERMS[view.filters.basis],
            note=_projection_note(projection),
        )
    )


def _add_mover_charts(*, view: DashboardView, reading: _Reading) -> None:
    """Top movers by service and by account: the month against the previous one."""
    month = reading.month
    current, previous, partial = mover_windows(month, reading.through)
    note = (
        f"{current[0]:%d %b}–{current[1] - timedelta(days=1):%d %b %Y} against the same days of the previous month."
        if partial
        else f"{month:%B %Y} against {previous[0]:%B %Y}."
    )
    movers = movers_frames(
        condition=reading.condition,
        current=current,
        previous=previous,
        basis=view.filters.basis,
        currency=reading.currency,
        version=reading.version,
        limit=MOVERS_SHOWN,
    )
    for dimension, frame in movers.items():
        view.charts.append(
            Chart(
                f"movers-{dimension}",
                f"Top movers by {dimension}",
                cached_figure(
                    charts.top_movers_figure,
                    frame,
                    dimension=dimension,
                    currency=reading.currency,
                    limit=MOVERS_SHOWN,
                    term_urls=view.term_urls,
                ),
                charts.top_movers(frame, limit=MOVERS_SHOWN),
                term="variance",
                note=note,
            )
        )


def _add_panels(*, view: DashboardView) -> None:
    for provider in panel_providers():
        for panel in provider.panels(view=view):
            frame = panel.frame if panel.frame is not None else pd.DataFrame()
            view.charts.append(
                Chart(panel.key, panel.title, panel.figure, frame, term=panel.term, items=list(panel.items))
            )


def _summary_frame(rows: list[SummaryRow]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "scope": r.scope.label,
                "actual": r.actual,
                "projected": r.projection.projected,
                "low": r.projection.low,
                "high": r.projection.high,
                "budget": r.budget,
                "projection_basis": str(r.projection.basis),
            }
            for r in rows
        ],
        columns=["scope", "actual", "projected", "low", "high", "budget", "projection_basis"],
    )


def _daily_chart_frame(daily: pd.DataFrame, ahead: pd.DataFrame, first: date) -> pd.DataFrame:
    shown = [
        {
            "day": r.day,
            "amount": r.amount,
            "estimated": bool(r.estimated),
            "forecast": None,
            "low": None,
            "high": None,
        }
        for r in daily.itertuples(index=False)
        if r.day >= first
    ]
    shown += [
        {
            "day": r.day,
            "amount": None,
            "estimated": None,
            "forecast": r.expected,
            "low": r.low,
            "high": r.high,
        }
        for r in ahead.itertuples(index=False)
    ]
    return pd.DataFrame(shown, columns=["day", "amount", "estimated", "forecast", "low", "high"])


def _reads_organisation_totals(filters: DashboardFilters) -> bool:
    from costdata import permissions

    viewer = filters.viewer
    return viewer is not None and permissions.scope_visible(viewer, scope_type="organisation", scope_value="")


def _sees_breakdown_scope(filters: DashboardFilters, scope: CostScope) -> bool:
    from costdata import permissions

    if filters.viewer is None or scope.team is None:
        return False
    return permissions.dashboard_scope_visible(
        filters.viewer, kind=scope.kind, value=scope.value, team_id=scope.team.pk
    )


def _organisation_projection(
    *, month: date, through: date, start: date, basis: str, currency: str, version: str | None = None
) -> Projection:
    """The whole organisation's month (every row, Cost Explorer's forecast when it applies)."""
    daily = version_cached(
        "daily",
        version,
        daily_frame,
        condition=Q(),
        start=start,
        end=through + timedelta(days=1),
        basis=basis,
        currency=currency,
    )
    cost_explorer = month_forecast(month, currency, through) if basis == "unblended" else None
    return projection_for(daily, month=month, data_through=through, cost_explorer=cost_explorer)


def _projection_note(projection: Projection) -> str:
    basis = {
        ForecastBasis.RUN_RATE: "run rate of recent final days (spikes and estimated days left out)",
        ForecastBasis.COST_EXPLORER: "Cost Explorer's forecast",
        ForecastBasis.ACTUAL: "the month is complete: the projection is the actual",
        ForecastBasis.INSUFFICIENT_DATA: "too few complete days for a run rate",
    }[projection.basis]
    return f"Projection basis: {basis}."


def commitments_chart(*, basis: str = "unblended", today: date | None = None) -> Chart:
    frame = commitments_frame(today=today)
    return Chart(
        "commitments",
        "Savings Plans and Reserved Instances",
        cached_figure(charts.commitments_figure, frame, term_urls=term_urls(basis)),
        frame,
        term="coverage",
    )
