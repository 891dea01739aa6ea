"""Variance detection and the procedure (the SOP) for explaining variances.

Detection (after every successful ingestion for the months it touched, and on demand):
1. For each month, skip it if it is closed (DetectionMonth); else gather the scopes with a budget line
   in the fiscal year's active budget version or a claimed owner (accounts, services, tag values, the
   owning teams and their business units; the organisation when it has a budget).
2. For each scope compute ScopeFigures from the fact tables (unblended cost in the budget's currency):
   actual to date, the month-end projection (Cost Explorer's forecast for the organisation where the
   source gives one, else our run rate), the budget, the prior month and the same month last year, and
   the daily series from 35 days before the month.
3. Resolve the scope's thresholds (scope, its business unit, the organisation, the built-in defaults)
   and run variance_rules.detect_variances.
4. Upsert each finding by its natural key: a new variance is opened, routed to its owner with a due
   date and its assignee is told; an existing one has its figures updated. Nothing is duplicated.
5. Once the month is complete and none of its days is estimated, its variances' figures are frozen and
   the month is closed: later runs leave it alone.

Procedure: open -> assigned (owner, due date) -> explained -> accepted (or sent back to assigned)
-> closed. Every change is a VarianceTransition in the same transaction as the change.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from audit.recording import acting_as_actor, update_audited
from costdata import permissions
from costdata.ingestion import windows
from costdata.models import (
    Budget,
    BudgetLine,
    CostForecast,
    DailyCost,
    DailyTagCost,
    DetectionMonth,
    Explanation,
    Holiday,
    MonthlyCost,
    Variance,
    VarianceThreshold,
    VarianceTransition,
)
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
from costdata.planning.services import fiscal_year_for
from costdata.variances import business_days
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
from outbox.services import email_enqueue
from stakeholders import scopes as ownership_scopes
from stakeholders.models import Group, Ownership, Stakeholder, Team
from stakeholders.selectors import cost_owner_for, ownership_index, stakeholder_for_user

logger = logging.getLogger(__name__)

DETECT_TASK_NAME = "costdata.detect_variances"
HISTORY_DAYS = 35  # days of daily figures before the month: the run rate's lookback and the spike window
ZERO = Decimal(0)
Status = Variance.Status
Action = VarianceTransition.Action


class TransitionRefused(ValidationError):
    """The procedure does not allow this step now; the message says why and what would."""


# --- detection ------------------------------------------------------------------------------------


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
        if team.parent_id:
            by_team[team.parent.name].add((account_id, service))
    units = {
        t.name: t.parent.name for t in Team.objects.filter(parent__isnull=False).select_related("parent")
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
    *, months: Iterable[date] | None = None, now: datetime | None = None, actor: Any = None
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


# --- routing ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    team: Team | None
    assignee: Stakeholder | None
    reason: str


def technology_leads(team: Team | None = None) -> list[Stakeholder]:
    """The team's technology leads, else its business unit's; without a team, the organisation's."""
    people = Stakeholder.objects.filter(active=True, group=Group.TECHNOLOGY).order_by("name", "pk")
    if team is None:
        return list(people)
    for candidate in (team, team.parent):
        if candidate is None:
            continue
        leads = list(people.filter(teams=candidate))
        if leads:
            return leads
    return []


def route_scope(scope: ScopeKey) -> Route:
    """Who answers for a scope: its claimed owner (stakeholders' precedence rules), else the
    organisation's technology leads."""
    match = None
    if scope.scope_type is ScopeType.ACCOUNT:
        match = cost_owner_for(account_id=scope.value)
    elif scope.scope_type is ScopeType.SERVICE:
        match = cost_owner_for(account_id="", service=scope.value)
    elif scope.scope_type is ScopeType.TAG:
        key, _, value = scope.value.partition("=")
        match = cost_owner_for(account_id="", tags={key: value})
    elif scope.scope_type in (ScopeType.TEAM, ScopeType.BUSINESS_UNIT):
        team = Team.objects.filter(name=scope.value).first()
        if team is not None:
            return Route(
                team, None, f"{team.get_kind_display().lower()} {team.name} answers for its own budget"
            )
    if match is not None:
        if match.owner_team is not None:
            return Route(match.owner_team, None, match.reason)
        return Route(None, match.owner_stakeholder, match.reason)
    leads = technology_leads()
    return Route(
        None,
        leads[0] if leads else None,
        "nobody owns this scope: routed to the organisation's technology leads",
    )


def organisation_holidays(*, start: date, end: date) -> set[date]:
    """The organisation's holidays (admin-edited Holiday rows) in [start, end)."""
    return set(Holiday.objects.filter(day__gte=start, day__lt=end).values_list("day", flat=True))


def _due_at(now: datetime) -> datetime:
    """End of the Nth business day after `now` in the organisation's time zone, skipping weekends and
    the organisation's holidays (a year ahead is read: far more than any run of holidays needs)."""
    count = int(getattr(settings, "VARIANCE_DUE_BUSINESS_DAYS", business_days.DEFAULT_BUSINESS_DAYS))
    local_day = timezone.localtime(now, ZoneInfo(settings.TIME_ZONE)).date()
    holidays = organisation_holidays(start=local_day, end=local_day + timedelta(days=366 + 7 * count))
    return business_days.due_at(now, tz=settings.TIME_ZONE, business_days=count, holidays=holidays)


def _deadline_start(variance_id: int) -> datetime | None:
    """When the current deadline started to run: the latest assignment, reassignment or send-back."""
    return (
        VarianceTransition.objects.filter(
            variance_id=variance_id, action__in=[Action.ASSIGN, Action.REASSIGN, Action.SEND_BACK]
        )
        .order_by("-at", "-pk")
        .values_list("at", flat=True)
        .first()
    )


def _transition(
    variance: Variance,
    action: str,
    *,
    actor: Any,
    from_status: str,
    comment: str = "",
    at: datetime | None = None,
) -> VarianceTransition:
    return VarianceTransition.objects.create(
        variance=variance,
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        at=at or timezone.now(),
        from_status=from_status,
        to_status=variance.status,
        comment=comment,
    )


def _save(variance: Variance, *names: str) -> None:
    variance.updated_at = timezone.now()
    variance.save(update_fields=[*names, "updated_at"])


@transaction.atomic
def variance_assign(*, variance: Variance, now: datetime | None = None) -> Variance:
    """open -> assigned to the scope's owner with a due date; the assignee is told by email."""
    now = now or timezone.now()
    if variance.status != Status.OPEN:
        raise TransitionRefused(
            f"Only an open variance is assigned; this one is {variance.get_status_display().lower()}."
        )
    route = route_scope(ScopeKey(ScopeType(variance.scope_type), variance.scope_value))
    variance.owner_team, variance.assignee, variance.routing_reason = route.team, route.assignee, route.reason
    variance.status, variance.due_at = Status.ASSIGNED, _due_at(now)
    _save(variance, "owner_team", "assignee", "routing_reason", "status", "due_at")
    who = route.team.name if route.team else (route.assignee.name if route.assignee else "nobody")
    _transition(
        variance,
        Action.ASSIGN,
        actor=None,
        from_status=Status.OPEN,
        comment=f"To {who}: {route.reason}",
        at=now,
    )
    _notify_on_commit(variance, "assigned")
    return variance


def _refuse(variance: Variance, allowed: Iterable[str], step: str) -> None:
    if variance.status not in allowed:
        names = " or ".join(Status(s).label.lower() for s in allowed)
        raise TransitionRefused(
            {
                "status": f"A variance is {step} only when {names}; this one is {variance.get_status_display().lower()}."
            }
        )


def _locked(variance: Variance) -> Variance:
    return Variance.objects.select_for_update().get(pk=variance.pk)


# An explanation's planned action becomes an action item of the programme. Meetings own action items and
# sit above costdata, so they register the function that makes one (MeetingsConfig.ready).
class ActionItemMaker(Protocol):
    def __call__(
        self,
        *,
        explanation: Explanation,
        title: str,
        owner: Stakeholder | None,
        due_on: date | None,
        description: str,
        created_by: Any,
    ) -> Any: ...


_action_item_makers: list[ActionItemMaker] = []


def register_action_item_maker(maker: ActionItemMaker) -> None:
    _action_item_makers[:] = [maker]


def _action_item_maker() -> ActionItemMaker:
    if not _action_item_makers:
        raise ImproperlyConfigured("No action item maker is registered (the meetings app is not installed).")
    return _action_item_makers[0]


@acting_as_actor
@transaction.atomic
def variance_explain(
    *,
    variance: Variance,
    actor: Any,
    category: str,
    narrative: str,
    expected_duration: str,
    planned_action: str = "",
    action_item_title: str = "",
    action_item_due_on: date | None = None,
) -> Explanation:
    """assigned -> explained. An optional action item is created for the author (meetings)."""
    variance = _locked(variance)
    if not permissions.may_explain_variance(actor, variance):
        raise PermissionDenied("Only engineers and leads of the owning team explain this variance.")
    _refuse(variance, [Status.ASSIGNED], "explained")
    errors = {}
    if category not in Explanation.Category.values:
        errors["category"] = f"Choose one of: {', '.join(Explanation.Category.values)}."
    if not narrative.strip():
        errors["narrative"] = "Say what happened and why."
    if expected_duration not in Explanation.Duration.values:
        errors["expected_duration"] = f"Choose one of: {', '.join(Explanation.Duration.values)}."
    if action_item_title.strip() and stakeholder_for_user(actor) is None:
        errors["action_item_title"] = "Only a stakeholder can own an action item; link your account first."
    if errors:
        raise ValidationError(errors)
    explanation = Explanation.objects.create(
        variance=variance,
        author=actor,
        category=category,
        narrative=narrative.strip(),
        expected_duration=expected_duration,
        planned_action=planned_action.strip(),
    )
    if action_item_title.strip():
        item = _action_item_maker()(
            explanation=explanation,
            title=action_item_title.strip(),
            owner=stakeholder_for_user(actor),
            due_on=action_item_due_on,
            description=f"Planned action for {variance}.\n\n{planned_action.strip()}",
            created_by=actor,
        )
        # What selectors annotate on a read (explanation_follow_ups), known here without one.
        explanation.action_item_id, explanation.action_item_title = item.pk, item.title
    variance.status = Status.EXPLAINED
    _save(variance, "status")
    _transition(
        variance,
        Action.EXPLAIN,
        actor=actor,
        from_status=Status.ASSIGNED,
        comment=explanation.get_category_display(),
    )
    return explanation


def _pending_explanation(variance: Variance) -> Explanation:
    explanation = (
        variance.explanations.filter(outcome=Explanation.Outcome.PENDING)
        .order_by("-created_at", "-pk")
        .first()
    )
    if explanation is None:  # pragma: no cover - an explained variance always has one
        raise TransitionRefused("This variance has no explanation awaiting review.")
    return explanation


@acting_as_actor
@transaction.atomic
def variance_accept(*, variance: Variance, actor: Any, comment: str = "") -> Variance:
    """explained -> accepted, by finance; never by the explanation's author."""
    variance = _locked(variance)
    if not permissions.may_review_variances(actor):
        raise PermissionDenied("Only finance accepts explanations.")
    _refuse(variance, [Status.EXPLAINED], "accepted")
    explanation = _pending_explanation(variance)
    if explanation.author_id is not None and explanation.author_id == actor.pk:
        raise TransitionRefused(
            {"actor": "You wrote this explanation: somebody else in finance must accept it."}
        )
    explanation.outcome = Explanation.Outcome.ACCEPTED
    explanation.reviewed_by, explanation.reviewed_at, explanation.review_comment = (
        actor,
        timezone.now(),
        comment.strip(),
    )
    explanation.save(update_fields=["outcome", "reviewed_by", "reviewed_at", "review_comment"])
    variance.status = Status.ACCEPTED
    _save(variance, "status")
    _transition(variance, Action.ACCEPT, actor=actor, from_status=Status.EXPLAINED, comment=comment.strip())
    return variance


@acting_as_actor
@transaction.atomic
def variance_send_back(*, variance: Variance, actor: Any, comment: str) -> Variance:
    """explained -> assigned again with a new due date and finance's question; the assignee is told."""
    variance = _locked(variance)
    if not permissions.may_review_variances(actor):
        raise PermissionDenied("Only finance sends explanations back.")
    _refuse(variance, [Status.EXPLAINED], "sent back")
    if not comment.strip():
        raise ValidationError({"comment": "Say what the explanation is missing."})
    explanation = _pending_explanation(variance)
    explanation.outcome = Explanation.Outcome.SENT_BACK
    explanation.reviewed_by, explanation.reviewed_at, explanation.review_comment = (
        actor,
        timezone.now(),
        comment.strip(),
    )
    explanation.save(update_fields=["outcome", "reviewed_by", "reviewed_at", "review_comment"])
    variance.status, variance.due_at, variance.escalated_at, variance.escalated_to = (
        Status.ASSIGNED,
        _due_at(timezone.now()),
        None,
        None,
    )
    _save(variance, "status", "due_at", "escalated_at", "escalated_to")
    _transition(
        variance, Action.SEND_BACK, actor=actor, from_status=Status.EXPLAINED, comment=comment.strip()
    )
    _notify_on_commit(variance, "sent_back")
    return variance


@acting_as_actor
@transaction.atomic
def variance_close(*, variance: Variance, actor: Any, comment: str = "") -> Variance:
    """accepted -> closed, by finance: nothing more to follow up."""
    variance = _locked(variance)
    if not permissions.may_review_variances(actor):
        raise PermissionDenied("Only finance closes variances.")
    _refuse(variance, [Status.ACCEPTED], "closed")
    variance.status = Status.CLOSED
    _save(variance, "status")
    _transition(variance, Action.CLOSE, actor=actor, from_status=Status.ACCEPTED, comment=comment.strip())
    return variance


@acting_as_actor
@transaction.atomic
def variance_reassign(
    *,
    variance: Variance,
    actor: Any,
    team: Team | None = None,
    assignee: Stakeholder | None = None,
    comment: str = "",
) -> Variance:
    """Hand an unexplained variance to another team or person; a new due date runs from now."""
    variance = _locked(variance)
    if not permissions.may_reassign_variance(actor, variance):
        raise PermissionDenied("Only technology leads of the owning team reassign this variance.")
    _refuse(variance, [Status.OPEN, Status.ASSIGNED], "reassigned")
    if team is None and assignee is None:
        raise ValidationError({"assignee": "Choose a team or a person to hand the variance to."})
    if assignee is not None and not assignee.active:
        raise ValidationError({"assignee": f"{assignee.name} is no longer active."})
    if team is not None and assignee is not None and not assignee.teams.filter(pk=team.pk).exists():
        raise ValidationError({"assignee": f"{assignee.name} is not a member of {team.name}."})
    previous = variance.status
    if team is not None:
        variance.owner_team = team
    variance.assignee = assignee
    variance.status, variance.due_at, variance.escalated_at, variance.escalated_to = (
        Status.ASSIGNED,
        _due_at(timezone.now()),
        None,
        None,
    )
    who = ", ".join(x for x in (team.name if team else "", assignee.name if assignee else "") if x)
    variance.routing_reason = f"reassigned to {who}"
    _save(
        variance,
        "owner_team",
        "assignee",
        "status",
        "due_at",
        "escalated_at",
        "escalated_to",
        "routing_reason",
    )
    text = f"To {who}" + (f": {comment.strip()}" if comment.strip() else "")
    _transition(variance, Action.REASSIGN, actor=actor, from_status=previous, comment=text)
    _notify_on_commit(variance, "assigned")
    return variance


def variances_escalate_overdue(*, now: datetime | None = None) -> list[int]:
    """Every assigned variance past its due date and not yet escalated goes to the team's technology
    lead (its business unit's, else the organisation's). Each is claimed by a conditional update, so
    two workers never escalate the same variance twice."""
    now = now or timezone.now()
    escalated = []
    candidates = Variance.objects.filter(status=Status.ASSIGNED, due_at__lte=now, escalated_at__isnull=True)
    for variance_id in candidates.values_list("pk", flat=True):
        # A holiday entered after the due date was set moves the deadline on (never earlier: removing
        # a holiday does not take days away from an owner).
        started = _deadline_start(variance_id)
        deadline = _due_at(started) if started is not None else None
        if deadline is not None and deadline > now:
            Variance.objects.filter(pk=variance_id, status=Status.ASSIGNED, due_at__lt=deadline).update(
                due_at=deadline, updated_at=now
            )
            continue
        with transaction.atomic():
            claimed = update_audited(
                Variance.objects.filter(pk=variance_id, status=Status.ASSIGNED, escalated_at__isnull=True),
                escalated_at=now,
                updated_at=now,
            )
            if claimed != 1:
                continue
            variance = Variance.objects.select_related("owner_team", "owner_team__parent").get(pk=variance_id)
            leads = [p for p in technology_leads(variance.owner_team) if p.pk != variance.assignee_id]
            leads = leads or technology_leads(None)
            variance.escalated_to = leads[0] if leads else None
            variance.save(update_fields=["escalated_to"])
            to = variance.escalated_to.name if variance.escalated_to else "nobody (no technology lead)"
            _transition(
                variance,
                Action.ESCALATE,
                actor=None,
                from_status=Status.ASSIGNED,
                comment=f"Due by the end of {variance.due_day:%d %b %Y}; escalated to {to}",
                at=now,
            )
            _notify_on_commit(variance, "escalated")
        escalated.append(variance_id)
    return escalated


@acting_as_actor
@transaction.atomic
def variance_comment(*, variance: Variance, actor: Any, comment: str) -> VarianceTransition:
    """A remark on the variance's timeline (its status stays): finance, leads, admins, and the owner of
    the business unit it belongs to."""
    if not permissions.may_comment_on_variance(actor, variance):
        raise PermissionDenied("Only finance, technology leads and the business unit's owner comment here.")
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": "Write the comment."})
    if len(comment) > 4000:
        raise ValidationError({"comment": "At most 4000 characters."})
    return _transition(variance, Action.COMMENT, actor=actor, from_status=variance.status, comment=comment)


# --- notifications ----------------------------------------------------------------------------------


def _site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _recipients(variance: Variance, event: str) -> list[str]:
    if event == "escalated":
        people = [variance.escalated_to] if variance.escalated_to else []
    elif variance.assignee is not None:
        people = [variance.assignee]
    elif variance.owner_team is not None:
        people = list(
            variance.owner_team.members.filter(active=True, group__in=[Group.ENGINEERING, Group.TECHNOLOGY])
        )
    else:
        people = technology_leads(None)
    return sorted({p.email for p in people if p is not None and p.email})


def _notify_on_commit(variance: Variance, event: str) -> None:
    transaction.on_commit(lambda: variance_notify(variance_id=variance.pk, event=event))


SUBJECTS = {
    "assigned": "Variance to explain: {variance}",
    "sent_back": "Explanation sent back: {variance}",
    "escalated": "Overdue variance escalated to you: {variance}",
}


def variance_notify(*, variance_id: int, event: str) -> int:
    """Email the people a procedure event concerns, with a link straight to the explanation form.
    Returns the number of deliveries queued (outbox)."""
    variance = (
        Variance.objects.select_related("owner_team", "assignee", "escalated_to")
        .filter(pk=variance_id)
        .first()
    )
    if variance is None or event not in SUBJECTS:
        return 0
    to = _recipients(variance, event)
    if not to:
        return 0
    last_review = variance.explanations.exclude(review_comment="").order_by("-reviewed_at").first()
    context = {
        "variance": variance,
        "event": event,
        "explain_url": _site_url(reverse("variance-explain", args=[variance.pk])),
        "variance_url": _site_url(variance.get_absolute_url()),
        "due": variance.due_day,
        "review": last_review,
    }
    email_enqueue(
        kind=f"variance_{event}",
        to=to,
        subject=SUBJECTS[event].format(variance=variance),
        text=render_to_string("costdata/email/variance_event.txt", context),
        reference=f"variance:{variance.pk}",
    )
    return 1


def variance_digest_send(*, now: datetime | None = None) -> int:
    """The daily digest for finance: explanations awaiting review and overdue variances. Nothing is
    sent on a day with nothing to review. Returns the number of deliveries queued (outbox)."""
    now = now or timezone.now()
    awaiting = list(
        Variance.objects.filter(status=Status.EXPLAINED).select_related("owner_team").order_by("month", "pk")
    )
    overdue = list(
        Variance.objects.filter(status__in=Variance.AWAITING_OWNER, due_at__lte=now)
        .select_related("owner_team", "assignee")
        .order_by("due_at")
    )
    if not awaiting and not overdue:
        return 0
    to = sorted(
        Stakeholder.objects.filter(active=True, group=Group.FINANCE)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not to:
        return 0
    context = {
        "awaiting": awaiting,
        "overdue": overdue,
        "list_url": _site_url(reverse("variance-list")),
        "site_url": settings.SITE_URL.rstrip("/"),
    }
    email_enqueue(
        kind="variance_digest",
        to=to,
        subject=f"Variances: {len(awaiting)} awaiting review, {len(overdue)} overdue",
        text=render_to_string("costdata/email/variance_digest.txt", context),
        reference=f"variance-digest:{timezone.localdate(now).isoformat()}",
    )
    return 1


def scope_month_actual(*, scope: ScopeKey, month: date, currency: str) -> Decimal | None:
    """A scope's cost for a whole month (None when the source holds no day of it): budgets start here."""
    month = first_of_month(month)
    found = _fact_filter(scope, _routing(month))
    if found is None:
        return None
    model, condition = found
    return _sum(model, condition, currency, month, month_end(month))
