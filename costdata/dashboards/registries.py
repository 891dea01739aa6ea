"""The dashboards' plug-in hooks: other parts of the programme register into them (costdata in
costdata.registrations.register_all(), meetings in MeetingsConfig.ready()); the dashboards know nothing
of budgets, variances or meetings.

    from costdata.dashboards import registries

    class BudgetsFromPlans:                        # budgets (the budgets engineer)
        def budget_for(self, *, scope, month, basis, currency):  # -> Decimal | None
            ...                                    # None: this scope has no budget for the month
    registries.register_budget_provider(BudgetsFromPlans())

    class VariancePanels:                          # variance funnel, overdue list, programme health
        key = "variances"; order = 10
        def panels(self, *, view):                 # view: DashboardView (scope, month, currency, ...)
            yield registries.Panel(key="variance-funnel", title="Variances by status",
                                   figure=charts.variance_funnel_figure(frame, term_urls=view.term_urls),
                                   frame=frame, items=[PanelItem(text, url, overdue=True), ...])
    registries.register_panel_provider(VariancePanels())

Until a budget provider answers, the budget column says "no budget yet"; until a panel provider is
registered, no variance panel is shown at all (no placeholders). Panels appear on the overview, on
scope pages and, frozen, in review packs. With the filters restricted to a viewer, budgets are asked for
only where costdata.permissions lets the viewer read the scope's budget lines.

Scope offers: what other parts of the programme offer on a scope page, below its charts. The meetings
app offers "freeze this view into a meeting's review pack" by registering a provider here. For each
scope page the view asks every provider, in `order`, and the page includes each offer's template with
the offer's context as `offer` (beside the page's own context: scope, filters, view).

    class ReviewPackOffer:
        key = "review-pack"
        order = 10

        def offer(self, *, user, view):  # -> ScopeOffer | None (None: nothing to offer this viewer)
            return ScopeOffer(template="meetings/review_packs/_scope_pack.html", context={...})

    register_scope_offer(ReviewPackOffer())
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import pandas as pd
import plotly.graph_objects as go

from common.types import AnyUser
from costdata.dashboards.filters import DashboardFilters
from costdata.dashboards.scopes import ORGANISATION, CostScope

if TYPE_CHECKING:
    from costdata.dashboards.content import DashboardView


@runtime_checkable
class BudgetProvider(Protocol):
    def budget_for(self, *, scope: CostScope, month: date, basis: str, currency: str) -> Decimal | None: ...


@dataclass(frozen=True)
class PanelItem:
    text: str
    url: str = ""
    overdue: bool = False
    detail: str = ""


@dataclass
class Panel:
    """A chart (or a list) a provider adds to the dashboards: figure and the frame behind it."""

    key: str
    title: str
    figure: go.Figure | None = None
    frame: pd.DataFrame | None = None
    items: list[PanelItem] = field(default_factory=list)
    term: str = ""  # glossary slug for the heading


@runtime_checkable
class PanelProvider(Protocol):
    key: str
    order: int

    def panels(self, *, view: DashboardView) -> Iterable[Panel]: ...


_budget_providers: list[BudgetProvider] = []
_panel_providers: dict[str, PanelProvider] = {}


def register_budget_provider(provider: BudgetProvider) -> None:
    """Add a source of budgets; the first provider with an answer (not None) for a scope wins."""
    if not isinstance(provider, BudgetProvider):
        raise TypeError("a budget provider has budget_for(*, scope, month, basis, currency)")
    if provider not in _budget_providers:
        _budget_providers.append(provider)


def unregister_budget_provider(provider: BudgetProvider) -> None:
    if provider in _budget_providers:
        _budget_providers.remove(provider)


def register_panel_provider(provider: PanelProvider) -> None:
    """Add (or replace, by key) a provider of dashboard panels; shown in `order`."""
    if not isinstance(provider, PanelProvider):
        raise TypeError("a panel provider has key, order and panels(*, view)")
    _panel_providers[provider.key] = provider


def unregister_panel_provider(key: str) -> None:
    _panel_providers.pop(key, None)


def panel_providers() -> list[PanelProvider]:
    """The registered panel providers in the order their panels are shown."""
    return sorted(_panel_providers.values(), key=lambda p: (p.order, p.key))


def budget_scope_key(scope: CostScope) -> tuple[str, str] | None:
    """(scope_type, scope_value) as budget lines name the scope; None for a scope budgets cannot have."""
    if scope.kind == "organisation":
        # The "No business unit" row is organisation-kind too, but no budget line is about it.
        return ("organisation", "") if scope.label == ORGANISATION.label else None
    if scope.kind in ("business_unit", "team"):
        return (scope.kind, scope.label)  # budget lines name teams and units by name
    if scope.kind in ("account", "service"):
        return (scope.kind, scope.value)
    return None


def may_read_budget(filters: DashboardFilters | None, scope: CostScope) -> bool:
    """May the page's viewer read the budget lines of `scope`? (Everyone, when nothing is restricted.)"""
    if filters is None or not filters.restricted:
        return True
    key = budget_scope_key(scope)
    if key is None or filters.viewer is None:
        return False
    from costdata import permissions

    return permissions.budget_scope_visible(filters.viewer, scope_type=key[0], scope_value=key[1])


def budget_for(
    *,
    scope: CostScope,
    month: date,
    basis: str,
    currency: str,
    filters: DashboardFilters | None = None,
) -> Decimal | None:
    """The first provider's budget for the scope; None where the filters' viewer may not read it."""
    if not may_read_budget(filters, scope):
        return None
    for provider in _budget_providers:
        amount = provider.budget_for(scope=scope, month=month, basis=basis, currency=currency)
        if amount is not None:
            return amount
    return None


def budgets_for(
    *,
    scopes: list[CostScope],
    month: date,
    basis: str,
    currency: str,
    filters: DashboardFilters | None = None,
) -> list[Decimal | None]:
    """budget_for each scope, in order. A provider with `budgets_for` (same arguments, scopes as a
    list) answers them together; the first provider with an amount for a scope wins."""
    found: list[Decimal | None] = [None] * len(scopes)
    readable = [i for i, scope in enumerate(scopes) if may_read_budget(filters, scope)]
    for provider in _budget_providers:
        pending = [i for i in readable if found[i] is None]
        if not pending:
            break
        batch = getattr(provider, "budgets_for", None)
        if batch is not None:
            amounts = batch(scopes=[scopes[i] for i in pending], month=month, basis=basis, currency=currency)
        else:
            amounts = [
                provider.budget_for(scope=scopes[i], month=month, basis=basis, currency=currency)
                for i in pending
            ]
        for i, amount in zip(pending, amounts, strict=True):
            found[i] = amount
    return found


def has_budget_provider() -> bool:
    return bool(_budget_providers)


# --- scope offers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScopeOffer:
    template: str
    context: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class ScopeOfferProvider(Protocol):
    key: str
    order: int

    def offer(self, *, user: AnyUser, view: Any) -> ScopeOffer | None: ...


_scope_offer_providers: dict[str, ScopeOfferProvider] = {}


def register_scope_offer(provider: ScopeOfferProvider) -> None:
    """Add (or replace, by key) a provider of scope-page offers."""
    if not isinstance(provider, ScopeOfferProvider):
        raise TypeError("a scope offer provider has key, order and offer(*, user, view)")
    _scope_offer_providers[provider.key] = provider


def unregister_scope_offer(key: str) -> None:
    _scope_offer_providers.pop(key, None)


def scope_offers(*, user: AnyUser, view: Any) -> list[ScopeOffer]:
    """The offers for this viewer of this scope page (a DashboardView), in the providers' order."""
    offers = []
    for provider in sorted(_scope_offer_providers.values(), key=lambda p: (p.order, p.key)):
        offer = provider.offer(user=user, view=view)
        if offer is not None:
            offers.append(offer)
    return offers
