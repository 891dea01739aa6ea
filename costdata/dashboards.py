"""Reads behind the dashboards: pandas DataFrames for the chart functions, aggregated in the database.

A dashboard is about one *scope* (the organisation, a business unit, a team, an account or a service),
narrowed by URL *filters* (period, basis, business unit, team, account, service, currency), for one
month. Every money column holds exact `Decimal`s summed by the database (costdata.money.exact_sum); the
chart functions in costdata/charts.py turn them into figures and figure_table/figure_csv into tables.

Who owns a cost row (for business unit and team scopes) follows stakeholders/scopes.py at the service
grain (DailyCost has no tags): the primary claim on the row's account decides, else the primary claim on
its service. Every row therefore belongs to at most one team, so the business units plus "No business
unit" add up to the organisation exactly. Allocation-tag claims apply to the tag grain (DailyTagCost),
which is never added to the service grain; they do not move rows between teams here.

Plug-in hooks (another part of costdata registers into them, e.g. in CostdataConfig.ready()):

    from costdata import dashboards

    class BudgetsFromPlans:                        # budgets (the budgets engineer)
        def budget_for(self, *, scope, month, basis, currency):  # -> Decimal | None
            ...                                    # None: this scope has no budget for the month
    dashboards.register_budget_provider(BudgetsFromPlans())

    class VariancePanels:                          # variance funnel, overdue list, programme health
        key = "variances"; order = 10
        def panels(self, *, view):                 # view: DashboardView (scope, month, currency, ...)
            yield dashboards.Panel(key="variance-funnel", title="Variances by status",
                                   figure=charts.variance_funnel_figure(frame, term_urls=view.term_urls),
                                   frame=frame, items=[PanelItem(text, url, overdue=True), ...])
    dashboards.register_panel_provider(VariancePanels())

Who is looking: the views fill `DashboardFilters.visible` (the cost rows the user may read) and
`viewer` (the user). With `visible` set, budgets are asked for only where costdata.permissions lets the
viewer read the scope's budget lines (else the column says so); the "Organisation" row is the whole
organisation's (with Cost Explorer's forecast and its budget) only for a viewer who reads the
organisation's totals, else it is the sum of their rows, labelled VISIBLE_TOTAL_LABEL, with no budget;
breakdown rows are the units and teams they see; panel providers filter their own objects by viewer.

Until a budget provider answers, the budget column says "no budget yet"; until a panel provider is
registered, no variance panel is shown at all (no placeholders). Panels appear on the overview, on
scope pages and, frozen, in review packs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

import pandas as pd
import plotly.graph_objects as go
from django.db.models import Case, Count, DecimalField, F, IntegerField, Max, Q, QuerySet, Value, When
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from common.glossary_links import term_anchor
from costdata import charts
from costdata.facts import data_cache
from costdata.facts.selectors import condition_fields, facts_version
from costdata.models import (
    CloudAccount,
    CommitmentMetric,
    CostForecast,
    DailyAccountCost,
    DailyCost,
    DailyServiceCost,
    IngestionRun,
    MonthlyCost,
)
from costdata.money import as_decimal, exact_sum
from costdata.planning.forecasting import (
    CostExplorerForecast,
    DailyFigure,
    ForecastBasis,
    Projection,
    choose_projection,
    forecast_days,
    month_end,
    project_month_end,
)
from stakeholders import scopes
from stakeholders.models import Ownership, Team

ZERO = Decimal(0)
BASES = ("unblended", "amortized")
BASIS_ALIASES = {"amortised": "amortized"}
BASIS_LABELS = {"unblended": "Unblended", "amortized": "Amortised"}
SCOPE_KINDS = ("business_unit", "team", "account", "service")
SCOPE_LABELS = {
    "organisation": "Organisation",
    "business_unit": "Business unit",
    "team": "Team",
    "account": "Account",
    "service": "Service",
}
DEFAULT_DAYS = 90
MOVERS_SHOWN = 10  # top movers by service and by account
LOOKBACK_DAYS = 35  # a projection early in a month needs the previous month's days for its run rate
NO_BUSINESS_UNIT = "No business unit"
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")

# Glossary slugs (meetings' seeded glossary) for the term keys the chart functions use.
_TERM_SLUGS = {
    "estimated": "estimated-figures",
    "forecast": "forecast",
    "projected": "forecast",
    "variance": "variance",
    "commitments": "savings-plan",
    "coverage": "coverage",
    "utilisation": "utilisation",
    "top_movers": "variance",
}
BASIS_TERMS = {"unblended": "unblended-cost", "amortized": "amortised-cost"}  # glossary slugs
_BASIS_SLUGS = BASIS_TERMS


def term_urls(basis: str) -> dict[str, str]:
    """Chart term keys -> glossary URLs; "cost", "actual" and "daily_cost" name the chosen basis."""
    glossary = reverse("glossary-list")
    urls = {key: f"{glossary}#{term_anchor(slug)}" for key, slug in _TERM_SLUGS.items()}
    for key in ("cost", "actual", "daily_cost"):
        urls[key] = f"{glossary}#{term_anchor(_BASIS_SLUGS[basis])}"
    return urls


# --- filters ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardFilters:
    """What the URL asks for, validated. `period` is the first of the month the page is about."""

    period: date | None = None
    basis: str = "unblended"
    business_unit: Team | None = None
    team: Team | None = None
    account: str = ""
    service: str = ""
    currency: str = ""
    days: int = DEFAULT_DAYS
    # What the user may see, as a condition over DailyCost/MonthlyCost fields (account_id, service);
    # None means everything. Filled by the views from the user's role; never from the URL.
    visible: Q | None = None
    # The user `visible` was computed for: with `visible` set, budgets, the organisation's totals and
    # the providers' panels (variances) are shown only as costdata.permissions allows this user (no
    # user: none of them). Ignored while `visible` is None.
    viewer: Any = field(default=None, compare=False, repr=False)

    @property
    def restricted(self) -> bool:
        """The figures are for someone who may not read every cost."""
        return self.visible is not None

    def query(self, *, exclude: Iterable[str] = ()) -> dict[str, str]:
        """The filters as URL parameters (defaults left out), for links that keep the selection."""
        params = {
            "period": f"{self.period:%Y-%m}" if self.period else "",
            "basis": self.basis if self.basis != "unblended" else "",
            "business_unit": str(self.business_unit.pk) if self.business_unit else "",
            "team": str(self.team.pk) if self.team else "",
            "account": self.account,
            "service": self.service,
            "currency": self.currency,
            "days": str(self.days) if self.days != DEFAULT_DAYS else "",
        }
        return {k: v for k, v in params.items() if v and k not in set(exclude)}

    def describe(self) -> list[str]:
        parts = []
        if self.business_unit:
            parts.append(f"business unit {self.business_unit.name}")
        if self.team:
            parts.append(f"team {self.team.name}")
        if self.account:
            parts.append(f"account {self.account}")
        if self.service:
            parts.append(f"service {self.service}")
        return parts


class FilterErrors(ValueError):
    """Bad filter values: field -> message. Nothing is computed for a request that has any."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


FILTER_FIELDS = ("period", "basis", "business_unit", "team", "account", "service", "currency", "days")


def _team_param(name: str, raw: str, kind: str, errors: dict[str, str]) -> Team | None:
    if not raw:
        return None
    if not raw.isdigit():
        errors[name] = f"Give the {SCOPE_LABELS[kind].lower()}'s id (a number); got {raw!r}."
        return None
    team = Team.objects.filter(pk=int(raw), kind=kind).first()
    if team is None:
        errors[name] = f"There is no {SCOPE_LABELS[kind].lower()} with id {raw}."
    return team


def parse_filters(params: Mapping[str, str]) -> DashboardFilters:
    """Validate URL parameters; raise FilterErrors naming each bad field. Unknown parameters are ignored."""
    errors: dict[str, str] = {}
    raw = {name: (params.get(name) or "").strip() for name in FILTER_FIELDS}
    period = None
    if raw["period"]:
        match = _PERIOD.match(raw["period"])
        if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
            errors["period"] = f"Give a month as YYYY-MM, e.g. 2026-11; got {raw['period']!r}."
        else:
            period = date(int(match.group(1)), int(match.group(2)), 1)
    basis = BASIS_ALIASES.get(raw["basis"].lower(), raw["basis"].lower()) or "unblended"
    if basis not in BASES:
        errors["basis"] = f"Choose unblended or amortized; got {raw['basis']!r}."
    business_unit = _team_param("business_unit", raw["business_unit"], Team.Kind.BUSINESS_UNIT, errors)
    team = _team_param("team", raw["team"], Team.Kind.TEAM, errors)
    if len(raw["account"]) > 100:
        errors["account"] = "An account id is at most 100 characters."
    if len(raw["service"]) > 255:
        errors["service"] = "A service name is at most 255 characters."
    if raw["currency"] and not _CURRENCY.match(raw["currency"]):
        errors["currency"] = f"Give an ISO 4217 code such as USD; got {raw['currency']!r}."
    days = DEFAULT_DAYS
    if raw["days"]:
        if not raw["days"].isdigit() or not 7 <= int(raw["days"]) <= 400:
            errors["days"] = f"Give a whole number of days from 7 to 400; got {raw['days']!r}."
        else:
            days = int(raw["days"])
    if errors:
        raise FilterErrors(errors)
    return DashboardFilters(
        period=period,
        basis=basis,
        business_unit=business_unit,
        team=team,
        account=raw["account"],
        service=raw["service"],
        currency=raw["currency"],
        days=days,
    )


# --- scopes and ownership ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CostScope:
    """What a dashboard is about. kind: organisation, business_unit, team, account or service."""

    kind: str
    value: str = ""
    label: str = "Organisation"
    team: Team | None = None

    @property
    def kind_label(self) -> str:
        return SCOPE_LABELS[self.kind]

    @property
    def title(self) -> str:
        return self.label if self.kind == "organisation" else f"{self.kind_label} {self.label}"


ORGANISATION = CostScope("organisation")


class UnknownScope(LookupError):
    pass


def scope_for(kind: str, value: str) -> CostScope:
    """The scope a scope page's URL names; UnknownScope with a message for a bad one."""
    if kind not in SCOPE_KINDS:
        raise UnknownScope(f"Unknown scope type {kind!r}; choose one of {', '.join(SCOPE_KINDS)}.")
    if kind in ("business_unit", "team"):
        team = Team.objects.filter(pk=int(value), kind=kind).first() if value.isdigit() else None
        if team is None:
            raise UnknownScope(f"There is no {SCOPE_LABELS[kind].lower()} with id {value!r}.")
        return CostScope(kind, str(team.pk), team.name, team)
    if not value or len(value) > 255:
        raise UnknownScope(f"Give a {kind} name.")
    if kind == "account":
        account = CloudAccount.objects.filter(account_id=value).first()
        label = f"{account.name} ({value})" if account and account.name else value
        return CostScope(kind, value, label)
    return CostScope(kind, value, value)


@dataclass(frozen=True)
class OwnershipMap:
    """Primary team claims at the service grain: account -> team id, service -> team id."""

    accounts: dict[str, int]
    services: dict[str, int]
    parents: dict[int, int | None]  # team id -> business unit id (a unit maps to itself)

    def team_q(self, team_ids: set[int]) -> Q:
        """Rows owned by any of `team_ids`: by their account's claim, else by their service's."""
        account_part, service_part = self.team_parts(team_ids)
        return account_part | service_part if service_part is not None else account_part

    def team_parts(self, team_ids: set[int]) -> tuple[Q, Q | None]:
        """team_q as two disjoint pieces: the rows of the teams' accounts (a condition on account_id
        alone, which the daily rollup by account answers), and the rows their service claims add on
        accounts nobody claims (None without service claims), which only the facts can answer."""
        owned_accounts = sorted(a for a, t in self.accounts.items() if t in team_ids)
        owned_services = sorted(s for s, t in self.services.items() if t in team_ids)
        # Nothing owned is still a condition on account_id (an empty IN), so it stays rollup-friendly.
        accounts = Q(account_id__in=owned_accounts)
        if not owned_services:
            return accounts, None
        return accounts, Q(service__in=owned_services) & ~Q(account_id__in=sorted(self.accounts))

    def unit_team_ids(self, unit_id: int) -> set[int]:
        return {unit_id} | {t for t, parent in self.parents.items() if parent == unit_id}

    def unowned_by_units_q(self) -> Q:
        """Rows no business unit answers for: unclaimed, or claimed by a team outside every unit."""
        in_units = {t for t, parent in self.parents.items() if parent is not None}
        return ~self.team_q(in_units)


def ownership_map() -> OwnershipMap:
    claims = (
        Ownership.objects.filter(
            scope_kind__in=[scopes.ACCOUNT, scopes.SERVICE], owner_team__isnull=False, scope_key=""
        )
        .order_by("-is_primary", "created_at", "pk")
        .values_list("scope_kind", "scope_value", "owner_team_id")
    )
    accounts: dict[str, int] = {}
    services: dict[str, int] = {}
    for kind, value, team_id in claims:
        (accounts if kind == scopes.ACCOUNT else services).setdefault(value, team_id)
    parents: dict[int, int | None] = {}
    for pk, kind, parent_id in Team.objects.values_list("pk", "kind", "parent_id"):
        parents[pk] = pk if kind == Team.Kind.BUSINESS_UNIT else parent_id
    return OwnershipMap(accounts, services, parents)


def scope_q(scope: CostScope, owners: OwnershipMap) -> Q:
    if scope.kind == "organisation":
        return Q()
    if scope.kind == "account":
        return Q(account_id=scope.value)
    if scope.kind == "service":
        return Q(service=scope.value)
    assert scope.team is not None
    if scope.kind == "business_unit":
        return owners.team_q(owners.unit_team_ids(scope.team.pk))
    return owners.team_q({scope.team.pk})


def filters_q(filters: DashboardFilters, owners: OwnershipMap) -> Q:
    condition = Q()
    if filters.business_unit:
        condition &= owners.team_q(owners.unit_team_ids(filters.business_unit.pk))
    if filters.team:
        condition &= owners.team_q({filters.team.pk})
    if filters.account:
        condition &= Q(account_id=filters.account)
    if filters.service:
        condition &= Q(service=filters.service)
    if filters.visible is not None:
        condition &= filters.visible
    return condition


def daily_rollup_for(condition: Q, dimension: str | None = None) -> type | None:
    """The daily rollup that answers `condition` exactly (grouped by `dimension` if given), else None.

    DailyAccountCost holds the (day, account) grain, DailyServiceCost the (day, service) grain: a
    condition that looks at nothing, or at account_id alone, is answered by the first; at service alone,
    by the second. Anything else (an account and a service together, a team owning by service claim)
    needs the facts.
    """
    fields = condition_fields(condition)
    candidates = {"account_id": DailyAccountCost, "service": DailyServiceCost}
    if dimension is not None:
        key = "account_id" if dimension in ("account", "account_id") else "service"
        return candidates[key] if fields <= {key} else None
    if fields <= {"account_id"}:
        return DailyAccountCost
    if fields <= {"service"}:
        return DailyServiceCost
    return None


@dataclass(frozen=True)
class PartCondition:
    """A breakdown row's condition, split so rollups can answer most of it.

    full = base | extra (disjoint): `base` looks at account_id alone (the daily rollup answers it),
    `extra` (None: nothing) needs the facts. A `remainder` row is what its siblings leave of the total
    (the organisation's "No business unit"): its amounts are the total less theirs, exactly.
    """

    full: Q
    base: Q
    extra: Q | None = None
    remainder: bool = False
    # The extra rows' shape when known: these services on accounts outside `claimed_accounts`.
    extra_services: tuple[str, ...] = ()
    claimed_accounts: frozenset[str] = frozenset()


def _any_of(conditions: list[Q]) -> Q:
    combined = Q(account_id__in=[])
    for condition in conditions:
        combined |= condition
    return combined


# --- plug-in hooks ----------------------------------------------------------------------------------


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


# --- reads ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardFreshness:
    data_up_to: date | None
    refreshed_at: Any
    estimated_days: int
    currencies: tuple[str, ...]


def freshness() -> DashboardFreshness:
    """The data's last day, the last successful pull, and how many days it left estimated.

    The estimated-day count comes from each source's latest successful run (which counted them while
    loading) rather than from scanning the fact table.
    """
    latest = DailyCost.objects.aggregate(day=Max("day"))["day"]
    runs = IngestionRun.objects.filter(status=IngestionRun.Status.SUCCEEDED).order_by("-finished_at")
    last = runs.values_list("finished_at", flat=True).first()
    estimated = 0
    for source_id in runs.values_list("source_id", flat=True).distinct().order_by():
        days = runs.filter(source_id=source_id).values_list("estimated_days", flat=True).first()
        estimated = max(estimated, days or 0)
    return DashboardFreshness(latest, last, estimated, ())


def main_currency(
    *, start: date, end: date, condition: Q | None = None
) -> tuple[str | None, tuple[str, ...]]:
    """The currency with most rows in the months of [start, end) (amounts are never converted) and
    every currency seen. Reads the monthly rollup: a handful of rows per account and service."""
    rows = list(
        MonthlyCost.objects.filter(condition or Q(), month__gte=start.replace(day=1), month__lt=end)
        .values("currency")
        .annotate(n=Count("id"))
        .order_by("-n", "currency")
    )
    if not rows:
        return None, ()
    return rows[0]["currency"], tuple(sorted(r["currency"] for r in rows))


def _daily_rows_frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"day": r["day"], "amount": as_decimal(r["amount"]), "estimated": bool(r["estimated"])}
            for r in rows
        ],
        columns=["day", "amount", "estimated"],
    )


def _daily_source(condition: Q, currency: str, *, rollup: bool = True) -> QuerySet:
    """The rows to sum per day for `condition`: a daily rollup when one answers it exactly, else the facts."""
    model = daily_rollup_for(condition) if rollup else None
    return (model or DailyCost).objects.filter(condition, currency=currency)


def daily_frame(*, condition: Q, start: date, end: date, basis: str, currency: str) -> pd.DataFrame:
    """day, amount (Decimal), estimated (bool): one row per day with cost in [start, end)."""
    rows = (
        _daily_source(condition, currency)
        .filter(day__gte=start, day__lt=end)
        .values("day")
        .annotate(amount=exact_sum(basis), estimated=Max(Cast("estimated", IntegerField())))
        .order_by("day")
    )
    return _daily_rows_frame(rows)


def _part_condition(part: Q | PartCondition) -> PartCondition:
    return part if isinstance(part, PartCondition) else PartCondition(full=part, base=part)


def _labelled_daily_sums(queryset: QuerySet, conditions: list[Q], basis: str) -> list[dict[str, Any]]:
    """Per day and label (index of the first condition a row matches, -1 for none): exact sums."""
    label = Case(
        *[When(c, then=Value(index)) for index, c in enumerate(conditions)],
        default=Value(-1),
        output_field=IntegerField(),
    )
    return list(
        queryset.annotate(part=label)
        .values("day", "part")
        .annotate(amount=exact_sum(basis), estimated=Max(Cast("estimated", IntegerField())))
        .order_by("day", "part")
    )


def _extra_facts(
    condition: Q, parts: list[PartCondition], *, currency: str, start: date, end: date
) -> tuple[QuerySet[DailyCost], list[Q]]:
    """The facts behind the parts' extra rows (service claims on accounts nobody claims).

    When every part says which services on which accounts those are, the unclaimed accounts, sources
    and providers that have cost in the window are read from the daily rollup first, and the facts are
    asked for exactly those keys, every leading column of the fact table's unique index bound by a list:
    Postgres descends the index once per combination instead of reading the window's rows. Otherwise
    the window's facts are filtered by the parts' conditions. Returns the facts and, per part, the
    condition that labels its rows among them.
    """
    window = DailyCost.objects.filter(condition, currency=currency, day__gte=start, day__lt=end)
    any_extra = _any_of([p.extra for p in parts if p.extra is not None])
    claimed = {account for p in parts for account in p.claimed_accounts}
    services = sorted({service for p in parts for service in p.extra_services})
    labels = [p.extra for p in parts if p.extra is not None]
    if not services or any(p.claimed_accounts != parts[0].claimed_accounts for p in parts):
        return window.filter(any_extra), labels
    keys = list(
        DailyAccountCost.objects.filter(condition, currency=currency, day__gte=start, day__lt=end)
        .exclude(account_id__in=sorted(claimed))
        .values_list("source_id", "provider", "account_id")
        .distinct()
        .order_by()
    )
    if not keys:
        return DailyCost.objects.none(), labels
    days = [start + timedelta(days=n) for n in range((end - start).days)]
    # Every account here is unclaimed, so a row's service alone says whose extra row it is.
    return window.filter(
        day__in=days,
        source_id__in=sorted({k[0] for k in keys}),
        provider__in=sorted({k[1] for k in keys}),
        account_id__in=sorted({k[2] for k in keys}),
        service__in=services,
    ), [Q(service__in=list(p.extra_services)) for p in parts]


def daily_frames_by_part(
    *, condition: Q, parts: list[Q | PartCondition], start: date, end: date, basis: str, currency: str
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """The daily frame for `condition` and one for each of `parts` (disjoint conditions within it).

    With rollups (the condition and every part's base look at account_id alone): one pass over the
    daily rollup by account labels its rows with the part whose base they match; the parts' extra rows
    (service claims on unclaimed accounts) come from one small pass over the facts; a remainder part is
    the total less its siblings. Otherwise one pass over the facts labels rows with the first part they
    match. Either way the total per day is the exact Decimal sum of the labelled sums.
    """
    split = [_part_condition(p) for p in parts]
    if not split:
        return daily_frame(condition=condition, start=start, end=end, basis=basis, currency=currency), []
    use_rollup = daily_rollup_for(condition, "account") is not None and all(
        daily_rollup_for(p.base, "account") is not None for p in split
    )
    window = {"day__gte": start, "day__lt": end}
    if use_rollup:
        rows = _labelled_daily_sums(
            DailyAccountCost.objects.filter(condition, currency=currency, **window),
            [p.base for p in split],
            basis,
        )
        extras = [(i, p) for i, p in enumerate(split) if p.extra is not None and not p.remainder]
        if extras:
            facts, labels = _extra_facts(
                condition, [p for _, p in extras], currency=currency, start=start, end=end
            )
            extra_rows = _labelled_daily_sums(facts, labels, basis)
            rows += [dict(r, part=extras[r["part"]][0], extra=True) for r in extra_rows if r["part"] >= 0]
    else:
        rows = _labelled_daily_sums(
            DailyCost.objects.filter(condition, currency=currency, **window), [p.full for p in split], basis
        )
    totals: dict[date, dict[str, Any]] = {}
    by_part: list[dict[date, dict[str, Any]]] = [{} for _ in split]

    def add(into: dict[date, dict[str, Any]], day: date, amount: Decimal, estimated: int) -> None:
        entry = into.setdefault(day, {"day": day, "amount": ZERO, "estimated": 0})
        entry["amount"] += amount
        entry["estimated"] = max(entry["estimated"], estimated)

    for row in rows:
        amount, estimated = as_decimal(row["amount"]) or ZERO, row["estimated"] or 0
        if not row.get("extra"):  # extra rows are facts the rollup pass already counted in the total
            add(totals, row["day"], amount, estimated)
        if row["part"] >= 0:
            add(by_part[row["part"]], row["day"], amount, estimated)
    for index, part in enumerate(split):
        if not (use_rollup and part.remainder):
            continue
        # The rollup labelled the remainder's accounts, which also carry its siblings' extra rows: its
        # amount is the total less the siblings', exactly; its days and estimated flags stay.
        for day, entry in by_part[index].items():
            others = [
                by_part[i][day]["amount"] for i in range(len(split)) if i != index and day in by_part[i]
            ]
            entry["amount"] = totals[day]["amount"] - sum(others, ZERO)
    frames = [_daily_rows_frame(sorted(p.values(), key=lambda r: r["day"])) for p in by_part]
    return _daily_rows_frame(sorted(totals.values(), key=lambda r: r["day"])), frames


def _cached(namespace: str, version: str | None, compute: Any, **arguments: Any) -> Any:
    """compute(**arguments), kept per facts version when one is given (see costdata.facts.data_cache)."""
    if version is None:
        return compute(**arguments)
    return data_cache.facts_cached(namespace, arguments, lambda: compute(**arguments), version=version)


def _month_forecast(month: date, currency: str, data_through: date) -> CostExplorerForecast | None:
    """Cost Explorer's forecast for the rest of `month`, summed over sources, if it starts right after
    the data (a forecast fetched on another day would double-count or miss days) and is in `currency`."""
    forecasts = list(CostForecast.objects.filter(month=month))
    if not forecasts or any(
        f.currency != currency or f.forecast_start != data_through + timedelta(days=1) for f in forecasts
    ):
        return None
    mean = sum((f.amount for f in forecasts), ZERO)
    lower = sum((f.lower if f.lower is not None else f.amount for f in forecasts), ZERO)
    upper = sum((f.upper if f.upper is not None else f.amount for f in forecasts), ZERO)
    return CostExplorerForecast(mean=mean, lower=min(lower, mean), upper=max(upper, mean))


def projection_for(
    daily: pd.DataFrame, *, month: date, data_through: date, cost_explorer: CostExplorerForecast | None = None
) -> Projection:
    figures = [
        DailyFigure(day, amount, bool(estimated))
        for day, amount, estimated in zip(
            daily["day"].tolist(), daily["amount"].tolist(), daily["estimated"].tolist(), strict=True
        )
    ]
    through = min(data_through, month_end(month) - timedelta(days=1))
    own = project_month_end(figures, month=month, data_through=through)
    return choose_projection(own, cost_explorer)


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
        return charts.figure_table(self.frame)

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]

    @property
    def csv(self) -> str:
        return charts.figure_csv(self.frame)


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


def _team_part(owners: OwnershipMap, team_ids: set[int]) -> PartCondition:
    base, extra = owners.team_parts(team_ids)
    return PartCondition(
        full=owners.team_q(team_ids),
        base=base,
        extra=extra,
        extra_services=tuple(sorted(s for s, t in owners.services.items() if t in team_ids)),
        claimed_accounts=frozenset(owners.accounts),
    )


def _breakdown_scopes(
    scope: CostScope, filters: DashboardFilters, owners: OwnershipMap
) -> list[tuple[CostScope, PartCondition]]:
    """The rows under the total in "this month": business units (organisation), teams (a unit)."""
    if scope.kind == "organisation" and not (filters.business_unit or filters.team):
        units = list(Team.objects.filter(kind=Team.Kind.BUSINESS_UNIT).order_by("name"))
        rows = [
            (CostScope("business_unit", str(u.pk), u.name, u), _team_part(owners, owners.unit_team_ids(u.pk)))
            for u in units
        ]
        if units:
            in_units = {t for t, parent in owners.parents.items() if parent is not None}
            base, _ = owners.team_parts(in_units)
            rows.append(
                (
                    CostScope("organisation", "", NO_BUSINESS_UNIT),
                    # Units and "No business unit" partition the condition, so it is the remainder.
                    PartCondition(full=owners.unowned_by_units_q(), base=~base, remainder=True),
                )
            )
        return rows
    unit = scope.team if scope.kind == "business_unit" else filters.business_unit
    if unit is not None and not filters.team and scope.kind in ("organisation", "business_unit"):
        teams = list(Team.objects.filter(parent=unit, kind=Team.Kind.TEAM).order_by("name"))
        return [(CostScope("team", str(t.pk), t.name, t), _team_part(owners, {t.pk})) for t in teams]
    return []


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


def _mover_windows(month: date, data_through: date) -> tuple[tuple[date, date], tuple[date, date], bool]:
    """(current, previous) end-exclusive windows; like-for-like days while the month is open."""
    end = month_end(month)
    previous_month = (month - timedelta(days=1)).replace(day=1)
    if data_through >= end - timedelta(days=1):
        return (month, end), (previous_month, month), False
    days = (data_through - month).days + 1
    return (
        (month, data_through + timedelta(days=1)),
        (
            previous_month,
            min(previous_month + timedelta(days=days), month),
        ),
        True,
    )


def movers_frames(
    *,
    condition: Q,
    current: tuple[date, date],
    previous: tuple[date, date],
    basis: str,
    currency: str,
    version: str | None = None,
    limit: int | None = None,
) -> dict[str, pd.DataFrame]:
    """{"service": frame, "account": frame}: name, previous, current (Decimal) per service and account.

    With `limit`, only the rows that can be among charts.top_movers(frame, limit=limit): the `limit`
    largest absolute changes and every row tied with the last of them (top_movers breaks ties by
    name, which for accounts is only known after naming). The sums are kept per data version when
    `version` is given (costdata.facts.data_cache); account names are read each time (an admin may rename
    an account between pulls), for the rows kept only.
    """
    sums = _cached(
        "mover-sums",
        version,
        _mover_sums,
        condition=condition,
        current=current,
        previous=previous,
        basis=basis,
        currency=currency,
        limit=limit,
    )
    names = dict(
        CloudAccount.objects.filter(account_id__in=[key for key, _, _ in sums["account"]]).values_list(
            "account_id", "name"
        )
    )
    return {
        dimension: pd.DataFrame(
            [
                {
                    "name": f"{names[key]} ({key})" if dimension == "account" and names.get(key) else key,
                    "previous": previous_amount,
                    "current": current_amount,
                }
                for key, previous_amount, current_amount in rows
            ],
            columns=["name", "previous", "current"],
        )
        for dimension, rows in sums.items()
    }


def _largest_changes(
    rows: list[tuple[str, Decimal, Decimal]], limit: int
) -> list[tuple[str, Decimal, Decimal]]:
    """The rows whose absolute change is among the `limit` largest non-zero ones, ties included."""
    changes = sorted(
        (abs(current - previous) for _, previous, current in rows if current != previous), reverse=True
    )
    if len(changes) <= limit:
        return rows
    cut = changes[limit - 1]
    return [row for row in rows if row[2] != row[1] and abs(row[2] - row[1]) >= cut]


def _mover_sums(
    *,
    condition: Q,
    current: tuple[date, date],
    previous: tuple[date, date],
    basis: str,
    currency: str,
    limit: int | None = None,
) -> dict[str, list[tuple[str, Decimal, Decimal]]]:
    """Per service and per account: (key, previous, current) exact sums.

    One query per breakdown, each summing both windows at once in the database (conditional sums);
    whole months read the monthly rollup, a partial month the daily rollup by that breakdown when it
    answers the condition (see daily_rollup_for), else the daily facts. Grouping by the one
    breakdown keeps the aggregate small (tens or hundreds of groups) so it stays in memory.
    """
    if current[0].day == 1 and current[1].day == 1 and previous[0].day == 1:
        facts: QuerySet = MonthlyCost.objects.filter(
            condition, currency=currency, month__gte=previous[0], month__lt=current[1]
        )
        in_current = Q(month__gte=current[0])
        rollups: dict[str, QuerySet] = {"service": facts, "account": facts}
    else:
        in_windows = Q(day__gte=previous[0], day__lt=previous[1]) | Q(day__gte=current[0], day__lt=current[1])
        in_current = Q(day__gte=current[0])
        # Part of a month: the daily rollup by service (or by account) when it answers the condition.
        rollups = {
            dimension: (daily_rollup_for(condition, dimension) or DailyCost).objects.filter(
                condition, in_windows, currency=currency
            )
            for dimension in ("service", "account")
        }
    money = DecimalField(max_digits=30, decimal_places=12)
    sums = {
        "current": exact_sum(Case(When(in_current, then=F(basis)), output_field=money)),
        "previous": exact_sum(Case(When(~in_current, then=F(basis)), output_field=money)),
    }
    result = {}
    for dimension, field_name in (("service", "service"), ("account", "account_id")):
        rows = rollups[dimension].values(field_name).annotate(**sums).order_by(field_name)
        result[dimension] = [
            (r[field_name], as_decimal(r["previous"]) or ZERO, as_decimal(r["current"]) or ZERO) for r in rows
        ]
        if limit is not None:
            result[dimension] = _largest_changes(result[dimension], limit)
    return result


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
    by account; add the registered providers' panels.
    """
    filters = filters or DashboardFilters()
    today = today or timezone.localdate()
    owners = ownership_map()
    version = facts_version()
    fresh = _cached("freshness", version, freshness)
    data_through = fresh.data_up_to
    month = filters.period or (data_through or today).replace(day=1)
    urls = term_urls(filters.basis)
    view = DashboardView(
        scope=scope,
        filters=filters,
        month=month,
        data_through=None,
        currency=None,
        currencies=(),
        freshness=fresh,
        term_urls=urls,
        owners=owners,
        facts_version=version,
    )
    if data_through is None:
        return view
    if month > data_through.replace(day=1):
        latest = f"{data_through:%Y-%m}"
        raise FilterErrors(
            {"period": f"The cost data ends on {data_through}; choose {latest} or an earlier month."}
        )
    condition = view.condition
    through = min(data_through, month_end(month) - timedelta(days=1))
    view.data_through = through
    window_start = min(through - timedelta(days=filters.days - 1), month - timedelta(days=LOOKBACK_DAYS))
    currency, currencies = _cached(
        "main-currency",
        version,
        main_currency,
        start=window_start,
        end=through + timedelta(days=1),
        condition=condition,
    )
    if filters.currency:
        currency = filters.currency
    view.currencies = currencies
    view.currency = currency
    if currency is None:
        return view

    breakdown = _breakdown_scopes(scope, filters, owners)
    if filters.restricted:
        # Only the units and teams the viewer reads; no "No business unit" remainder (it would be the
        # rest of what they see, not of the organisation).
        breakdown = [(s, part) for s, part in breakdown if _sees_breakdown_scope(filters, s)]
    daily, part_frames = _cached(
        "daily-by-part",
        version,
        daily_frames_by_part,
        condition=condition,
        parts=[part for _, part in breakdown],
        start=window_start,
        end=through + timedelta(days=1),
        basis=filters.basis,
        currency=currency,
    )
    whole_organisation = scope.kind == "organisation" and not filters.describe()
    # Cost Explorer forecasts the whole organisation: it projects only the organisation's own total.
    cost_explorer = None
    if whole_organisation and filters.basis == "unblended" and not filters.restricted:
        cost_explorer = _month_forecast(month, currency, through)
    projection = projection_for(daily, month=month, data_through=through, cost_explorer=cost_explorer)
    total_label = scope.label if scope.kind != "organisation" else "Organisation"
    if filters.describe():
        total_label += " (" + ", ".join(filters.describe()) + ")"
    total_projection, total_budget = projection, None
    if whole_organisation and filters.restricted:
        if _reads_organisation_totals(filters):
            # A business-unit owner reads the organisation's totals: the whole organisation's figure
            # (and its budget), not the sum of their rows, so the row means what its label says.
            total_projection = _organisation_projection(
                month=month,
                through=through,
                start=window_start,
                basis=filters.basis,
                currency=currency,
                version=version,
            )
        else:
            total_label = VISIBLE_TOTAL_LABEL
            view.summary_note = VISIBLE_TOTAL_NOTE
    total_scope = CostScope(scope.kind, scope.value, total_label, scope.team)
    # Every row's budget in one call (a provider may answer them all with one query).
    wanted = [s for s, _ in breakdown if s.kind != "organisation"]
    if not filters.describe() and total_label != VISIBLE_TOTAL_LABEL:
        wanted.insert(0, scope)
    found = budgets_for(scopes=wanted, month=month, basis=filters.basis, currency=currency, filters=filters)
    budgets = dict(zip(map(id, wanted), found, strict=True))
    total_budget = budgets.get(id(scope))
    view.summary.append(
        SummaryRow(
            total_scope,
            total_projection.actual_to_date,
            total_projection,
            total_budget,
            budget_hidden=not filters.describe()
            and (total_label == VISIBLE_TOTAL_LABEL or not may_read_budget(filters, scope)),
        )
    )
    for (sub_scope, _), sub_daily in zip(breakdown, part_frames, strict=True):
        sub_projection = projection_for(sub_daily, month=month, data_through=through)
        budget = budgets.get(id(sub_scope))
        hidden = sub_scope.kind != "organisation" and not may_read_budget(filters, sub_scope)
        view.summary.append(
            SummaryRow(sub_scope, sub_projection.actual_to_date, sub_projection, budget, budget_hidden=hidden)
        )

    summary = _summary_frame(view.summary)
    view.charts.append(
        Chart(
            "this-month",
            f"This month ({month:%B %Y})",
            charts.cached_figure(charts.budget_comparison_figure, summary, currency=currency, term_urls=urls),
            summary,
            term="forecast",
        )
    )
    ahead = (
        charts.forecast_frame(forecast_days(projection)) if projection.basis != ForecastBasis.ACTUAL else None
    )
    first_shown = through - timedelta(days=filters.days - 1)
    shown_daily = daily[daily["day"] >= first_shown] if not daily.empty else daily
    view.charts.append(
        Chart(
            "daily",
            f"Daily cost, last {filters.days} days",
            charts.cached_figure(
                charts.daily_cost_figure,
                shown_daily,
                ahead,
                currency=currency,
                last_days=filters.days,
                term_urls=urls,
            ),
            _daily_chart_frame(daily, ahead if ahead is not None else charts.forecast_frame([]), first_shown),
            term=_BASIS_SLUGS[filters.basis],
            note=_projection_note(projection),
        )
    )
    current, previous, partial = _mover_windows(month, through)
    note = (
        f"{current[0]:%d %b}–{current[1] - timedelta(days=1):%d %b %Y} against the same days of the previous month."
        if partial
        else f"{month:%B %Y} against {previous[0]:%B %Y}."
    )
    movers = movers_frames(
        condition=condition,
        current=current,
        previous=previous,
        basis=filters.basis,
        currency=currency,
        version=version,
        limit=MOVERS_SHOWN,
    )
    for dimension, frame in movers.items():
        view.charts.append(
            Chart(
                f"movers-{dimension}",
                f"Top movers by {dimension}",
                charts.cached_figure(
                    charts.top_movers_figure,
                    frame,
                    dimension=dimension,
                    currency=currency,
                    limit=MOVERS_SHOWN,
                    term_urls=urls,
                ),
                charts.top_movers(frame, limit=MOVERS_SHOWN),
                term="variance",
                note=note,
            )
        )
    if not panels:  # warming the cost aggregates (costdata.services.warming): no viewer, no panels
        return view
    for provider in sorted(_panel_providers.values(), key=lambda p: (p.order, p.key)):
        for panel in provider.panels(view=view):
            figure = panel.figure if panel.figure is not None else None
            frame = panel.frame if panel.frame is not None else pd.DataFrame()
            view.charts.append(
                Chart(panel.key, panel.title, figure, frame, term=panel.term, items=list(panel.items))  # type: ignore[arg-type]
            )
    return view


VISIBLE_TOTAL_LABEL = "Costs you may see"
VISIBLE_TOTAL_NOTE = (
    "You may not read the organisation's totals: the first row is the sum of the costs you may see, "
    "not the organisation's total, and has no budget."
)


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
    daily = _cached(
        "daily",
        version,
        daily_frame,
        condition=Q(),
        start=start,
        end=through + timedelta(days=1),
        basis=basis,
        currency=currency,
    )
    cost_explorer = _month_forecast(month, currency, through) if basis == "unblended" else None
    return projection_for(daily, month=month, data_through=through, cost_explorer=cost_explorer)


def _projection_note(projection: Projection) -> str:
    basis = {
        ForecastBasis.RUN_RATE: "run rate of recent final days (spikes and estimated days left out)",
        ForecastBasis.COST_EXPLORER: "Cost Explorer's forecast",
        ForecastBasis.ACTUAL: "the month is complete: the projection is the actual",
        ForecastBasis.INSUFFICIENT_DATA: "too few complete days for a run rate",
    }[projection.basis]
    return f"Projection basis: {basis}."


# --- commitments ------------------------------------------------------------------------------------


def commitments_frame(*, months: int = 13, today: date | None = None) -> pd.DataFrame:
    """month, kind, coverage, utilisation (Decimal percent) per month and kind, plus the money behind it.

    With several sources the kind carries the source's name, so figures are never averaged blindly.
    """
    today = today or timezone.localdate()
    start = (today.replace(day=1) - timedelta(days=31 * (months - 1))).replace(day=1)
    metrics = list(
        CommitmentMetric.objects.filter(month__gte=start)
        .select_related("source")
        .order_by("month", "kind", "source__name")
    )
    several = len({m.source_id for m in metrics}) > 1
    return pd.DataFrame(
        [
            {
                "month": m.month,
                "kind": m.get_kind_display() + (f" · {m.source.name}" if several else ""),
                "coverage": m.coverage_percent,
                "utilisation": m.utilisation_percent,
                "on_demand_cost": m.on_demand_cost,
                "covered_cost": m.covered_cost,
                "total_commitment": m.total_commitment,
                "unused_commitment": m.unused_commitment,
            }
            for m in metrics
        ],
        columns=[
            "month",
            "kind",
            "coverage",
            "utilisation",
            "on_demand_cost",
            "covered_cost",
            "total_commitment",
            "unused_commitment",
        ],
    )


def commitments_chart(*, basis: str = "unblended", today: date | None = None) -> Chart:
    frame = commitments_frame(today=today)
    return Chart(
        "commitments",
        "Savings Plans and Reserved Instances",
        charts.cached_figure(charts.commitments_figure, frame, term_urls=term_urls(basis)),
        frame,
        term="coverage",
    )


# --- choices for the filter form --------------------------------------------------------------------


def filter_choices(
    filters: DashboardFilters | None = None, *, version: str | None = None
) -> dict[str, list[tuple[str, str]]]:
    """Values for the filter form's selects: units, teams, accounts and services that have data.

    For restricted filters (a viewer who may not read every cost) only the units and teams they see and
    the accounts and services among their rows are offered: the form names nothing else. The services
    (read from the facts' rollups) are kept per data version when `version` is given.
    """
    # Units and teams in one query; the kinds are split below.
    groups = Team.objects.filter(kind__in=[Team.Kind.BUSINESS_UNIT, Team.Kind.TEAM]).order_by("name")
    accounts = CloudAccount.objects.order_by("name", "account_id").values_list("account_id", "name")
    services: list[str] = []
    restricted = filters is not None and filters.restricted
    if restricted:
        from stakeholders.roles import visibility_for

        assert filters is not None and filters.visible is not None
        # The teams and units whose pages the viewer may open (costdata.permissions.dashboard_scope_visible).
        seen = sorted(visibility_for(filters.viewer).team_ids) if filters.viewer is not None else []
        groups = groups.filter(pk__in=seen)
        visible_accounts, services = _cached(
            "visible-choices", version, _visible_cost_choices, visible=filters.visible
        )
        accounts = accounts.filter(account_id__in=visible_accounts)
    else:
        services = _cached("recent-services", version, _recent_services)
    kinds = list(groups.values_list("pk", "name", "kind"))
    return {
        "business_unit": [(str(pk), name) for pk, name, kind in kinds if kind == Team.Kind.BUSINESS_UNIT],
        "team": [(str(pk), name) for pk, name, kind in kinds if kind == Team.Kind.TEAM],
        "account": [(a, f"{n} ({a})" if n else a) for a, n in accounts],
        "service": [(s, s) for s in services],
    }


def _recent_services() -> list[str]:
    """The services with cost in the last 92 days of data, from the daily rollup by service."""
    latest = DailyServiceCost.objects.aggregate(d=Max("day"))["d"]
    if latest is None:
        return []
    return list(
        DailyServiceCost.objects.filter(day__gte=latest - timedelta(days=92))
        .values_list("service", flat=True)
        .distinct()
        .order_by("service")
    )


def _visible_cost_choices(*, visible: Q) -> tuple[list[str], list[str]]:
    """The accounts among the rows `visible` selects, and their services with cost in the last 92 days
    of data (from the monthly rollup)."""
    rows = MonthlyCost.objects.filter(visible)
    accounts = sorted(set(rows.values_list("account_id", flat=True).distinct().order_by()))
    latest = DailyServiceCost.objects.aggregate(d=Max("day"))["d"]
    services: list[str] = []
    if latest is not None:
        recent = rows.filter(month__gte=(latest - timedelta(days=92)).replace(day=1))
        services = list(recent.values_list("service", flat=True).distinct().order_by("service"))
    return accounts, services
