"""Detection: each month's figures per scope against budget, forecast and run rate become variances
(upserted by natural key), assigned on creation."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from audit.recording import acting_as_actor, update_audited
from common.types import User
from costdata import permissions
from costdata.facts.models import DailyCost, DailyTagCost, MonthlyCost
from costdata.ingestion import windows
from costdata.money import as_decimal, exact_sum
from costdata.planning.forecasting import (
    CostExplorerForecast,
    DailyFigure,
    Projection,
    choose_projection,
    first_of_month,
    month_end,
    project_month_end,
    quantize_for_storage,
)
from costdata.planning.models import Budget, BudgetLine, CostForecast
from costdata.planning.services import fiscal_year_for
from costdata.variances.models import DetectionMonth, Variance, VarianceThreshold
from costdata.variances.rules import (
    Finding,
    ScopeFigures,
    ScopeKey,
    ScopeType,
    ThresholdOverride,
    Thresholds,
    detect_variances,
    resolve_thresholds,
)
from costdata.variances.services.base import HISTORY_DAYS, ZERO, Action, logger
from costdata.variances.services.procedure import _transition, variance_assign
from stakeholders import scopes as ownership_scopes
from stakeholders.models import Ownership, Team
from stakeholders.selectors import ownership_index


@dataclass
class DetectionResult:
    months: list[date] = field(default_factory=list)
    scopes: int = 0
    created: int = 0
    updated: int = 0
    unchanged_final: int = 0
    closed_months: list[date] = field(default_factory=list)
    skipped_months: list[date] = field(default_factory=list)


def data_through() -> date | None:
    """The last complete day the fact table holds (today's partial figures are never judged)."""
    last = DailyCost.objects.aggregate(last=Max("day"))["last"]
    if last is None:
        return None
    return min(last, timezone.localdate() - timedelta(days=1))


def months_to_detect(*, start: date, end: date, today: date | None = None) -> list[date]:
    """The months of [start, end) that detection runs for after a pull: only the open month and the
    previous one (until its invoice is final). A 13-month backfill does not reopen last year."""
    today = today or timezone.localdate()
    earliest = windows.add_months(today, -1)
    months = []
    month = first_of_month(start)
    while month < end:
        if month >= earliest and month <= today:
            months.append(month)
        month = windows.add_months(month, 1)
    return months


def variances_detect_enqueue(*, months: Iterable[date]) -> None:
    """Queue detection for `months` once the surrounding transaction commits (the pull's success path)."""
    wanted = sorted({first_of_month(m).isoformat() for m in months})
    if not wanted:
        return

    def send() -> None:
        from costdata.tasks import detect_variances as task

        try:
            task.delay(months=wanted)
        except Exception:  # a broker outage must not turn a good pull into a failed one
            logger.exception("could not queue variance detection for %s", wanted)

    transaction.on_commit(send)


def _currency() -> str:
    row = DailyCost.objects.values("currency").annotate(n=Count("pk")).order_by("-n", "currency").first()
    return row["currency"] if row else "USD"


def _budget_for(month: date) -> Budget | None:
    return Budget.objects.filter(fiscal_year=fiscal_year_for(month)).select_related("active_version").first()


def _budget_lines(budget: Budget | None, month: date) -> dict[ScopeKey, Decimal]:
    if budget is None:
        return {}
    version = budget.active_version or budget.versions.order_by("-number").first()
    if version is None:
        return {}
    return {
        ScopeKey(ScopeType(line.scope_type), line.scope_value): line.amount
        for line in BudgetLine.objects.filter(version=version, month=month)
    }


@dataclass
class _Routing:
    """Cost rows (account, service) of each team and business unit, by the ownership rules."""

    pairs_by_team: dict[str, set[tuple[str, str]]]
    units: dict[str, str]  # team name -> business unit name


def _routing(month: date) -> _Routing:
    index = ownership_index()
    pairs = (
        MonthlyCost.objects.filter(month__gte=windows.add_months(month, -12), month__lte=month)
        .values_list("account_id", "service")
        .distinct()
    )
    by_team: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for account_id, service in pairs:
        match = index.owner_for(account_id=account_id, service=service)
        if match is None or match.owner_team is None:
            continue
        team = match.owner_team
        by_team[team.name].add((account_id, service))
        if team.parent is not None:
            by_team[team.parent.name].add((account_id, service))
    units = {
        t.name: t.parent.name
        for t in Team.objects.filter(parent__isnull=False).select_related("parent")
        if t.parent is not None
    }
    return _Routing(dict(by_team), units)


def _scopes(month: date, budget_lines: dict[ScopeKey, Decimal], routing: _Routing) -> list[ScopeKey]:
    found: set[ScopeKey] = set(budget_lines)
    for kind, key, value in Ownership.objects.values_list(
        "scope_kind", "scope_key", "scope_value"
    ).distinct():
        if kind == ownership_scopes.ACCOUNT:
            found.add(ScopeKey(ScopeType.ACCOUNT, value))
        elif kind == ownership_scopes.SERVICE:
            found.add(ScopeKey(ScopeType.SERVICE, value))
        elif kind == ownership_scopes.TAG:
            found.add(ScopeKey(ScopeType.TAG, f"{key}={value}"))
    for team in Team.objects.filter(name__in=routing.pairs_by_team):
        kind = ScopeType.BUSINESS_UNIT if team.kind == Team.Kind.BUSINESS_UNIT else ScopeType.TEAM
        found.add(ScopeKey(kind, team.name))
    return sorted(found)


def _fact_filter(scope: ScopeKey, routing: _Routing) -> tuple[Any, Q] | None:
    """(model, filter) for the scope's rows; None when the scope has no rows of its own."""
    if scope.scope_type is ScopeType.ORGANISATION:
        return DailyCost, Q()
    if scope.scope_type is ScopeType.ACCOUNT:
        return DailyCost, Q(account_id=scope.value)
    if scope.scope_type is ScopeType.SERVICE:
        return DailyCost, Q(service=scope.value)
    if scope.scope_type is ScopeType.TAG:
        key, _, value = scope.value.partition("=")
        return DailyTagCost, Q(tag_key=key, tag_value=value)
    pairs = routing.pairs_by_team.get(scope.value)
    if not pairs:
        return None
    condition = Q()
    by_account: dict[str, list[str]] = defaultdict(list)
    for account_id, service in pairs:
        by_account[account_id].append(service)
    for account_id, services in by_account.items():
        condition |= Q(account_id=account_id, service__in=sorted(services))
    return DailyCost, condition


def _sum(model: Any, condition: Q, currency: str, start: date, end: date) -> Decimal | None:
    """The scope's cost in [start, end), or None when the source holds no day of that range at all."""
    if not DailyCost.objects.filter(day__gte=start, day__lt=end).exists():
        return None
    value = model.objects.filter(condition, currency=currency, day__gte=start, day__lt=end).aggregate(
        total=exact_sum("unblended")
    )["total"]
    return as_decimal(value) or ZERO


def _daily(model: Any, condition: Q, currency: str, start: date, end: date) -> list[DailyFigure]:
    rows = (
        model.objects.filter(condition, currency=currency, day__gte=start, day__lt=end)
        .values("day")
        .annotate(amount=exact_sum("unblended"), estimated=Count("pk", filter=Q(estimated=True)))
        .order_by("day")
    )
    return [
        DailyFigure(row["day"], as_decimal(row["amount"]) or ZERO, bool(row["estimated"])) for row in rows
    ]


def _cost_explorer_forecast(month: date, currency: str) -> CostExplorerForecast | None:
    forecasts = list(CostForecast.objects.filter(month=month, currency=currency))
    if not forecasts:
        return None
    mean = sum((f.amount for f in forecasts), ZERO)
    lower = sum(((f.lower if f.lower is not None else f.amount) for f in forecasts), ZERO)
    upper = sum(((f.upper if f.upper is not None else f.amount) for f in forecasts), ZERO)
    return CostExplorerForecast(mean=mean, lower=min(lower, mean), upper=max(upper, mean))


def scope_projection(
    *, scope: ScopeKey, month: date, through: date, currency: str, routing: Any = None
) -> tuple[Projection, list[DailyFigure]] | None:
    """The month-end projection of one scope, and the daily figures it was made from."""
    routing = routing or _routing(month)
    found = _fact_filter(scope, routing)
    if found is None:
        return None
    model, condition = found
    daily = _daily(model, condition, currency, month - timedelta(days=HISTORY_DAYS), month_end(month))
    projection = project_month_end(daily, month=month, data_through=through)
    if scope.scope_type is ScopeType.ORGANISATION:
        projection = choose_projection(projection, _cost_explorer_forecast(month, currency))
    return projection, daily


def _threshold_override(row: VarianceThreshold | None) -> ThresholdOverride | None:
    if row is None:
        return None
    return ThresholdOverride(
        percent=row.percent,
        absolute=row.absolute,
        spike_percent=row.spike_percent,
        spike_absolute=row.spike_absolute,
        spike_trailing_days=row.spike_trailing_days,
        spike_min_history_days=row.spike_min_history_days,
    )


def thresholds_for(scope: ScopeKey, *, units: dict[str, str] | None = None) -> Thresholds:
    """The scope's settings, then its business unit's (for a team), then the organisation's default."""
    rows = {(r.scope_type, r.scope_value): r for r in VarianceThreshold.objects.all()}
    chain = [rows.get((scope.scope_type.value, scope.value))]
    if scope.scope_type is ScopeType.TEAM and units and scope.value in units:
        chain.append(rows.get((ScopeType.BUSINESS_UNIT.value, units[scope.value])))
    chain.append(rows.get((ScopeType.ORGANISATION.value, "")))
    return resolve_thresholds([_threshold_override(r) for r in chain])


def scope_figures(
    *,
    scope: ScopeKey,
    month: date,
    through: date,
    currency: str,
    budget: Decimal | None,
    routing: _Routing,
) -> ScopeFigures | None:
    found = _fact_filter(scope, routing)
    if found is None:
        return None
    model, condition = found
    projected = scope_projection(
        scope=scope, month=month, through=through, currency=currency, routing=routing
    )
    assert projected is not None
    projection, daily = projected
    prior = windows.add_months(month, -1)
    last_year = windows.add_months(month, -12)
    return ScopeFigures(
        scope=scope,
        month=month,
        currency=currency,
        data_through=through,
        actual_to_date=projection.actual_to_date,
        projected=quantize_for_storage(projection.projected),
        budget=budget,
        prior_month_actual=_sum(model, condition, currency, prior, month),
        same_month_last_year=_sum(model, condition, currency, last_year, windows.add_months(last_year, 1)),
        daily=daily,
    )


def _figures(finding: Finding) -> dict[str, Any]:
    values = {name: getattr(finding, name) for name in Variance.FIGURE_FIELDS}
    for name in ("observed", "reference", "difference"):
        values[name] = quantize_for_storage(values[name])
    values["day_estimated"] = finding.day_estimated
    values["thresholds"] = {
        "percent": str(finding.thresholds.percent),
        "absolute": str(finding.thresholds.absolute),
        "spike_percent": str(finding.thresholds.spike_percent),
        "spike_absolute": str(finding.thresholds.spike_absolute),
        "spike_trailing_days": finding.thresholds.spike_trailing_days,
        "spike_min_history_days": finding.thresholds.spike_min_history_days,
    }
    return values


def _natural_key(finding: Finding) -> str:
    return "|".join(finding.natural_key)


def _month_is_final(month: date, through: date) -> bool:
    last_day = month_end(month) - timedelta(days=1)
    if through < last_day:
        return False
    return not DailyCost.objects.filter(day__gte=month, day__lt=month_end(month), estimated=True).exists()


@transaction.atomic
def _upsert(finding: Finding, *, now: datetime, result: DetectionResult) -> Variance:
    key = _natural_key(finding)
    variance = Variance.objects.select_for_update().filter(natural_key=key).first()
    if variance is not None:
        if variance.figures_final:
            result.unchanged_final += 1
            return variance
        for name, value in _figures(finding).items():
            setattr(variance, name, value)
        variance.last_detected_at = now
        variance.updated_at = now
        variance.save(update_fields=[*_figures(finding), "last_detected_at", "updated_at"])
        result.updated += 1
        return variance
    variance = Variance.objects.create(
        natural_key=key,
        scope_type=finding.scope.scope_type.value,
        scope_value=finding.scope.value,
        month=finding.month,
        kind=finding.kind.value,
        day=finding.day,
        currency=finding.currency,
        detected_at=now,
        last_detected_at=now,
        updated_at=now,
        **_figures(finding),
    )
    _transition(
        variance, Action.DETECT, actor=None, from_status="", comment=_detection_summary(variance), at=now
    )
    variance_assign(variance=variance, now=now)
    result.created += 1
    return variance


def _detection_summary(variance: Variance) -> str:
    percent = f" ({variance.percent:+.1f}%)" if variance.percent is not None else ""
    return (
        f"{variance.get_kind_display()}: {variance.observed:,.2f} against {variance.reference:,.2f} "
        f"{variance.currency}{percent}"
    )


@acting_as_actor
def variances_detect(
    *, months: Iterable[date] | None = None, now: datetime | None = None, actor: User | None = None
) -> DetectionResult:
    """Run detection for `months` (default: the month of the latest data and the one before)."""
    if actor is not None and not permissions.may_run_detection(actor):
        raise PermissionDenied("Only finance and administrators run variance detection.")
    now = now or timezone.now()
    result = DetectionResult()
    through = data_through()
    if through is None:
        return result
    if months is None:
        months = [windows.add_months(through, -1), first_of_month(through)]
    currency_default = _currency()
    for month in sorted({first_of_month(m) for m in months}):
        if month > through:
            continue
        if DetectionMonth.objects.filter(month=month).exists():
            result.skipped_months.append(month)
            continue
        result.months.append(month)
        budget = _budget_for(month)
        currency = budget.currency if budget else currency_default
        lines = _budget_lines(budget, month)
        routing = _routing(month)
        for scope in _scopes(month, lines, routing):
            figures = scope_figures(
                scope=scope,
                month=month,
                through=through,
                currency=currency,
                budget=lines.get(scope),
                routing=routing,
            )
            if figures is None:
                continue
            result.scopes += 1
            for finding in detect_variances(figures, thresholds_for(scope, units=routing.units)):
                _upsert(finding, now=now, result=result)
        if _month_is_final(month, through):
            month_close(month=month)
            result.closed_months.append(month)
    logger.info("variance detection: %s", result)
    return result


@transaction.atomic
def month_close(*, month: date) -> DetectionMonth:
    """Freeze the month's variances' figures; detection leaves a closed month alone from now on."""
    update_audited(Variance.objects.filter(month=month, figures_final=False), figures_final=True)
    closed, _ = DetectionMonth.objects.get_or_create(month=month)
    return closed


def scope_month_actual(*, scope: ScopeKey, month: date, currency: str) -> Decimal | None:
    """A scope's cost for a whole month (None when the source holds no day of it): budgets start here."""
    month = first_of_month(month)
    found = _fact_filter(scope, _routing(month))
    if found is None:
        return None
    model, condition = found
    return _sum(model, condition, currency, month, month_end(month))
