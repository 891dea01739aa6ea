"""What a dashboard page shows: its charts (each a figure and the exact table behind it), this month's
summary rows, and the view that holds them. Built by costdata.dashboards.pages.dashboard_view; read by
the views, the panel providers and the review packs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pandas as pd
import plotly.graph_objects as go
from django.db.models import Q

from costdata.dashboards.filters import DashboardFilters
from costdata.dashboards.registries import PanelItem
from costdata.dashboards.scopes import CostScope, OwnershipMap, filters_q, scope_q
from costdata.dashboards.selectors import DashboardFreshness
from costdata.dashboards.tables import figure_csv, figure_table
from costdata.planning.forecasting import Projection


@dataclass
class Chart:
    """A figure and the exact table behind it."""

    key: str
    title: str
    figure: go.Figure
    frame: pd.DataFrame
    term: str = ""
    note: str = ""
    items: list[PanelItem] = field(default_factory=list)

    @property
    def table(self) -> list[dict[str, str]]:
        return figure_table(self.frame)

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]

    @property
    def csv(self) -> str:
        return figure_csv(self.frame)


@dataclass
class SummaryRow:
    scope: CostScope
    actual: Decimal
    projection: Projection
    budget: Decimal | None
    url: str = ""
    budget_hidden: bool = False  # the viewer may not read this scope's budget lines (budget is None)

    @property
    def budget_difference(self) -> Decimal | None:
        return None if self.budget is None else self.projection.projected - self.budget


@dataclass
class DashboardView:
    """Everything a dashboard page shows; charts in page order."""

    scope: CostScope
    filters: DashboardFilters
    month: date
    data_through: date | None
    currency: str | None
    currencies: tuple[str, ...]
    freshness: DashboardFreshness
    term_urls: dict[str, str]
    summary: list[SummaryRow] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    owners: OwnershipMap | None = None
    summary_note: str = ""  # what the summary's first row is, when it is not what its scope says
    facts_version: str | None = None  # the data version its cost figures were read at

    @property
    def condition(self) -> Q:
        assert self.owners is not None
        condition = scope_q(self.scope, self.owners) & filters_q(self.filters, self.owners)
        return condition & self.filters.visible if self.filters.visible is not None else condition

    @property
    def other_currencies(self) -> tuple[str, ...]:
        return tuple(c for c in self.currencies if c != self.currency)

    def chart(self, key: str) -> Chart | None:
        return next((c for c in self.charts if c.key == key), None)
