"""The dashboard pictures: pure functions DataFrame -> plotly Figure. No Django, no network.

Every chart takes a pandas DataFrame whose schema its docstring names. Money columns hold `Decimal`
(object dtype) and are converted to float only at the plotting edge (costdata.dashboards.figures):
plotly draws floats, but the numbers people read in tables come from `figure_table` / `figure_csv`
(costdata.dashboards.tables), which keep every Decimal exact. Charts whose figures are derived (top movers) expose the derivation (`top_movers`) so the
table shows exactly what the chart drew.

`term_urls` maps glossary term keys to URLs; titles and axis titles link the terms they mention
(plotly renders `<a href>` in titles). Each chart's docstring lists its term keys. Only relative
("/...") and http(s) URLs are linked.

An empty frame gives an empty-state figure (a titled message, no axes) rather than an error, so a
new organisation's dashboard renders before its first ingestion. Figures reference no external
resource (fonts, images, scripts), so pages work offline with plotly.js served from static files.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from costdata.dashboards.figures import (
    BUDGET_COLOUR,
    DECREASE_COLOUR,
    ESTIMATED_COLOUR,
    FINAL_COLOUR,
    FORECAST_COLOUR,
    INCREASE_COLOUR,
    SERIES_COLOURS,
    TermUrls,
    as_day,
    base_layout,
    check_currency,
    empty_figure,
    floats,
    is_missing,
    linked,
    money_template,
    require_columns,
    to_float,
)


def _money(value: object) -> Decimal:
    """A money cell as Decimal (missing = zero). Floats are refused: they would already have lost cents."""
    if is_missing(value):
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise TypeError(f"money columns hold Decimal, got {type(value).__name__} {value!r}")


# --- daily cost -------------------------------------------------------------------------------------


def forecast_frame(days: Sequence[Any]) -> pd.DataFrame:
    """A frame for `daily_cost_figure(forecast=...)` from `forecasting.forecast_days(projection)`."""
    return pd.DataFrame(
        [{"day": d.day, "expected": d.expected, "low": d.low, "high": d.high} for d in days],
        columns=["day", "expected", "low", "high"],
    )


def daily_cost_figure(
    daily: pd.DataFrame,
    forecast: pd.DataFrame | None = None,
    *,
    currency: str,
    last_days: int | None = 90,
    title: str = "Daily cost",
    term_urls: TermUrls = None,
) -> go.Figure:
    """Daily cost with estimated days drawn apart, and the forecast to month end as a band and a line.

    daily: day (date), amount (Decimal), estimated (bool); one row per day.
    forecast: day, expected, low, high (Decimal): the remaining days of the month (`forecast_frame`).
    Only the `last_days` days up to the latest day are drawn. Terms: daily_cost, estimated, forecast, cost.
    Traces, in order: "Final" and "Estimated" bars, then "Forecast high" and "Forecast range" (the band,
    filled between them) and "Projected" (the expected daily cost).
    """
    currency = check_currency(currency)
    heading = linked(
        [(title, "daily_cost"), (" · ", None), ("estimated", "estimated"), (" days paler · ", None)]
        + [("forecast", "forecast"), (" to month end", None)],
        term_urls,
    )
    require_columns(daily, ["day", "amount", "estimated"], "daily_cost_figure")
    has_forecast = forecast is not None and not forecast.empty
    if daily.empty and not has_forecast:
        return empty_figure(heading)
    fig = go.Figure()
    _add_daily_bars(fig, rows=_last_days(daily, last_days=last_days), currency=currency)
    if has_forecast:
        assert forecast is not None
        require_columns(forecast, ["day", "expected", "low", "high"], "daily_cost_figure forecast")
        _add_forecast_band(fig, forecast=forecast, currency=currency)
    fig = base_layout(fig, heading)
    fig.update_layout(barmode="overlay", bargap=0.15)
    fig.update_yaxes(
        title_text=linked([("Cost", "cost"), (f" ({currency})", None)], term_urls), rangemode="tozero"
    )
    return fig


DayRow = tuple[date, Any, bool]  # day, amount, estimated
_DAY_LABEL = "%{x|%a %d %b %Y}"


def _last_days(daily: pd.DataFrame, *, last_days: int | None) -> list[DayRow]:
    """The frame's rows by day, only the `last_days` days up to the latest (all of them for None)."""
    rows = sorted(
        ((as_day(r.day), r.amount, bool(r.estimated)) for r in daily.itertuples(index=False)),
        key=lambda r: r[0],
    )
    if rows and last_days is not None:
        first = date.fromordinal(rows[-1][0].toordinal() - last_days + 1)
        rows = [r for r in rows if r[0] >= first]
    return rows


def _add_daily_bars(fig: go.Figure, *, rows: list[DayRow], currency: str) -> None:
    """The "Final" and "Estimated" bars."""
    for estimated, name, colour, pattern in (
        (False, "Final", FINAL_COLOUR, ""),
        (True, "Estimated", ESTIMATED_COLOUR, "/"),
    ):
        part = [r for r in rows if r[2] is estimated]
        fig.add_trace(
            go.Bar(
                x=[r[0] for r in part],
                y=floats([r[1] for r in part]),
                name=name,
                marker={"color": colour, "pattern": {"shape": pattern}},
                hovertemplate=money_template(currency, label=_DAY_LABEL) + f"<extra>{name}</extra>",
            )
        )


def _add_forecast_band(fig: go.Figure, *, forecast: pd.DataFrame, currency: str) -> None:
    """ "Forecast high" and "Forecast range" (the band, filled between them), then "Projected"."""
    ahead = sorted(forecast.itertuples(index=False), key=lambda r: as_day(r.day))
    days = [as_day(r.day) for r in ahead]
    fig.add_trace(
        go.Scatter(
            x=days,
            y=floats([r.high for r in ahead]),
            name="Forecast high",
            mode="lines",
            line={"width": 0},
            showlegend=False,
            hovertemplate=money_template(currency, label=_DAY_LABEL) + "<extra>High</extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=days,
            y=floats([r.low for r in ahead]),
            name="Forecast range",
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor="rgba(224, 138, 30, 0.2)",
            hovertemplate=money_template(currency, label=_DAY_LABEL) + "<extra>Low</extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=days,
            y=floats([r.expected for r in ahead]),
            name="Projected",
            mode="lines",
            line={"color": FORECAST_COLOUR, "dash": "dash"},
            hovertemplate=money_template(currency, label=_DAY_LABEL) + "<extra>Projected</extra>",
        )
    )


# --- actual vs projected vs budget ------------------------------------------------------------------


def budget_comparison_figure(
    frame: pd.DataFrame,
    *,
    currency: str,
    title: str = "This month: actual, projected and budget",
    term_urls: TermUrls = None,
) -> go.Figure:
    """Grouped bars per scope (the organisation, then each business unit, in the frame's order).

    frame: scope (str label), actual, projected, budget (Decimal; budget may be None: no bar).
    Traces: "Actual", "Projected", "Budget". Terms: actual, projected, budget, cost.
    """
    currency = check_currency(currency)
    heading = linked(
        [("This month: ", None), ("actual", "actual"), (", ", None), ("projected", "projected")]
        + [(" and ", None), ("budget", "budget")]
        if title == "This month: actual, projected and budget"
        else title,
        term_urls,
    )
    require_columns(frame, ["scope", "actual", "projected", "budget"], "budget_comparison_figure")
    if frame.empty:
        return empty_figure(heading)
    scopes = [str(s) for s in frame["scope"]]
    fig = go.Figure()
    for column, name, colour in (
        ("actual", "Actual", FINAL_COLOUR),
        ("projected", "Projected", FORECAST_COLOUR),
        ("budget", "Budget", BUDGET_COLOUR),
    ):
        fig.add_trace(
            go.Bar(
                x=scopes,
                y=floats(list(frame[column])),
                name=name,
                marker={"color": colour},
                hovertemplate=money_template(currency) + f"<extra>{name}</extra>",
            )
        )
    fig = base_layout(fig, heading)
    fig.update_layout(barmode="group")
    fig.update_yaxes(
        title_text=linked([("Cost", "cost"), (f" ({currency})", None)], term_urls), rangemode="tozero"
    )
    return fig


# --- top movers -------------------------------------------------------------------------------------


def top_movers(frame: pd.DataFrame, *, limit: int = 10) -> pd.DataFrame:
    """The `limit` names whose cost changed most month over month, largest absolute change first.

    frame: name (str), previous, current (Decimal; a missing month counts as zero).
    Returns: name, previous, current, change (Decimal), change_percent (Decimal to 0.1, None when the
    previous month was zero). Unchanged names are left out; ties are broken by name.
    """
    require_columns(frame, ["name", "previous", "current"], "top_movers")
    rows: list[tuple[str, Decimal, Decimal, Decimal, Decimal | None]] = []
    for record in frame.itertuples(index=False):
        previous = _money(record.previous)
        current = _money(record.current)
        change = current - previous
        if change == 0:
            continue
        percent = None if previous == 0 else (change * 100 / abs(previous)).quantize(Decimal("0.1"))
        rows.append((str(record.name), previous, current, change, percent))
    rows.sort(key=lambda r: (-abs(r[3]), r[0]))
    return pd.DataFrame(rows[:limit], columns=["name", "previous", "current", "change", "change_percent"])


def top_movers_figure(
    frame: pd.DataFrame,
    *,
    dimension: str,
    currency: str,
    limit: int = 10,
    term_urls: TermUrls = None,
) -> go.Figure:
    """Horizontal bars of the month-over-month change, biggest mover at the top; increases red.

    frame: as for `top_movers` (name, previous, current). dimension: "service" or "account" (for the
    title). One trace, "Change", whose y holds the names in `top_movers` order. Terms: top_movers, cost.
    """
    currency = check_currency(currency)
    heading = linked([("Top movers", "top_movers"), (f" by {dimension}, month over month", None)], term_urls)
    movers = top_movers(frame, limit=limit)
    if movers.empty:
        return empty_figure(heading, "No change month over month")
    changes = list(movers["change"])
    fig = go.Figure(
        go.Bar(
            x=floats(changes),
            y=list(movers["name"]),
            orientation="h",
            name="Change",
            marker={"color": [INCREASE_COLOUR if c > 0 else DECREASE_COLOUR for c in changes]},
            customdata=[
                [to_float(p), to_float(c)] for p, c in zip(movers["previous"], movers["current"], strict=True)
            ],
            hovertemplate=(
                "%{y}<br>change %{x:+,.2f} "
                + currency
                + "<br>previous %{customdata[0]:,.2f} "
                + currency
                + "<br>current %{customdata[1]:,.2f} "
                + currency
                + "<extra></extra>"
            ),
        )
    )
    fig = base_layout(fig, heading, height=max(240, 60 + 28 * len(changes)))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(
        title_text=linked([("Change in cost", "cost"), (f" ({currency})", None)], term_urls), zeroline=True
    )
    return fig


# --- commitments ------------------------------------------------------------------------------------


def commitments_figure(
    frame: pd.DataFrame,
    *,
    title: str = "Commitments: coverage and utilisation",
    term_urls: TermUrls = None,
) -> go.Figure:
    """Coverage and utilisation over time, as percentages, for each kind of commitment.

    frame: month (date), kind (str, e.g. "Savings Plans", "Reserved Instances"), coverage,
    utilisation (Decimal percent 0-100; None where the source has no figure). Traces per kind, in
    alphabetical order (whatever the row order): "<kind> coverage" (solid) and "<kind> utilisation" (dotted).
    Terms: commitments, coverage, utilisation.
    """
    heading = linked(
        [("Commitments", "commitments"), (": ", None), ("coverage", "coverage"), (" and ", None)]
        + [("utilisation", "utilisation")],
        term_urls,
    )
    require_columns(frame, ["month", "kind", "coverage", "utilisation"], "commitments_figure")
    if frame.empty:
        return empty_figure(heading, "No Savings Plans or Reserved Instances data")
    records = sorted(frame.itertuples(index=False), key=lambda r: as_day(r.month))
    kinds = sorted({str(r.kind) for r in records})
    fig = go.Figure()
    for index, kind in enumerate(kinds):
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        part = [r for r in records if str(r.kind) == kind]
        for column, dash in (("coverage", "solid"), ("utilisation", "dot")):
            name = f"{kind} {column}"
            fig.add_trace(
                go.Scatter(
                    x=[as_day(r.month) for r in part],
                    y=floats([getattr(r, column) for r in part]),
                    name=name,
                    mode="lines+markers",
                    line={"color": colour, "dash": dash},
                    connectgaps=False,
                    hovertemplate="%{x|%b %Y}<br>%{y:.1f}%" + f"<extra>{html.escape(name)}</extra>",
                )
            )
    fig = base_layout(fig, heading)
    fig.update_yaxes(title_text="Percent", ticksuffix="%", range=[0, 105])
    fig.update_xaxes(tickformat="%b %Y")
    return fig
