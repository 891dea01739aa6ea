"""The computed refresh window and backfill limits: pure date arithmetic."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from costdata.windows import (
    add_months,
    earliest_history_day,
    first_of_month,
    refresh_window,
    validate_backfill,
)

days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


def test_a_source_with_no_data_reads_all_the_history_cost_explorer_keeps():
    assert refresh_window(
        today=date(2026, 11, 20), holds_data=False, earliest_estimated_day=None, previous_month_final=False
    ) == (date(2025, 11, 1), date(2026, 11, 20))


def test_the_open_month_and_the_unfinal_previous_month_are_read():
    assert refresh_window(
        today=date(2026, 11, 3), holds_data=True, earliest_estimated_day=None, previous_month_final=False
    ) == (date(2026, 10, 1), date(2026, 11, 3))


def test_a_final_previous_month_is_not_read_again():
    assert refresh_window(
        today=date(2026, 11, 20), holds_data=True, earliest_estimated_day=None, previous_month_final=True
    ) == (date(2026, 11, 1), date(2026, 11, 20))


def test_an_older_estimated_day_pulls_the_window_back_to_it():
    assert refresh_window(
        today=date(2026, 11, 20),
        holds_data=True,
        earliest_estimated_day=date(2026, 9, 28),
        previous_month_final=False,
    ) == (date(2026, 9, 28), date(2026, 11, 20))


def test_the_first_of_a_month_after_a_final_month_still_reads_yesterday():
    assert refresh_window(
        today=date(2026, 11, 1), holds_data=True, earliest_estimated_day=None, previous_month_final=True
    ) == (date(2026, 10, 31), date(2026, 11, 1))


@given(
    today=days,
    holds_data=st.booleans(),
    estimated_back=st.one_of(st.none(), st.integers(min_value=0, max_value=800)),
    previous_month_final=st.booleans(),
)
def test_every_window_is_a_nonempty_range_cost_explorer_can_answer(
    today, holds_data, estimated_back, previous_month_final
):
    estimated = today - timedelta(days=estimated_back) if estimated_back is not None else None
    start, end = refresh_window(
        today=today,
        holds_data=holds_data,
        earliest_estimated_day=estimated,
        previous_month_final=previous_month_final,
    )
    assert end == today, "the end is exclusive and never in the future"
    assert start < end
    assert start >= earliest_history_day(today)
    validate_backfill(start=start, end=end, today=today)


@given(
    today=days,
    estimated_back=st.one_of(st.none(), st.integers(min_value=1, max_value=800)),
    previous_month_final=st.booleans(),
)
def test_a_window_covers_every_day_that_may_still_change(today, estimated_back, previous_month_final):
    estimated = today - timedelta(days=estimated_back) if estimated_back is not None else None
    start, _ = refresh_window(
        today=today,
        holds_data=True,
        earliest_estimated_day=estimated,
        previous_month_final=previous_month_final,
    )
    assert start <= first_of_month(today)
    if not previous_month_final:
        assert start <= add_months(today, -1)
    if estimated is not None:
        assert start <= max(estimated, earliest_history_day(today))


@given(today=days)
def test_history_held_as_final_is_never_read_again(today):
    start, _ = refresh_window(
        today=today, holds_data=True, earliest_estimated_day=None, previous_month_final=True
    )
    assert start >= min(first_of_month(today), today - timedelta(days=1))


@given(day=days, months=st.integers(min_value=-40, max_value=40))
def test_add_months_lands_on_the_first_and_round_trips(day, months):
    moved = add_months(day, months)
    assert moved.day == 1
    assert add_months(moved, -months) == first_of_month(day)


def test_earliest_history_is_thirteen_months_counting_the_current_one():
    assert earliest_history_day(date(2026, 11, 20)) == date(2025, 11, 1)
    assert earliest_history_day(date(2026, 1, 1)) == date(2025, 1, 1)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (date(2026, 11, 5), date(2026, 11, 5), "must be after start"),
        (date(2026, 11, 5), date(2026, 11, 1), "must be after start"),
        (date(2025, 10, 31), date(2026, 1, 1), "older than Cost Explorer keeps"),
        (date(2026, 11, 1), date(2026, 11, 21), "in the future"),
    ],
)
def test_a_backfill_cost_explorer_cannot_answer_is_refused(start, end, message):
    with pytest.raises(ValueError, match=message):
        validate_backfill(start=start, end=end, today=date(2026, 11, 20))


def test_a_backfill_of_the_whole_history_up_to_today_is_accepted():
    validate_backfill(start=date(2025, 11, 1), end=date(2026, 11, 20), today=date(2026, 11, 20))
