"""The procedure's dates of each variance, the records costdata.variances.programme_health measures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from costdata.variances import business_days
from costdata.variances.models import Explanation, Holiday, Variance, VarianceTransition
from costdata.variances.programme_health import NO_TEAM, VarianceTimeline

# (action, at) of a variance's transitions and (created_at, outcome) of its explanations, oldest first.
_Transitions = list[tuple[str, datetime]]
_Explanations = list[tuple[datetime, str]]
_ONE_MICROSECOND = timedelta(microseconds=1)


def holiday_days(*, start: date, end: date) -> set[date]:
    """The organisation's holidays in [start, end)."""
    return set(Holiday.objects.filter(day__gte=start, day__lt=end).values_list("day", flat=True))


def timeline_holidays(*, since: date, today: date) -> set[date]:
    """The holidays variance_timelines counts due dates with (a superset of what health_rows needs)."""
    return holiday_days(start=since - timedelta(days=400), end=today + timedelta(days=400))


def variance_timelines(
    *,
    since: date,
    team_ids: set[int] | None = None,
    scope: tuple[str, str] | None = None,
    within: QuerySet[Variance] | None = None,
    holidays: set[date] | None = None,
) -> list[VarianceTimeline]:
    """Each variance's procedure dates as programme_health.VarianceTimeline, for the variances that
    fell due, were explained or accepted since `since`, or still await their owner.

    The due day judged is the one in force when the first explanation was filed: counted from the
    last assignment before it (a send-back sets a new one afterwards, which does not make the first
    explanation late). Days are local to the organisation's time zone; holidays count as in due dates.
    `within` (e.g. the variances a user may see) narrows the variances read; `holidays` (from
    timeline_holidays) saves reading them again when the caller already has them.
    """
    zone = timezone.get_default_timezone()
    queryset = _timeline_variances(since=since, zone=zone, team_ids=team_ids, scope=scope, within=within)
    count = int(getattr(settings, "VARIANCE_DUE_BUSINESS_DAYS", business_days.DEFAULT_BUSINESS_DAYS))
    if holidays is None:
        holidays = timeline_holidays(since=since, today=timezone.localdate())
    known_holidays = holidays

    def due_day(assigned_at: datetime) -> date:
        return business_days.due_date(assigned_at, tz=zone, business_days=count, holidays=known_holidays)

    # Plain tuples, three queries: with thousands of variances, building model instances and their
    # prefetched transitions and explanations cost most of a dashboard's time.
    variances = list(queryset.values_list("pk", "owner_team__name", "due_at", "status").order_by("pk"))
    transitions_of = _transitions_by_variance(queryset)
    explanations_of = _explanations_by_variance(queryset)
    return [
        _timeline(
            team_name=team_name,
            due_at=due_at,
            status=status,
            transitions=transitions_of.get(pk, []),
            explanations=explanations_of.get(pk, []),
            zone=zone,
            due_day=due_day,
        )
        for pk, team_name, due_at, status in variances
    ]


def _timeline_variances(
    *,
    since: date,
    zone: ZoneInfo,
    team_ids: set[int] | None,
    scope: tuple[str, str] | None,
    within: QuerySet[Variance] | None,
) -> QuerySet[Variance]:
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
    return queryset


def _transitions_by_variance(variances: QuerySet[Variance]) -> dict[int, _Transitions]:
    transitions_of: dict[int, _Transitions] = {}
    for variance_id, action, at in (
        # The variances as a subquery: thousands of ids as parameters cost Django more than the query.
        VarianceTransition.objects.filter(variance_id__in=variances.order_by().values("pk"))
        .order_by("at", "pk")
        .values_list("variance_id", "action", "at")
    ):
        transitions_of.setdefault(variance_id, []).append((action, at))
    return transitions_of


def _explanations_by_variance(variances: QuerySet[Variance]) -> dict[int, _Explanations]:
    explanations_of: dict[int, _Explanations] = {}
    for variance_id, created_at, outcome in (
        Explanation.objects.filter(variance_id__in=variances.order_by().values("pk"))
        .order_by("created_at", "pk")
        .values_list("variance_id", "created_at", "outcome")
    ):
        explanations_of.setdefault(variance_id, []).append((created_at, outcome))
    return explanations_of


def _timeline(
    *,
    team_name: str | None,
    due_at: datetime | None,
    status: str,
    transitions: _Transitions,
    explanations: _Explanations,
    zone: ZoneInfo,
    due_day: Callable[[datetime], date],
) -> VarianceTimeline:
    def local(value: datetime | None) -> date | None:
        return timezone.localtime(value, zone).date() if value else None

    def first(action: str) -> datetime | None:
        return next((at for each, at in transitions if each == action), None)

    first_explained = explanations[0][0] if explanations else None
    accepted_explanation = next(
        (created_at for created_at, outcome in explanations if outcome == Explanation.Outcome.ACCEPTED),
        None,
    )
    return VarianceTimeline(
        team=team_name or NO_TEAM,
        assigned_on=local(first(VarianceTransition.Action.ASSIGN)),
        due_on=_judged_due_day(due_at, transitions, first_explained=first_explained, due_day=due_day),
        explained_on=local(first_explained),
        accepted_on=local(first(VarianceTransition.Action.ACCEPT)),
        accepted_explanation_on=local(accepted_explanation),
        awaiting_owner=status in Variance.AWAITING_OWNER,
    )


def _judged_due_day(
    due_at: datetime | None,
    transitions: _Transitions,
    *,
    first_explained: datetime | None,
    due_day: Callable[[datetime], date],
) -> date | None:
    """The due day in force when the first explanation was filed (Variance.due_day, the local business
    day by whose end the explanation is due, while none has been)."""
    if first_explained is None:
        return timezone.localtime(due_at - _ONE_MICROSECOND).date() if due_at is not None else None
    starts = [
        at
        for action, at in transitions
        if action in (VarianceTransition.Action.ASSIGN, VarianceTransition.Action.REASSIGN)
        and at <= first_explained
    ]
    return due_day(starts[-1]) if starts else None
