"""What every dashboard chart shares: the house colours, glossary-linked titles, the plotting edge
(Decimal to float), the base layout and the empty state, and the figures' page JSON and cache.

No Django, no network. Figures reference no external resource (fonts, images, scripts), so pages work
offline with plotly.js served from static files.
"""

from __future__ import annotations

import functools
import hashlib
import html
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

from common.lru import LRU

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


def check_currency(currency: str) -> str:
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


def require_columns(frame: pd.DataFrame, columns: Sequence[str], chart: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{chart} needs columns {', '.join(columns)}; missing {', '.join(missing)}")


def is_missing(value: object) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, Decimal):
        return value.is_nan()
    return False


def to_float(value: object) -> float | None:
    """The plotting edge: Decimal (or int) to float, missing values to None (a gap in the line)."""
    if is_missing(value):
        return None
    return float(value)  # type: ignore[arg-type]


def floats(values: Sequence[object]) -> list[float | None]:
    return [to_float(v) for v in values]


def as_day(value: object) -> date:
    if isinstance(value, pd.Timestamp | datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def money_template(currency: str, value: str = "y", label: str = "%{x}") -> str:
    return f"{label}<br>%{{{value}:,.2f}} {currency}"


def base_layout(fig: go.Figure, title: str, *, height: int = 380) -> go.Figure:
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


def empty_figure(title: str, message: str = EMPTY_MESSAGE) -> go.Figure:
    """A titled figure saying there is nothing to show: no traces, no axes."""
    fig = base_layout(go.Figure(), title, height=220)
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
