"""The programme's pictures: the variance procedure's funnel and the programme's health, pure functions
DataFrame -> plotly Figure like the cost charts (costdata.dashboards.charts). No Django, no network.

Each chart's docstring names the frame's schema and the glossary term keys its title links; an empty
frame gives the empty-state figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from costdata.dashboards.figures import (
    BUDGET_COLOUR,
    FINAL_COLOUR,
    SERIES_COLOURS,
    TermUrls,
    as_day,
    base_layout,
    empty_figure,
    floats,
    linked,
    require_columns,
)

# --- variance funnel --------------------------------------------------------------------------------


def variance_funnel_figure(
    frame: pd.DataFrame,
    *,
    status_order: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    title: str = "Variances by status",
    term_urls: TermUrls = None,
) -> go.Figure:
    """A funnel of variance counts by procedure status.

    frame: status (str), count (int). `status_order` (the SOP's order, e.g. open, assigned, explained,
    sent_back, accepted, closed) orders the stages and shows missing ones as zero; without it the
    frame's order is kept. `labels` maps a status to its display name. Terms: variance.
    """
    heading = linked([("Variances", "variance"), (title.removeprefix("Variances"), None)], term_urls)
    require_columns(frame, ["status", "count"], "variance_funnel_figure")
    counts: dict[str, int] = {}
    for record in frame.itertuples(index=False):
        counts[str(record.status)] = counts.get(str(record.status), 0) + int(record.count)
    if not counts or not any(counts.values()):
        return empty_figure(heading, "No variances")
    order = list(status_order) if status_order is not None else list(counts)
    order += [s for s in counts if s not in order]
    names = [(labels or {}).get(s, s.replace("_", " ").capitalize()) for s in order]
    fig = go.Figure(
        go.Funnel(
            y=names,
            x=[counts.get(s, 0) for s in order],
            name="Variances",
            textinfo="value",
            marker={"color": [SERIES_COLOURS[i % len(SERIES_COLOURS)] for i in range(len(order))]},
            hovertemplate="%{y}: %{x}<extra></extra>",
        )
    )
    return base_layout(fig, heading, height=max(240, 60 + 40 * len(order)))


# --- programme health -------------------------------------------------------------------------------


def programme_health_figure(
    frame: pd.DataFrame,
    *,
    title: str = "Programme health",
    term_urls: TermUrls = None,
) -> go.Figure:
    """The partnership measuring itself, by month, in three stacked panels sharing the month axis.

    frame: month (date), explained_on_time (Decimal percent of variances explained before their due
    date; None when none were due), median_days_to_explain, median_days_to_accept (Decimal or None),
    meetings_held, meetings_planned (int); optionally actions_on_time (Decimal percent or None).
    Traces: "Explained on time" and "Action items closed on time" (row 1, percent), "Median days to explain", "Median days to accept"
    (row 2), "Meetings held", "Meetings planned" (row 3, grouped bars). Terms: programme_health.
    """
    heading = linked([(title, "programme_health")], term_urls)
    columns = ["month", "explained_on_time", "median_days_to_explain", "median_days_to_accept"]
    require_columns(frame, [*columns, "meetings_held", "meetings_planned"], "programme_health_figure")
    if frame.empty:
        return empty_figure(heading)
    records = sorted(frame.itertuples(index=False), key=lambda r: as_day(r.month))
    months = [as_day(r.month) for r in records]
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.09,
        subplot_titles=("Done on time (percent)", "Median business days", "Meetings held and planned"),
    )
    _add_on_time_lines(fig, records=records, months=months, with_actions="actions_on_time" in frame.columns)
    _add_median_days_lines(fig, records=records, months=months)
    _add_meeting_bars(fig, records=records, months=months)
    fig = base_layout(fig, heading, height=660)
    # Below the panels: above them the legend would cover the first panel's title.
    fig.update_layout(
        barmode="group",
        legend={"orientation": "h", "yanchor": "top", "y": -0.06, "xanchor": "left", "x": 0},
        margin={"l": 60, "r": 20, "t": 70, "b": 80},
    )
    fig.update_yaxes(ticksuffix="%", range=[0, 105], row=1, col=1)
    fig.update_yaxes(title_text="Days", rangemode="tozero", row=2, col=1)
    fig.update_yaxes(title_text="Meetings", rangemode="tozero", row=3, col=1)
    fig.update_xaxes(tickformat="%b %Y", row=3, col=1)
    return fig


def _add_on_time_lines(fig: go.Figure, *, records: list[Any], months: list[date], with_actions: bool) -> None:
    """Row 1: "Explained on time" and, when the frame has it, "Action items closed on time"."""
    fig.add_trace(
        go.Scatter(
            x=months,
            y=floats([r.explained_on_time for r in records]),
            name="Explained on time",
            mode="lines+markers",
            line={"color": SERIES_COLOURS[2]},
            hovertemplate="%{x|%b %Y}<br>%{y:.1f}%<extra>Explained on time</extra>",
        ),
        row=1,
        col=1,
    )
    if with_actions:
        fig.add_trace(
            go.Scatter(
                x=months,
                y=floats([r.actions_on_time for r in records]),
                name="Action items closed on time",
                mode="lines+markers",
                line={"color": SERIES_COLOURS[3], "dash": "dot"},
                hovertemplate="%{x|%b %Y}<br>%{y:.1f}%<extra>Action items closed on time</extra>",
            ),
            row=1,
            col=1,
        )


def _add_median_days_lines(fig: go.Figure, *, records: list[Any], months: list[date]) -> None:
    """Row 2: "Median days to explain" and "Median days to accept"."""
    for index, (column, name) in enumerate(
        (
            ("median_days_to_explain", "Median days to explain"),
            ("median_days_to_accept", "Median days to accept"),
        )
    ):
        fig.add_trace(
            go.Scatter(
                x=months,
                y=floats([getattr(r, column) for r in records]),
                name=name,
                mode="lines+markers",
                line={"color": SERIES_COLOURS[index]},
                hovertemplate="%{x|%b %Y}<br>%{y:.1f} days" + f"<extra>{name}</extra>",
            ),
            row=2,
            col=1,
        )


def _add_meeting_bars(fig: go.Figure, *, records: list[Any], months: list[date]) -> None:
    """Row 3: "Meetings held" and "Meetings planned", grouped bars."""
    for column, name, colour in (
        ("meetings_held", "Meetings held", FINAL_COLOUR),
        ("meetings_planned", "Meetings planned", BUDGET_COLOUR),
    ):
        fig.add_trace(
            go.Bar(
                x=months,
                y=[int(getattr(r, column)) for r in records],
                name=name,
                marker={"color": colour},
                hovertemplate="%{x|%b %Y}<br>%{y}" + f"<extra>{name}</extra>",
            ),
            row=3,
            col=1,
        )
