"""Programme health: the partnership measuring itself. Pure functions over plain records, no Django.

Measures, by calendar month (the organisation's time zone decides which day an event fell on):

- explained on time: of the variances whose due day fell in the month and has passed (or that were
  explained already), the share explained by the end of their due day, in percent;
- median days to explain: business days from assignment to the first explanation, for explanations
  filed in the month; median days to accept: business days from the accepted explanation being filed
  to its acceptance, for acceptances in the month (weekends and the organisation's holidays do not
  count: a variance assigned on Friday and explained on Monday took one day);
- overdue by team: variances awaiting their owner past the due day, now, per owning team;
- meetings held against planned, per cadence: the cadence's occurrences in the month up to now
  against its meetings held in the month (the meetings side computes these: see meetings/health.py);
- action items closed on time: of the items due in the month whose due day has passed (or that were
  closed already), the share closed by their due day, in percent (also from the meetings side).

A month with nothing to measure gives None for its shares and medians, never 0 (an empty month is not
a perfect or a failing one). Percentages are Decimal, rounded half-even to one decimal place; medians
of an even count are the mean of the middle two, as Decimal.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from costdata.variances.business_days import business_days_between

ONE_PLACE = Decimal("0.1")
NO_TEAM = "No team"


@dataclass(frozen=True)
class VarianceTimeline:
    """One variance's procedure dates (local days). None: has not happened."""

    team: str
    assigned_on: date | None
    due_on: date | None
    explained_on: date | None  # the first explanation filed
    accepted_on: date | None
    accepted_explanation_on: date | None  # when the explanation finance accepted was filed
    awaiting_owner: bool  # open or assigned (nobody has explained it, or it was sent back)


@dataclass(frozen=True)
class ActionRecord:
    due_on: date | None
    closed_on: date | None  # done (a dropped item is not closed on time: it was not done)


@dataclass(frozen=True)
class CadenceMonth:
    cadence: str
    month: date
    planned: int
    held: int


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def percent(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_PLACE, rounding=ROUND_HALF_EVEN)


def median(values: Sequence[int]) -> Decimal | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return Decimal(ordered[middle])
    return (Decimal(ordered[middle - 1]) + Decimal(ordered[middle])) / 2


def explained_on_time_by_month(
    variances: Iterable[VarianceTimeline], *, today: date
) -> dict[date, tuple[int, int]]:
    """month of the due day -> (explained on time, judged). A variance is judged once its due day has
    passed or once it is explained; one explained on its due day is on time."""
    result: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for v in variances:
        if v.due_on is None:
            continue
        if v.explained_on is None and v.due_on >= today:
            continue  # still has time
        counts = result[first_of_month(v.due_on)]
        counts[1] += 1
        if v.explained_on is not None and v.explained_on <= v.due_on:
            counts[0] += 1
    return {month: (c[0], c[1]) for month, c in result.items()}


def days_to_explain_by_month(
    variances: Iterable[VarianceTimeline], *, holidays: Collection[date] = ()
) -> dict[date, list[int]]:
    result: dict[date, list[int]] = defaultdict(list)
    for v in variances:
        if v.assigned_on is not None and v.explained_on is not None:
            result[first_of_month(v.explained_on)].append(
                max(0, business_days_between(v.assigned_on, v.explained_on, holidays))
            )
    return dict(result)


def days_to_accept_by_month(
    variances: Iterable[VarianceTimeline], *, holidays: Collection[date] = ()
) -> dict[date, list[int]]:
    result: dict[date, list[int]] = defaultdict(list)
    for v in variances:
        if v.accepted_explanation_on is not None and v.accepted_on is not None:
            result[first_of_month(v.accepted_on)].append(
                max(0, business_days_between(v.accepted_explanation_on, v.accepted_on, holidays))
            )
    return dict(result)


def overdue_by_team(variances: Iterable[VarianceTimeline], *, today: date) -> dict[str, int]:
    """Team -> variances awaiting their owner whose due day is over, most first then by name."""
    counts = Counter(
        v.team or NO_TEAM for v in variances if v.awaiting_owner and v.due_on is not None and v.due_on < today
    )
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def actions_on_time_by_month(actions: Iterable[ActionRecord], *, today: date) -> dict[date, tuple[int, int]]:
    """month of the due day -> (closed by the due day, judged); judged once due and passed, or closed."""
    result: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for a in actions:
        if a.due_on is None:
            continue
        if a.closed_on is None and a.due_on >= today:
            continue
        counts = result[first_of_month(a.due_on)]
        counts[1] += 1
        if a.closed_on is not None and a.closed_on <= a.due_on:
            counts[0] += 1
    return {month: (c[0], c[1]) for month, c in result.items()}


def meetings_by_month(cadence_months: Iterable[CadenceMonth]) -> dict[date, tuple[int, int]]:
    """month -> (held, planned) over every cadence."""
    result: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for c in cadence_months:
        result[c.month][0] += c.held
        result[c.month][1] += c.planned
    return {month: (c[0], c[1]) for month, c in result.items()}


HEALTH_COLUMNS = [
    "month",
    "explained_on_time",
    "variances_judged",
    "median_days_to_explain",
    "median_days_to_accept",
    "meetings_held",
    "meetings_planned",
    "actions_on_time",
    "actions_judged",
]


def health_rows(
    *,
    months: Sequence[date],
    variances: Sequence[VarianceTimeline],
    actions: Sequence[ActionRecord] = (),
    cadence_months: Sequence[CadenceMonth] = (),
    today: date,
    holidays: Collection[date] = (),
) -> list[dict[str, object]]:
    """One row a month (HEALTH_COLUMNS), in the order of `months`."""
    on_time = explained_on_time_by_month(variances, today=today)
    explain = days_to_explain_by_month(variances, holidays=holidays)
    accept = days_to_accept_by_month(variances, holidays=holidays)
    meetings = meetings_by_month(cadence_months)
    action_times = actions_on_time_by_month(actions, today=today)
    rows: list[dict[str, object]] = []
    for month in months:
        done, judged = on_time.get(month, (0, 0))
        held, planned = meetings.get(month, (0, 0))
        closed, due = action_times.get(month, (0, 0))
        rows.append(
            {
                "month": month,
                "explained_on_time": percent(done, judged),
                "variances_judged": judged,
                "median_days_to_explain": median(explain.get(month, [])),
                "median_days_to_accept": median(accept.get(month, [])),
                "meetings_held": held,
                "meetings_planned": planned,
                "actions_on_time": percent(closed, due),
                "actions_judged": due,
            }
        )
    return rows


def cadence_rows(cadence_months: Sequence[CadenceMonth], months: Sequence[date]) -> list[dict[str, object]]:
    """Held against planned per cadence and month (the cadences that planned or held anything)."""
    by_key: Mapping[tuple[str, date], CadenceMonth] = {(c.cadence, c.month): c for c in cadence_months}
    names = sorted({c.cadence for c in cadence_months if c.planned or c.held})
    return [
        {
            "cadence": name,
            "month": month,
            "held": by_key[(name, month)].held if (name, month) in by_key else 0,
            "planned": by_key[(name, month)].planned if (name, month) in by_key else 0,
        }
        for name in names
        for month in months
    ]


def last_months(today: date, count: int) -> list[date]:
    """The first days of the `count` months up to and including today's, oldest first."""
    year, month = today.year, today.month
    result = []
    for _ in range(count):
        result.append(date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return result[::-1]
