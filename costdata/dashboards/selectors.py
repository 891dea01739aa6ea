"""Reads behind the dashboards: pandas DataFrames for the chart functions, aggregated in the database.

Every money column holds exact `Decimal`s summed by the database (costdata.money.exact_sum); the chart
functions (costdata.dashboards.charts) turn them into figures and the tables module into tables. Reads
that depend only on the cost facts are kept per data version (`version_cached`, costdata.facts.data_cache).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
from django.db.models import Case, Count, IntegerField, Max, Q, QuerySet, Value, When
from django.db.models.functions import Cast
from django.utils import timezone

from costdata.dashboards.filters import DashboardFilters
from costdata.dashboards.scopes import PartCondition
from costdata.facts import data_cache
from costdata.facts.selectors import condition_fields
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
    Projection,
    choose_projection,
    month_end,
    project_month_end,
)
from stakeholders.models import Team

ZERO = Decimal(0)
DayEntries = dict[date, dict[str, Any]]  # day -> {"day", "amount", "estimated"}


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


def daily_rollup_for(
    condition: Q, dimension: str | None = None
) -> type[DailyAccountCost] | type[DailyServiceCost] | None:
    """The daily rollup that answers `condition` exactly (grouped by `dimension` if given), else None.

    DailyAccountCost holds the (day, account) grain, DailyServiceCost the (day, service) grain: a
    condition that looks at nothing, or at account_id alone, is answered by the first; at service alone,
    by the second. Anything else (an account and a service together, a team owning by service claim)
    needs the facts.
    """
    fields = condition_fields(condition)
    candidates: dict[str, type[DailyAccountCost] | type[DailyServiceCost]] = {
        "account_id": DailyAccountCost,
        "service": DailyServiceCost,
    }
    if dimension is not None:
        key = "account_id" if dimension in ("account", "account_id") else "service"
        return candidates[key] if fields <= {key} else None
    if fields <= {"account_id"}:
        return DailyAccountCost
    if fields <= {"service"}:
        return DailyServiceCost
    return None


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


def _any_of(conditions: list[Q]) -> Q:
    combined = Q(account_id__in=[])
    for condition in conditions:
        combined |= condition
    return combined


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
    if use_rollup:
        rows = _rollup_part_rows(
            condition=condition, split=split, start=start, end=end, basis=basis, currency=currency
        )
    else:
        rows = _labelled_daily_sums(
            DailyCost.objects.filter(condition, currency=currency, day__gte=start, day__lt=end),
            [p.full for p in split],
            basis,
        )
    totals, by_part = _day_entries(rows=rows, part_count=len(split))
    if use_rollup:
        _settle_remainders(split=split, totals=totals, by_part=by_part)
    frames = [_daily_rows_frame(sorted(p.values(), key=lambda r: r["day"])) for p in by_part]
    return _daily_rows_frame(sorted(totals.values(), key=lambda r: r["day"])), frames


def _rollup_part_rows(
    *, condition: Q, split: list[PartCondition], start: date, end: date, basis: str, currency: str
) -> list[dict[str, Any]]:
    """The parts' labelled daily sums from the daily rollup by account, plus their extra rows from the
    facts (marked `extra`: the rollup pass already counted them in the total)."""
    rows = _labelled_daily_sums(
        DailyAccountCost.objects.filter(condition, currency=currency, day__gte=start, day__lt=end),
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
    return rows


def _add_to_day(into: DayEntries, *, day: date, amount: Decimal, estimated: int) -> None:
    entry = into.setdefault(day, {"day": day, "amount": ZERO, "estimated": 0})
    entry["amount"] += amount
    entry["estimated"] = max(entry["estimated"], estimated)


def _day_entries(*, rows: list[dict[str, Any]], part_count: int) -> tuple[DayEntries, list[DayEntries]]:
    """The labelled sums added up per day: for the total, and for each part."""
    totals: DayEntries = {}
    by_part: list[DayEntries] = [{} for _ in range(part_count)]
    for row in rows:
        amount, estimated = as_decimal(row["amount"]) or ZERO, row["estimated"] or 0
        if not row.get("extra"):  # extra rows are facts the rollup pass already counted in the total
            _add_to_day(totals, day=row["day"], amount=amount, estimated=estimated)
        if row["part"] >= 0:
            _add_to_day(by_part[row["part"]], day=row["day"], amount=amount, estimated=estimated)
    return totals, by_part


def _settle_remainders(*, split: list[PartCondition], totals: DayEntries, by_part: list[DayEntries]) -> None:
    """The rollup labelled the remainder's accounts, which also carry its siblings' extra rows: its
    amount is the total less the siblings', exactly; its days and estimated flags stay."""
    for index, part in enumerate(split):
        if not part.remainder:
            continue
        for day, entry in by_part[index].items():
            others = [
                by_part[i][day]["amount"] for i in range(len(split)) if i != index and day in by_part[i]
            ]
            entry["amount"] = totals[day]["amount"] - sum(others, ZERO)


def version_cached(namespace: str, version: str | None, compute: Any, **arguments: Any) -> Any:
    """compute(**arguments), kept per facts version when one is given (see costdata.facts.data_cache)."""
    if version is None:
        return compute(**arguments)
    return data_cache.facts_cached(namespace, arguments, lambda: compute(**arguments), version=version)


def month_forecast(month: date, currency: str, data_through: date) -> CostExplorerForecast | None:
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
        visible_accounts, services = version_cached(
            "visible-choices", version, _visible_cost_choices, visible=filters.visible
        )
        accounts = accounts.filter(account_id__in=visible_accounts)
    else:
        services = version_cached("recent-services", version, _recent_services)
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
