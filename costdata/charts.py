"""The dashboard pictures: pure functions DataFrame -> plotly Figure. No Django, no network.

Every chart takes a pandas DataFrame whose schema its docstring names. Money columns hold `Decimal`
(object dtype) and are converted to float only here, at the plotting edge: plotly draws floats, but
the numbers people read in tables come from `figure_table` / `figure_csv`, which keep every Decimal
exact. Charts whose figures are derived (top movers) expose the derivation (`top_movers`) so the
table shows exactly what the chart drew.

`term_urls` maps glossary term keys to URLs; titles and axis titles link the terms they mention
(plotly renders `<a href>` in titles). Each chart's docstring lists its term keys. Only relative
("/...") and http(s) URLs are linked.

An empty frame gives an empty-state figure (a titled message, no axes) rather than an error, so a
new organisation's dashboard renders before its first ingestion. Figures reference no external
resource (fonts, images, scripts), so pages work offline with plotly.js served from static files.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import html
import io
import json
import math
import pickle
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from common.lru import LRU
from costdata.planning.spreadsheets import csv_cell, decimal_text

TEMPLATE = "plotly_white"
FINAL_COLOUR = "#2f6db5"
ESTIMATED_COLOUR = "#9dbbe0"
FORECAST_COLOUR = "#e08a1e"
BUDGET_COLOUR = "#6c757d"
INCREASE_COLOUR = "#c0392b"
DECREASE_COLOUR = "#1e8449"
SERIES_COLOURS = ("#2f6db5", "#e08a1e", "#1e8449", "#8e44ad", "#c0392b", "#16a085")
EMPTY_MESSAGE = "No data for this selection yet"
_CURRENCY = re.compile(r"^[A-Z]{3}$")

TermUrls = Mapping[str, str] | None
TitlePart = tuple[str, str | None]  # text, glossary term key (or None)


# --- small helpers ----------------------------------------------------------------------------------


def _check_currency(currency: str) -> str:
    # The code goes into hover templates, which plotly interprets: only three capitals are allowed in.
    if not _CURRENCY.match(currency):
        raise ValueError(f"currency must be an ISO 4217 code like USD, got {currency!r}")
    return currency


def _safe_url(url: str) -> bool:
    return (url.startswith("/") and not url.startswith("//")) or url.startswith(("https://", "http://"))


def linked(parts: Sequence[TitlePart] | str, term_urls: TermUrls = None) -> str:
    """Title text with each part whose term has a URL wrapped in a link; all text HTML-escaped."""
    if isinstance(parts, str):
        parts = [(parts, None)]
    out = []
    for text, term in parts:
        url = (term_urls or {}).get(term) if term else None
        if url and _safe_url(url):
            out.append(f'<a href="{html.escape(url, quote=True)}">{html.escape(text)}</a>')
        else:
            out.append(html.escape(text))
    return "".join(out)


def _require(frame: pd.DataFrame, columns: Sequence[str], chart: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{chart} needs columns {', '.join(columns)}; missing {', '.join(missing)}")


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, Decimal):
        return value.is_nan()
    return False


def _float(value: object) -> float | None:
    """The plotting edge: Decimal (or int) to float, missing values to None (a gap in the line)."""
    if _is_missing(value):
        return None
    return float(value)  # type: ignore[arg-type]


def _money(value: object) -> Decimal:
    """A money cell as Decimal (missing = zero). Floats are refused: they would already have lost cents."""
    if _is_missing(value):
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise TypeError(f"money columns hold Decimal, got {type(value).__name__} {value!r}")


def _floats(values: Sequence[object]) -> list[float | None]:
    return [_float(v) for v in values]


def _day(value: object) -> date:
    if isinstance(value, pd.Timestamp | datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _money_template(currency: str, value: str = "y", label: str = "%{x}") -> str:
    return f"{label}<br>%{{{value}:,.2f}} {currency}"


def _base_layout(fig: go.Figure, title: str, *, height: int = 380) -> go.Figure:
    # No template here: applying plotly's named template costs 15-30 ms a figure (it is copied and
    # validated each time). figure_json adds it, built once, when the figure leaves for the page.
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        height=height,
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
        hovermode="closest",
        font={"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"},  # local fonts only
    )
    return fig


@functools.cache
def _template_json() -> dict[str, Any]:
    """The page template (plotly_white) as plain JSON, built once per process."""
    import plotly.io as pio
    from plotly.io.json import to_json_plotly

    return json.loads(to_json_plotly(pio.templates[TEMPLATE].to_plotly_json()))


def figure_json(fig: go.Figure) -> dict[str, Any]:
    """The figure as plotly.js JSON for the page, with the house template (built once) applied.

    Chart functions set no template (a new figure carries plotly's default, which this replaces). The
    JSON of a figure is computed once (figures are not changed after they are built); callers must not
    change the returned dict.
    """
    cached = getattr(fig, "_page_json", None)
    if cached is not None:
        return cached
    data = json.loads(fig.to_json())
    data.setdefault("layout", {})["template"] = _template_json()
    fig._page_json = data  # plotly figures take private attributes; kept as long as the figure
    return data


# What django.utils.html.json_script escapes, so the JSON cannot end its <script> element early.
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def figure_script_json(fig: go.Figure) -> str:
    """figure_json as the text of a <script type="application/json"> element, escaped as Django's
    json_script escapes it; serialised once per figure (a page shows the same figures to everyone)."""
    cached = getattr(fig, "_page_script", None)
    if cached is None:
        cached = json.dumps(figure_json(fig)).translate(_JSON_SCRIPT_ESCAPES)
        fig._page_script = cached
    return cached


# Building a plotly figure costs tens of milliseconds (its objects validate and copy every property);
# the same data gives the same figure, so pages that show figures for unchanged data reuse them.
FIGURE_CACHE_SIZE = 256
_FIGURES: LRU[go.Figure] = LRU(FIGURE_CACHE_SIZE)


def frame_digest(frame: pd.DataFrame) -> str:
    """A digest of a frame's columns and exact cells (Decimals by their exact value and exponent), for
    keying what is built from it; pickling is much cheaper than repr for hundreds of Decimals."""
    # Column by column: one list per column, not one pandas row lookup per row.
    cells = [frame.iloc[:, i].tolist() for i in range(frame.shape[1])]
    payload = pickle.dumps((tuple(map(str, frame.columns)), cells), protocol=pickle.HIGHEST_PROTOCOL)
    return hashlib.sha256(payload).hexdigest()


def _key_part(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        return ("frame", frame_digest(value))
    if isinstance(value, Mapping):
        return ("map", tuple(sorted((str(k), _key_part(v)) for k, v in value.items())))
    if isinstance(value, list | tuple):
        return tuple(_key_part(v) for v in value)
    return value


def cached_figure(build: Any, *args: Any, **kwargs: Any) -> go.Figure:
    """build(*args, **kwargs), reused while the same arguments (frames compared by their exact cells,
    Decimals included) come again; at most FIGURE_CACHE_SIZE figures are kept, least recent dropped."""
    key = hashlib.sha256(
        repr((build.__module__, build.__qualname__, _key_part(args), _key_part(kwargs))).encode()
    ).hexdigest()
    return _FIGURES.get_or_build(key, lambda: build(*args, **kwargs))


def clear_figure_cache() -> None:
    _FIGURES.clear()
    _TABLES.clear()


def empty_figure(title: str, message: str = EMPTY_MESSAGE) -> go.Figure:
    """A titled figure saying there is nothing to show: no traces, no axes."""
    fig = _base_layout(go.Figure(), title, height=220)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.add_annotation(
        text=html.escape(message),
        showarrow=False,
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        font={"size": 14},
    )
    return fig


# --- tables behind the charts -----------------------------------------------------------------------


def _cell_text(value: object) -> str:
    if _is_missing(value):
        return ""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, pd.Timestamp):
        return str(value.date().isoformat() if value == value.normalize() else value.isoformat())
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def figure_table(frame: pd.DataFrame) -> list[dict[str, str]]:
    """The exact figures behind a chart, one dict per row, every value as text (Decimals unrounded)."""
    columns = [str(c) for c in frame.columns]
    return [
        {column: _cell_text(value) for column, value in zip(columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def table_cells(rows: Sequence[Mapping[str, str]]) -> list[list[tuple[str, bool]]]:
    """A table's cells for the page, each with whether it reads as a number (right-aligned): decided
    once here rather than by template filters per cell."""
    return [[(text, bool(text) and text[0] in "-0123456789") for text in row.values()] for row in rows]


_TABLES: LRU[tuple[list[dict[str, str]], list[list[tuple[str, bool]]]]] = LRU(FIGURE_CACHE_SIZE)


def page_table(frame: pd.DataFrame) -> tuple[str, list[dict[str, str]], list[list[tuple[str, bool]]]]:
    """(digest, figure_table, table_cells) of a frame, reused while the same cells come again (the
    dashboards show the same tables to everyone until new data). Callers must not change them."""
    key = frame_digest(frame)

    def build() -> tuple[list[dict[str, str]], list[list[tuple[str, bool]]]]:
        table = figure_table(frame)
        return table, table_cells(table)

    parts = _TABLES.get_or_build(key, build)
    return key, parts[0], parts[1]


def figure_csv(frame: pd.DataFrame) -> str:
    """The same table as CSV, with text cells neutralised against formula injection."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([csv_cell(str(c)) for c in frame.columns])
    for row in frame.itertuples(index=False, name=None):
        writer.writerow([csv_cell(None if _is_missing(v) else v) for v in row])
    return buffer.getvalue()


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
    currency = _check_currency(currency)
    heading = linked(
        [(title, "daily_cost"), (" · ", None), ("estimated", "estimated"), (" days paler · ", None)]
        + [("forecast", "forecast"), (" to month end", None)],
        term_urls,
    )
    _require(daily, ["day", "amount", "estimated"], "daily_cost_figure")
    has_forecast = forecast is not None and not forecast.empty
    if daily.empty and not has_forecast:
        return empty_figure(heading)
    rows = sorted(
        ((_day(r.day), r.amount, bool(r.estimated)) for r in daily.itertuples(index=False)),
        key=lambda r: r[0],
    )
    if rows and last_days is not None:
        first = date.fromordinal(rows[-1][0].toordinal() - last_days + 1)
        rows = [r for r in rows if r[0] >= first]
    fig = go.Figure()
    for estimated, name, colour, pattern in (
        (False, "Final", FINAL_COLOUR, ""),
        (True, "Estimated", ESTIMATED_COLOUR, "/"),
    ):
        part = [r for r in rows if r[2] is estimated]
        fig.add_trace(
            go.Bar(
                x=[r[0] for r in part],
                y=_floats([r[1] for r in part]),
                name=name,
                marker={"color": colour, "pattern": {"shape": pattern}},
                hovertemplate=_money_template(currency, label="%{x|%a %d %b %Y}") + f"<extra>{name}</extra>",
            )
        )
    if has_forecast:
        assert forecast is not None
        _require(forecast, ["day", "expected", "low", "high"], "daily_cost_figure forecast")
        ahead = sorted(forecast.itertuples(index=False), key=lambda r: _day(r.day))
        days = [_day(r.day) for r in ahead]
        fig.add_trace(
            go.Scatter(
                x=days,
                y=_floats([r.high for r in ahead]),
                name="Forecast high",
                mode="lines",
                line={"width": 0},
                showlegend=False,
                hovertemplate=_money_template(currency, label="%{x|%a %d %b %Y}") + "<extra>High</extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=days,
                y=_floats([r.low for r in ahead]),
                name="Forecast range",
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor="rgba(224, 138, 30, 0.2)",
                hovertemplate=_money_template(currency, label="%{x|%a %d %b %Y}") + "<extra>Low</extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=days,
                y=_floats([r.expected for r in ahead]),
                name="Projected",
                mode="lines",
                line={"color": FORECAST_COLOUR, "dash": "dash"},
                hovertemplate=_money_template(currency, label="%{x|%a %d %b %Y}")
                + "<extra>Projected</extra>",
            )
        )
    fig = _base_layout(fig, heading)
    fig.update_layout(barmode="overlay", bargap=0.15)
    fig.update_yaxes(
        title_text=linked([("Cost", "cost"), (f" ({currency})", None)], term_urls), rangemode="tozero"
    )
    return fig


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
    currency = _check_currency(currency)
    heading = linked(
        [("This month: ", None), ("actual", "actual"), (", ", None), ("projected", "projected")]
        + [(" and ", None), ("budget", "budget")]
        if title == "This month: actual, projected and budget"
        else title,
        term_urls,
    )
    _require(frame, ["scope", "actual", "projected", "budget"], "budget_comparison_figure")
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
                y=_floats(list(frame[column])),
                name=name,
                marker={"color": colour},
                hovertemplate=_money_template(currency) + f"<extra>{name}</extra>",
            )
        )
    fig = _base_layout(fig, heading)
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
    _require(frame, ["name", "previous", "current"], "top_movers")
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
    currency = _check_currency(currency)
    heading = linked([("Top movers", "top_movers"), (f" by {dimension}, month over month", None)], term_urls)
    movers = top_movers(frame, limit=limit)
    if movers.empty:
        return empty_figure(heading, "No change month over month")
    changes = list(movers["change"])
    fig = go.Figure(
        go.Bar(
            x=_floats(changes),
            y=list(movers["name"]),
            orientation="h",
            name="Change",
            marker={"color": [INCREASE_COLOUR if c > 0 else DECREASE_COLOUR for c in changes]},
            customdata=[
                [_float(p), _float(c)] for p, c in zip(movers["previous"], movers["current"], strict=True)
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
    fig = _base_layout(fig, heading, height=max(240, 60 + 28 * len(changes)))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(
        title_text=linked([("Change in cost", "cost"), (f" ({currency})", None)], term_urls), zeroline=True
    )
    return fig


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
    _require(frame, ["status", "count"], "variance_funnel_figure")
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
    return _base_layout(fig, heading, height=max(240, 60 + 40 * len(order)))


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
    _require(frame, ["month", "kind", "coverage", "utilisation"], "commitments_figure")
    if frame.empty:
        return empty_figure(heading, "No Savings Plans or Reserved Instances data")
    records = sorted(frame.itertuples(index=False), key=lambda r: _day(r.month))
    kinds = sorted({str(r.kind) for r in records})
    fig = go.Figure()
    for index, kind in enumerate(kinds):
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        part = [r for r in records if str(r.kind) == kind]
        for column, dash in (("coverage", "solid"), ("utilisation", "dot")):
            name = f"{kind} {column}"
            fig.add_trace(
                go.Scatter(
                    x=[_day(r.month) for r in part],
                    y=_floats([getattr(r, column) for r in part]),
                    name=name,
                    mode="lines+markers",
                    line={"color": colour, "dash": dash},
                    connectgaps=False,
                    hovertemplate="%{x|%b %Y}<br>%{y:.1f}%" + f"<extra>{html.escape(name)}</extra>",
                )
            )
    fig = _base_layout(fig, heading)
    fig.update_yaxes(title_text="Percent", ticksuffix="%", range=[0, 105])
    fig.update_xaxes(tickformat="%b %Y")
    return fig


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
    _require(frame, [*columns, "meetings_held", "meetings_planned"], "programme_health_figure")
    if frame.empty:
        return empty_figure(heading)
    records = sorted(frame.itertuples(index=False), key=lambda r: _day(r.month))
    months = [_day(r.month) for r in records]
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.09,
        subplot_titles=("Done on time (percent)", "Median business days", "Meetings held and planned"),
    )
    fig.add_trace(
        go.Scatter(
            x=months,
            y=_floats([r.explained_on_time for r in records]),
            name="Explained on time",
            mode="lines+markers",
            line={"color": SERIES_COLOURS[2]},
            hovertemplate="%{x|%b %Y}<br>%{y:.1f}%<extra>Explained on time</extra>",
        ),
        row=1,
        col=1,
    )
    if "actions_on_time" in frame.columns:
        fig.add_trace(
            go.Scatter(
                x=months,
                y=_floats([r.actions_on_time for r in records]),
                name="Action items closed on time",
                mode="lines+markers",
                line={"color": SERIES_COLOURS[3], "dash": "dot"},
                hovertemplate="%{x|%b %Y}<br>%{y:.1f}%<extra>Action items closed on time</extra>",
            ),
            row=1,
            col=1,
        )
    for index, (column, name) in enumerate(
        (
            ("median_days_to_explain", "Median days to explain"),
            ("median_days_to_accept", "Median days to accept"),
        )
    ):
        fig.add_trace(
            go.Scatter(
                x=months,
                y=_floats([getattr(r, column) for r in records]),
                name=name,
                mode="lines+markers",
                line={"color": SERIES_COLOURS[index]},
                hovertemplate="%{x|%b %Y}<br>%{y:.1f} days" + f"<extra>{name}</extra>",
            ),
            row=2,
            col=1,
        )
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
    fig = _base_layout(fig, heading, height=660)
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
