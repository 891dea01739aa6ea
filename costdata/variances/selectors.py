"""Reads for budgets, forecasts and variances: the pages and the API go through these."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import django_filters
from django.db.models import Case, Count, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Abs
from django.utils import timezone

from costdata.planning.forecasting import Projection, first_of_month
from costdata.planning.models import Budget, BudgetLine, BudgetVersion, ScopeType
from costdata.planning.spreadsheets import csv_cell
from costdata.variances.models import Explanation, Variance, VarianceTransition
from stakeholders.models import Stakeholder, Team


def _month(value: str) -> date | None:
    try:
        year, month = value.split("-")[:2]
        return date(int(year), int(month), 1)
    except (ValueError, AttributeError):
        return None


class VarianceFilter(django_filters.FilterSet):
    # No joins behind these, so no DISTINCT (which would compare every column of every row).
    status = django_filters.MultipleChoiceFilter(choices=Variance.Status.choices, distinct=False)
    kind = django_filters.MultipleChoiceFilter(choices=Variance.Kind.choices, distinct=False)
    scope_type = django_filters.ChoiceFilter(choices=ScopeType.choices)
    scope_value = django_filters.CharFilter()
    owner = django_filters.ModelChoiceFilter(
        field_name="owner_team", queryset=Team.objects.all(), label="Owning team"
    )
    assignee = django_filters.ModelChoiceFilter(queryset=Stakeholder.objects.all())
    month = django_filters.CharFilter(method="filter_month", label="Month (YYYY-MM)")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Overdue")

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


# Follow-ups other layers keep about an explanation (meetings: the action item made from its planned
# action), added to every read of explanations as annotations those layers register; costdata does not
# import them. Each registered function returns {attribute: expression over the explanation's row}.
_explanation_follow_ups: list[Callable[[], dict[str, Any]]] = []


def register_explanation_follow_ups(follow_ups: Callable[[], dict[str, Any]]) -> None:
    if follow_ups not in _explanation_follow_ups:
        _explanation_follow_ups.append(follow_ups)


def explanation_follow_ups(queryset: QuerySet[Explanation]) -> QuerySet[Explanation]:
    for follow_ups in _explanation_follow_ups:
        queryset = queryset.annotate(**follow_ups())
    return queryset


def variance_detail(*, pk: int) -> Variance:
    return (
        Variance.objects.select_related("owner_team", "owner_team__parent", "assignee", "escalated_to")
        .prefetch_related(
            Prefetch(
                "explanations",
                queryset=explanation_follow_ups(Explanation.objects.select_related("author", "reviewed_by")),
            ),
            Prefetch(
                "transitions",
                queryset=VarianceTransition.objects.select_related("actor").order_by("at", "pk"),
            ),
        )
        .get(pk=pk)
    )


def variance_status_counts(*, queryset: QuerySet[Variance] | None = None) -> dict[str, int]:
    queryset = Variance.objects.all() if queryset is None else queryset
    counts = dict(
        queryset.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in Variance.Status.values}


# --- the variance list: a paged work queue ----------------------------------------------------------

# The orders the list offers (`?sort=`): a name, or the name with a leading "-" for the other direction.
# "queue" (the default) is the work queue's order and has no reverse.
VARIANCE_SORTS: dict[str, str] = {
    "queue": "Work queue: overdue first, then by due date",
    "due": "Due date",
    "month": "Month",
    "amount": "Size of the difference",
    "status": "Stage of the procedure",
}
DEFAULT_VARIANCE_SORT = "queue"

# The procedure's order, for sorting by status (alphabetical order would put "accepted" first).
_STATUS_ORDER = [
    Variance.Status.OPEN,
    Variance.Status.ASSIGNED,
    Variance.Status.EXPLAINED,
    Variance.Status.ACCEPTED,
    Variance.Status.CLOSED,
]
_DONE = (Variance.Status.ACCEPTED, Variance.Status.CLOSED)


def variance_sort_valid(sort: str) -> bool:
    name = sort.removeprefix("-")
    return name in VARIANCE_SORTS and not (sort.startswith("-") and name == DEFAULT_VARIANCE_SORT)


def overdue_q(*, now: Any) -> Q:
    """Variances past their due date still waiting for their owner (the rule of Variance.is_overdue)."""
    return Q(status__in=Variance.AWAITING_OWNER, due_at__lte=now)


def variance_sorted(queryset: QuerySet[Variance], *, sort: str, now: Any = None) -> QuerySet[Variance]:
    """The variances in the order `sort` names (see VARIANCE_SORTS); every order ends with the primary
    key, so pages never overlap or skip a row. Variances without a due date come last either way.

    The work queue ("queue"): overdue first, then those still in the procedure (open, assigned,
    explained), then the finished ones (accepted, closed); within each, the earliest due date first,
    then the newest month."""
    if not variance_sort_valid(sort):
        raise ValueError(f"Unknown order {sort!r}.")
    now = timezone.now() if now is None else now
    descending = sort.startswith("-")
    name = sort.removeprefix("-")

    def by(field: str) -> Any:
        return F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)

    due_last = F("due_at").asc(nulls_last=True)
    if name == "queue":
        queryset = queryset.annotate(
            queue_rank=Case(
                When(overdue_q(now=now), then=Value(0)),
                When(status__in=_DONE, then=Value(2)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        return queryset.order_by("queue_rank", due_last, "-month", "pk")
    if name == "due":
        return queryset.order_by(by("due_at"), "-month", "pk")
    if name == "month":
        return queryset.order_by(by("month"), due_last, "pk")
    if name == "amount":
        return queryset.annotate(size=Abs("difference")).order_by(by("size"), due_last, "pk")
    # status
    queryset = queryset.annotate(
        stage=Case(
            *(When(status=status, then=Value(index)) for index, status in enumerate(_STATUS_ORDER)),
            default=Value(len(_STATUS_ORDER)),
            output_field=IntegerField(),
        )
    )
    return queryset.order_by(by("stage"), due_last, "-month", "pk")


@dataclass(frozen=True)
class StatusFacets:
    """How many variances each status tab holds, and how many are overdue, under the other filters."""

    counts: dict[str, int]
    overdue: int
    total: int

    def total_for(self, statuses: list[str] | tuple[str, ...] | None) -> int:
        """The number of variances a status filter leaves (all of them when none is chosen)."""
        if not statuses:
            return self.total
        return sum(self.counts.get(status, 0) for status in set(statuses))


def variance_status_facets(queryset: QuerySet[Variance], *, now: Any = None) -> StatusFacets:
    """Counts per status, overdue and in all, in one aggregate query over `queryset` (the viewer's
    visible variances under every filter but the status: the numbers on the tabs a user clicks)."""
    now = timezone.now() if now is None else now
    aggregates = {f"n_{status}": Count("pk", filter=Q(status=status)) for status in Variance.Status.values}
    row = queryset.order_by().aggregate(
        **aggregates, n_overdue=Count("pk", filter=overdue_q(now=now)), n_total=Count("pk")
    )
    return StatusFacets(
        counts={status: row[f"n_{status}"] or 0 for status in Variance.Status.values},
        overdue=row["n_overdue"] or 0,
        total=row["n_total"] or 0,
    )


@dataclass(frozen=True)
class PageWindow:
    """One numbered page of a list of `total` rows, `size` a page (pure arithmetic, no queries)."""

    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def first(self) -> int:
        """1-based position of the page's first row (0 when the list is empty)."""
        return self.offset + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.offset + self.size, self.total)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    def numbers(self, *, around: int = 2) -> list[int | None]:
        """Page numbers to offer: the first, the last and `around` either side of this one; None
        marks a gap."""
        wanted = {1, self.pages, *range(self.number - around, self.number + around + 1)}
        shown = sorted(n for n in wanted if 1 <= n <= self.pages)
        result: list[int | None] = []
        for n in shown:
            if result and n - result[-1] > 1:  # type: ignore[operator]
                result.append(None)
            result.append(n)
        return result


def page_window(*, total: int, page: int, size: int) -> PageWindow:
    """The page `page` of `total` rows; a page past the end is the last page (lists shrink as
    variances close, and a shared link to page 4 should still show the end of the list)."""
    if size < 1 or page < 1:
        raise ValueError("page and size start at 1.")
    pages = max(1, -(-total // size))
    return PageWindow(number=min(page, pages), size=size, total=total)


VARIANCE_CSV_COLUMNS = [
    "id",
    "link",
    "kind",
    "scope_type",
    "scope_value",
    "month",
    "day",
    "currency",
    *Variance.FIGURE_FIELDS,
    "status",
    "overdue",
    "owner_team",
    "assignee",
    "escalated_to",
    "due_day",
    "detected_at",
    "last_detected_at",
    "figures_final",
]


def _money(value: Decimal | None) -> Decimal | None:
    """Money for a spreadsheet: at least cents, no trailing zeros beyond them (stored with 12 places)."""
    if value is None:
        return None
    normalised = value.normalize()
    exponent = normalised.as_tuple().exponent
    return value.quantize(Decimal("0.01")) if isinstance(exponent, int) and exponent >= -2 else normalised


def _figure(name: str, value: Decimal | None) -> Decimal | None:
    if name == "percent":
        return None if value is None else value.normalize()
    return _money(value)


def variance_csv_rows(
    queryset: QuerySet[Variance], *, link: Any, chunk_size: int = 1000
) -> Iterator[list[str]]:
    """The header and one row per variance of `queryset` (already filtered, visible and sorted), as
    spreadsheet-safe cells (costdata.planning.spreadsheets.csv_cell). Months are YYYY-MM, money plain digits,
    times ISO 8601 in the organisation's time zone. `link(variance)` gives the variance page's URL.
    Rows are read in chunks, so a long list never sits in memory whole."""
    yield list(VARIANCE_CSV_COLUMNS)
    rows = queryset.select_related("owner_team", "assignee", "escalated_to")
    for v in rows.iterator(chunk_size=chunk_size):
        values = [
            v.pk,
            link(v),
            v.kind,
            v.scope_type,
            v.scope_value,
            f"{v.month:%Y-%m}",
            v.day,
            v.currency,
            *(_figure(name, getattr(v, name)) for name in Variance.FIGURE_FIELDS),
            v.status,
            v.is_overdue,
            v.owner_team.name if v.owner_team else None,
            v.assignee.name if v.assignee else None,
            v.escalated_to.name if v.escalated_to else None,
            v.due_day,
            timezone.localtime(v.detected_at),
            timezone.localtime(v.last_detected_at),
            v.figures_final,
        ]
        yield [csv_cell(value) for value in values]


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
    from costdata.planning.services import fiscal_year_for
    from costdata.variances.rules import ScopeKey
    from costdata.variances.rules import ScopeType as RuleScope
    from costdata.variances.services.detection import _budget_lines, _currency, data_through, scope_projection

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
    from costdata.variances.models import Holiday

    return set(Holiday.objects.filter(day__gte=start, day__lt=end).values_list("day", flat=True))


def timeline_holidays(*, since: date, today: date) -> set[date]:
    """The holidays variance_timelines counts due dates with (a superset of what health_rows needs)."""
    from datetime import timedelta

    return holiday_days(start=since - timedelta(days=400), end=today + timedelta(days=400))


def variance_timelines(
    *,
    since: date,
    team_ids: set[int] | None = None,
    scope: tuple[str, str] | None = None,
    within: QuerySet[Variance] | None = None,
    holidays: set[date] | None = None,
):
    """Each variance's procedure dates as programme_health.VarianceTimeline, for the variances that
    fell due, were explained or accepted since `since`, or still await their owner.

    The due day judged is the one in force when the first explanation was filed: counted from the
    last assignment before it (a send-back sets a new one afterwards, which does not make the first
    explanation late). Days are local to the organisation's time zone; holidays count as in due dates.
    `within` (e.g. the variances a user may see) narrows the variances read; `holidays` (from
    timeline_holidays) saves reading them again when the caller already has them.
    """
    from datetime import datetime, time, timedelta

    from django.conf import settings

    from costdata.variances import business_days
    from costdata.variances.programme_health import NO_TEAM, VarianceTimeline

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
    count = int(getattr(settings, "VARIANCE_DUE_BUSINESS_DAYS", business_days.DEFAULT_BUSINESS_DAYS))
    today = timezone.localdate()
    if holidays is None:
        holidays = timeline_holidays(since=since, today=today)

    def local(value: Any) -> date:
        return timezone.localtime(value, zone).date()

    # Plain tuples, three queries: with thousands of variances, building model instances and their
    # prefetched transitions and explanations cost most of a dashboard's time.
    variances = list(queryset.values_list("pk", "owner_team__name", "due_at", "status").order_by("pk"))
    # The same variances as a subquery: thousands of ids as parameters cost Django more than the query.
    ids = queryset.order_by().values("pk")
    transitions_of: dict[int, list[tuple[str, Any]]] = {}
    for variance_id, action, at in (
        VarianceTransition.objects.filter(variance_id__in=ids)
        .order_by("at", "pk")
        .values_list("variance_id", "action", "at")
    ):
        transitions_of.setdefault(variance_id, []).append((action, at))
    explanations_of: dict[int, list[tuple[Any, str]]] = {}
    for variance_id, created_at, outcome in (
        Explanation.objects.filter(variance_id__in=ids)
        .order_by("created_at", "pk")
        .values_list("variance_id", "created_at", "outcome")
    ):
        explanations_of.setdefault(variance_id, []).append((created_at, outcome))

    one_microsecond = timedelta(microseconds=1)
    timelines = []
    for pk, team_name, due_at, status in variances:
        transitions = transitions_of.get(pk, [])
        explanations = explanations_of.get(pk, [])
        assigned = next(
            (at for action, at in transitions if action == VarianceTransition.Action.ASSIGN), None
        )
        first_explained = explanations[0][0] if explanations else None
        # Variance.due_day: the local business day by whose end the explanation is due.
        due_on = timezone.localtime(due_at - one_microsecond).date() if due_at is not None else None
        if first_explained is not None:
            starts = [
                at
                for action, at in transitions
                if action in (VarianceTransition.Action.ASSIGN, VarianceTransition.Action.REASSIGN)
                and at <= first_explained
            ]
            due_on = (
                business_days.due_date(starts[-1], tz=zone, business_days=count, holidays=holidays)
                if starts
                else None
            )
        accepted = next(
            (at for action, at in transitions if action == VarianceTransition.Action.ACCEPT), None
        )
        accepted_explanation = next(
            (created_at for created_at, outcome in explanations if outcome == Explanation.Outcome.ACCEPTED),
            None,
        )
        timelines.append(
            VarianceTimeline(
                team=team_name or NO_TEAM,
                assigned_on=local(assigned) if assigned else None,
                due_on=due_on,
                explained_on=local(first_explained) if first_explained else None,
                accepted_on=local(accepted) if accepted else None,
                accepted_explanation_on=local(accepted_explanation) if accepted_explanation else None,
                awaiting_owner=status in Variance.AWAITING_OWNER,
            )
        )
    return timelines


@dataclass(frozen=True)
class TimelineEntry:
    at: Any
    kind: str  # "transition", or the kind a registered source adds ("decision" from meetings)
    transition: VarianceTransition | None = None
    decision: Any = None  # a meeting's decision, from the meetings app's timeline source


# Other layers add their entries to a variance's timeline (meetings: its decisions) through this registry;
# costdata does not import them.
_timeline_sources: list[Callable[[Variance], list[TimelineEntry]]] = []


def register_timeline_source(source: Callable[[Variance], list[TimelineEntry]]) -> None:
    if source not in _timeline_sources:
        _timeline_sources.append(source)


def variance_timeline(*, variance: Variance) -> list[TimelineEntry]:
    """The variance page's timeline: the procedure's transitions and the registered sources' entries
    (the meetings' decisions), by time; a transition comes before another entry at the same moment."""
    entries = [TimelineEntry(t.at, "transition", transition=t) for t in variance.transitions.all()]
    for source in _timeline_sources:
        entries += source(variance)
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
