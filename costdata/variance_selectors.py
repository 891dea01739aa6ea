"""Reads for budgets, forecasts and variances: the pages and the API go through these."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import django_filters
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from costdata.forecasting import Projection, first_of_month
from costdata.models import (
    Budget,
    BudgetLine,
    BudgetVersion,
    Explanation,
    ScopeType,
    Variance,
    VarianceTransition,
)
from stakeholders.models import Stakeholder, Team


def _month(value: str) -> date | None:
    try:
        year, month = value.split("-")[:2]
        return date(int(year), int(month), 1)
    except (ValueError, AttributeError):
        return None


class VarianceFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Variance.Status.choices)
    kind = django_filters.MultipleChoiceFilter(choices=Variance.Kind.choices)
    scope_type = django_filters.ChoiceFilter(choices=ScopeType.choices)
    scope_value = django_filters.CharFilter()
    owner = django_filters.ModelChoiceFilter(
        field_name="owner_team", queryset=Team.objects.all(), label="Owning team"
    )
    assignee = django_filters.ModelChoiceFilter(queryset=Stakeholder.objects.all())
    month = django_filters.CharFilter(method="filter_month", label="Month (YYYY-MM)")
    overdue = django_filters.BooleanFilter(method="filter_overdue")

    class Meta:
        model = Variance
        fields = ["status", "kind", "scope_type", "scope_value", "owner", "assignee", "month", "overdue"]

    def filter_month(self, queryset: QuerySet[Variance], name: str, value: str) -> QuerySet[Variance]:
        month = _month(value)
        if month is None:
            return queryset.none()
        return queryset.filter(month=month)

    def filter_overdue(
        self, queryset: QuerySet[Variance], name: str, value: bool | None
    ) -> QuerySet[Variance]:
        if value is None:
            return queryset
        overdue = Q(status__in=Variance.AWAITING_OWNER, due_at__lte=timezone.now())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


def variance_list(*, filters: Mapping[str, Any] | None = None) -> QuerySet[Variance]:
    queryset = Variance.objects.select_related("owner_team", "assignee", "escalated_to").order_by(
        "-month", "due_at", "pk"
    )
    if filters is not None:
        queryset = VarianceFilter(filters, queryset=queryset).qs
    return queryset


def variance_detail(*, pk: int) -> Variance:
    return (
        Variance.objects.select_related("owner_team", "owner_team__parent", "assignee", "escalated_to")
        .prefetch_related(
            Prefetch(
                "explanations",
                queryset=Explanation.objects.select_related("author", "reviewed_by", "action_item"),
            ),
            Prefetch(
                "transitions",
                queryset=VarianceTransition.objects.select_related("actor").order_by("at", "pk"),
            ),
            "decision_links__decision__meeting",
        )
        .get(pk=pk)
    )


def variance_status_counts(*, queryset: QuerySet[Variance] | None = None) -> dict[str, int]:
    queryset = Variance.objects.all() if queryset is None else queryset
    counts = dict(
        queryset.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in Variance.Status.values}


def budget_list() -> QuerySet[Budget]:
    return Budget.objects.select_related("active_version").prefetch_related(
        Prefetch(
            "versions", queryset=BudgetVersion.objects.annotate(line_count=Count("lines")).order_by("number")
        )
    )


def budget_version_detail(*, pk: int) -> BudgetVersion:
    return BudgetVersion.objects.select_related("budget", "locked_by", "created_by").get(pk=pk)


def budget_version_effective(version: BudgetVersion) -> bool:
    """Is this the version variances are judged against?"""
    budget = version.budget
    if budget.active_version_id:
        return budget.active_version_id == version.pk
    return not budget.versions.filter(number__gt=version.number).exists()


@dataclass(frozen=True)
class ScopeLines:
    scope_type: str
    scope_value: str
    months: list[Decimal | None]
    total: Decimal


def budget_version_grid(
    version: BudgetVersion, months: list[date], *, lines: QuerySet[BudgetLine] | None = None
) -> list[ScopeLines]:
    """One row per scope, one column per fiscal month: the layout finance reads a budget in.
    `lines` narrows the grid to the lines the reader may see."""
    cells: dict[tuple[str, str], dict[date, Decimal]] = {}
    lines = BudgetLine.objects.all() if lines is None else lines
    for line in lines.filter(version=version).order_by("scope_type", "scope_value", "month"):
        cells.setdefault((line.scope_type, line.scope_value), {})[line.month] = line.amount
    rows = []
    for (scope_type, scope_value), by_month in cells.items():
        values = [by_month.get(m) for m in months]
        rows.append(
            ScopeLines(scope_type, scope_value, values, sum((v for v in values if v is not None), Decimal(0)))
        )
    return rows


@dataclass(frozen=True)
class ScopeForecast:
    scope_type: str
    scope_value: str
    month: date
    currency: str
    data_through: date
    projection: Projection
    budget: Decimal | None


def scope_forecast(*, scope_type: str, scope_value: str, month: date) -> ScopeForecast | None:
    """Month-end projection (Cost Explorer's forecast for the organisation where a source gives one,
    else the run rate of docs/variance-method.md) with its range, and the active budget if any."""
    from costdata.services.budgets import fiscal_year_for
    from costdata.services.variances import _budget_lines, _currency, data_through, scope_projection
    from costdata.variance_rules import ScopeKey
    from costdata.variance_rules import ScopeType as RuleScope

    through = data_through()
    if through is None:
        return None
    month = first_of_month(month)
    scope = ScopeKey(RuleScope(scope_type), scope_value)
    budget = Budget.objects.filter(fiscal_year=fiscal_year_for(month)).first()
    currency = budget.currency if budget else _currency()
    result = scope_projection(scope=scope, month=month, through=through, currency=currency)
    if result is None:
        return None
    return ScopeForecast(
        scope_type=scope_type,
        scope_value=scope_value,
        month=month,
        currency=currency,
        data_through=through,
        projection=result[0],
        budget=_budget_lines(budget, month).get(scope),
    )


@dataclass(frozen=True)
class ScopeComparison:
    scope_type: str
    scope_value: str
    this: Decimal
    other: Decimal

    @property
    def difference(self) -> Decimal:
        return self.this - self.other


def budget_version_comparison(
    version: BudgetVersion, other: BudgetVersion, *, lines: QuerySet[BudgetLine] | None = None
) -> list[ScopeComparison]:
    """Each scope's fiscal-year total in two versions of the same budget (locked ones stay comparable)."""
    totals: dict[tuple[str, str], list[Decimal]] = {}
    lines = BudgetLine.objects.all() if lines is None else lines
    for index, each in enumerate((version, other)):
        for line in lines.filter(version=each):
            pair = totals.setdefault((line.scope_type, line.scope_value), [Decimal(0), Decimal(0)])
            pair[index] += line.amount
    return [ScopeComparison(t, v, pair[0], pair[1]) for (t, v), pair in sorted(totals.items())]


# --- programme health -------------------------------------------------------------------------------


def holiday_days(*, start: date, end: date) -> set[date]:
    """The organisation's holidays in [start, end)."""
    from costdata.models import Holiday

    return set(Holiday.objects.filter(day__gte=start, day__lt=end).values_list("day", flat=True))


def variance_timelines(
    *,
    since: date,
    team_ids: set[int] | None = None,
    scope: tuple[str, str] | None = None,
    within: QuerySet[Variance] | None = None,
):
    """Each variance's procedure dates as programme_health.VarianceTimeline, for the variances that
    fell due, were explained or accepted since `since`, or still await their owner.

    The due day judged is the one in force when the first explanation was filed: counted from the
    last assignment before it (a send-back sets a new one afterwards, which does not make the first
    explanation late). Days are local to the organisation's time zone; holidays count as in due dates.
    `within` (e.g. the variances a user may see) narrows the variances read.
    """
    from datetime import datetime, time, timedelta

    from django.conf import settings

    from costdata import business_days
    from costdata.programme_health import NO_TEAM, VarianceTimeline

    zone = timezone.get_default_timezone()
    since_at = timezone.make_aware(datetime.combine(since, time(0)), zone)
    queryset = Variance.objects.filter(
        Q(due_at__gte=since_at)
        | Q(status__in=Variance.AWAITING_OWNER)
        | Q(transitions__at__gte=since_at, transitions__action__in=["explain", "accept"])
    ).distinct()
    if team_ids is not None:
        queryset = queryset.filter(owner_team_id__in=sorted(team_ids))
    if scope is not None:
        queryset = queryset.filter(scope_type=scope[0], scope_value=scope[1])
    if within is not None:
        queryset = queryset.filter(pk__in=within.values("pk"))
    queryset = queryset.select_related("owner_team").prefetch_related(
        Prefetch("transitions", queryset=VarianceTransition.objects.order_by("at", "pk")),
        Prefetch("explanations", queryset=Explanation.objects.order_by("created_at", "pk")),
    )
    count = int(getattr(settings, "VARIANCE_DUE_BUSINESS_DAYS", business_days.DEFAULT_BUSINESS_DAYS))
    today = timezone.localdate()
    holidays = holiday_days(start=since - timedelta(days=400), end=today + timedelta(days=400))

    def local(value: Any) -> date:
        return timezone.localtime(value, zone).date()

    timelines = []
    for variance in queryset:
        transitions = list(variance.transitions.all())
        explanations = list(variance.explanations.all())
        assigned = next((t.at for t in transitions if t.action == VarianceTransition.Action.ASSIGN), None)
        first_explained = explanations[0].created_at if explanations else None
        due_on = variance.due_day
        if first_explained is not None:
            starts = [
                t.at
                for t in transitions
                if t.action in (VarianceTransition.Action.ASSIGN, VarianceTransition.Action.REASSIGN)
                and t.at <= first_explained
            ]
            due_on = (
                business_days.due_date(starts[-1], tz=zone, business_days=count, holidays=holidays)
                if starts
                else None
            )
        accepted = next((t.at for t in transitions if t.action == VarianceTransition.Action.ACCEPT), None)
        accepted_explanation = next(
            (e.created_at for e in explanations if e.outcome == Explanation.Outcome.ACCEPTED), None
        )
        timelines.append(
            VarianceTimeline(
                team=variance.owner_team.name if variance.owner_team else NO_TEAM,
                assigned_on=local(assigned) if assigned else None,
                due_on=due_on,
                explained_on=local(first_explained) if first_explained else None,
                accepted_on=local(accepted) if accepted else None,
                accepted_explanation_on=local(accepted_explanation) if accepted_explanation else None,
                awaiting_owner=variance.status in Variance.AWAITING_OWNER,
            )
        )
    return timelines


@dataclass(frozen=True)
class TimelineEntry:
    at: Any
    kind: str  # "transition" or "decision"
    transition: VarianceTransition | None = None
    decision: Any = None  # meetings.Decision, through VarianceDecision


def variance_timeline(*, variance: Variance) -> list[TimelineEntry]:
    """The variance page's timeline: the procedure's transitions and the meetings' decisions, by time."""
    from costdata.models import VarianceDecision

    entries = [TimelineEntry(t.at, "transition", transition=t) for t in variance.transitions.all()]
    links = VarianceDecision.objects.filter(variance=variance).select_related(
        "decision", "decision__meeting", "decision__recorded_by"
    )
    entries += [TimelineEntry(link.decision.created_at, "decision", decision=link.decision) for link in links]
    return sorted(entries, key=lambda e: (e.at, 0 if e.kind == "transition" else 1))


def variances_for_meeting_decision(*, meeting: Any, limit: int = 200) -> list[Variance]:
    """The variances a meeting may decide about: those on its agenda first, then every one not closed
    (newest month first)."""
    # The variance agenda providers key their items "<provider>:<variance id>" (agenda_providers).
    prefixes = ("variances", "overdue-variances")
    on_agenda = [
        int(ref)
        for source, _, ref in (
            key.partition(":") for key in meeting.agenda_items.values_list("key", flat=True)
        )
        if source in prefixes and ref.isdigit()
    ]
    agenda = list(Variance.objects.filter(pk__in=on_agenda).order_by("-month", "pk"))
    rest = list(
        Variance.objects.exclude(status=Variance.Status.CLOSED)
        .exclude(pk__in=on_agenda)
        .order_by("-month", "due_at", "pk")[:limit]
    )
    return agenda + rest
