"""Programme health measures: exact numbers from hand-made timelines (pure functions, no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from costdata.variances.programme_health import (
    ActionRecord,
    CadenceMonth,
    VarianceTimeline,
    actions_on_time_by_month,
    cadence_rows,
    days_to_accept_by_month,
    days_to_explain_by_month,
    explained_on_time_by_month,
    health_rows,
    last_months,
    median,
    overdue_by_team,
    percent,
)

OCT, NOV = date(2026, 10, 1), date(2026, 11, 1)
TODAY = date(2026, 11, 20)  # a Friday


def timeline(**fields) -> VarianceTimeline:
    base = {
        "team": "Payments",
        "assigned_on": None,
        "due_on": None,
        "explained_on": None,
        "accepted_on": None,
        "accepted_explanation_on": None,
        "awaiting_owner": False,
    }
    return VarianceTimeline(**(base | fields))


VARIANCES = [
    # Due 9 Oct, explained on the due day: on time; 4 business days (Mon 5 -> Fri 9); accepted Tue 13 (2).
    timeline(
        assigned_on=date(2026, 10, 5),
        due_on=date(2026, 10, 9),
        explained_on=date(2026, 10, 9),
        accepted_explanation_on=date(2026, 10, 9),
        accepted_on=date(2026, 10, 13),
    ),
    # Due 16 Oct, explained Mon 19 Oct: late; Fri 9 -> Mon 19 is 6 business days.
    timeline(assigned_on=date(2026, 10, 9), due_on=date(2026, 10, 16), explained_on=date(2026, 10, 19)),
    # Due 30 Oct, never explained, still awaiting: late, overdue for Search.
    timeline(team="Search", assigned_on=date(2026, 10, 23), due_on=date(2026, 10, 30), awaiting_owner=True),
    # Due 27 Nov (still to come), not explained: not judged yet, not overdue.
    timeline(assigned_on=date(2026, 11, 20), due_on=date(2026, 11, 27), awaiting_owner=True),
    # Due 27 Nov, explained early on Mon 23 Nov (a future date is fine in a pure test): on time, judged.
    timeline(assigned_on=date(2026, 11, 20), due_on=date(2026, 11, 27), explained_on=date(2026, 11, 23)),
    # Due 13 Nov, awaiting, no team: overdue.
    timeline(team="", assigned_on=date(2026, 11, 6), due_on=date(2026, 11, 13), awaiting_owner=True),
]


def test_shares_are_exact_decimals_and_an_empty_month_has_none():
    assert percent(1, 3) == Decimal("33.3")
    assert percent(2, 3) == Decimal("66.7")
    assert percent(1, 8) == Decimal("12.5")  # half-even keeps .5 at one place
    assert percent(0, 0) is None


def test_medians_of_odd_and_even_counts():
    assert median([5, 1, 3]) == Decimal(3)
    assert median([4, 1, 2, 8]) == Decimal(3)
    assert median([1, 2]) == Decimal("1.5")
    assert median([]) is None


def test_explained_on_time_counts_by_the_month_of_the_due_day_and_only_when_judged():
    assert explained_on_time_by_month(VARIANCES, today=TODAY) == {OCT: (1, 3), NOV: (1, 2)}


def test_days_to_explain_and_accept_are_business_days_in_the_month_of_the_event():
    assert days_to_explain_by_month(VARIANCES) == {OCT: [4, 6], NOV: [1]}
    assert days_to_accept_by_month(VARIANCES) == {OCT: [2]}


def test_a_holiday_is_not_a_day_taken():
    holidays = {date(2026, 10, 12)}  # Monday between the explanation and the acceptance
    assert days_to_accept_by_month(VARIANCES, holidays=holidays) == {OCT: [1]}
    assert days_to_explain_by_month(VARIANCES, holidays=holidays) == {OCT: [4, 5], NOV: [1]}


def test_overdue_by_team_counts_only_variances_awaiting_their_owner_past_the_due_day():
    assert overdue_by_team(VARIANCES, today=TODAY) == {"No team": 1, "Search": 1}
    assert overdue_by_team(VARIANCES, today=date(2026, 10, 31)) == {"Search": 1}


def test_action_items_closed_on_time_by_month_of_their_due_day():
    actions = [
        ActionRecord(due_on=date(2026, 10, 15), closed_on=date(2026, 10, 15)),  # on time
        ActionRecord(due_on=date(2026, 10, 20), closed_on=date(2026, 10, 22)),  # late
        ActionRecord(due_on=date(2026, 10, 30), closed_on=None),  # open past due: late
        ActionRecord(due_on=date(2026, 11, 30), closed_on=None),  # not due yet: not judged
        ActionRecord(due_on=date(2026, 11, 30), closed_on=date(2026, 11, 2)),  # closed early: on time
        ActionRecord(due_on=None, closed_on=None),  # no due date: never judged
    ]
    assert actions_on_time_by_month(actions, today=TODAY) == {OCT: (1, 3), NOV: (1, 1)}


def test_health_rows_put_every_measure_on_its_month():
    cadences = [
        CadenceMonth("Monthly review", OCT, planned=1, held=1),
        CadenceMonth("Weekly sync", OCT, planned=5, held=3),
        CadenceMonth("Weekly sync", NOV, planned=3, held=3),
    ]
    actions = [ActionRecord(due_on=date(2026, 10, 15), closed_on=date(2026, 10, 14))]
    rows = health_rows(
        months=[date(2026, 9, 1), OCT, NOV],
        variances=VARIANCES,
        actions=actions,
        cadence_months=cadences,
        today=TODAY,
    )
    september, october, november = rows
    assert september == {
        "month": date(2026, 9, 1),
        "explained_on_time": None,
        "variances_judged": 0,
        "median_days_to_explain": None,
        "median_days_to_accept": None,
        "meetings_held": 0,
        "meetings_planned": 0,
        "actions_on_time": None,
        "actions_judged": 0,
    }
    assert october == {
        "month": OCT,
        "explained_on_time": Decimal("33.3"),
        "variances_judged": 3,
        "median_days_to_explain": Decimal(5),
        "median_days_to_accept": Decimal(2),
        "meetings_held": 4,
        "meetings_planned": 6,
        "actions_on_time": Decimal("100.0"),
        "actions_judged": 1,
    }
    assert (november["explained_on_time"], november["median_days_to_explain"]) == (
        Decimal("50.0"),
        Decimal(1),
    )
    assert cadence_rows(cadences, [OCT, NOV]) == [
        {"cadence": "Monthly review", "month": OCT, "held": 1, "planned": 1},
        {"cadence": "Monthly review", "month": NOV, "held": 0, "planned": 0},
        {"cadence": "Weekly sync", "month": OCT, "held": 3, "planned": 5},
        {"cadence": "Weekly sync", "month": NOV, "held": 3, "planned": 3},
    ]


def test_last_months_run_oldest_first_across_a_year_end():
    assert last_months(date(2027, 2, 14), 4) == [
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
        date(2027, 2, 1),
    ]
