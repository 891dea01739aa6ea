"""The computed refresh window and backfill limits: pure date arithmetic."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from costdata.ingestion.windows import (
    add_months,
    earliest_history_day,
    first_of_month,
    first_unread_day,
    refresh_window,
    validate_backfill,
)

days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


def test_a_source_that_has_read_nothing_reads_all_the_history_cost_explorer_keeps():
    today = date(2026, 11, 20)
    unread = first_unread_day([], since=earliest_history_day(today), until=today)
    assert unread == date(2025, 11, 1)
    assert refresh_window(
        today=today, first_unread_day=unread, earliest_estimated_day=None, previous_month_final=False
    ) == (date(2025, 11, 1), today)


def test_a_gap_in_what_was_read_pulls_the_window_back_to_it():
    """A source backfilled for January only, on 20 November: February to October were never read."""
    today = date(2026, 11, 20)
    read = [(date(2026, 1, 1), date(2026, 2, 1))]
    unread = first_unread_day(read, since=earliest_history_day(today), until=today)
    assert unread == date(2025, 11, 1), "November and December 2025 were never read either"
    read.append((date(2025, 11, 1), date(2026, 1, 1)))
    unread = first_unread_day(read, since=earliest_history_day(today), until=today)
    assert unread == date(2026, 2, 1)
    assert refresh_window(
        today=today, first_unread_day=unread, earliest_estimated_day=None, previous_month_final=True
    ) == (date(2026, 2, 1), today)


def test_windows_read_in_any_order_and_overlapping_leave_no_gap():
    read = [
        (date(2026, 6, 1), date(2026, 11, 19)),
        (date(2025, 12, 1), date(2026, 3, 1)),
        (date(2026, 2, 1), date(2026, 6, 2)),
    ]
    assert first_unread_day(read, since=date(2025, 12, 1), until=date(2026, 11, 19)) is None
    assert first_unread_day(read, since=date(2025, 12, 1), until=date(2026, 11, 20)) == date(2026, 11, 19)
    assert first_unread_day(read[:2], since=date(2025, 12, 1), until=date(2026, 11, 20)) == date(2026, 3, 1)


@given(
    today=days,
    windows=st.lists(st.tuples(st.integers(0, 420), st.integers(1, 420)), max_size=6),
)
def test_the_first_unread_day_is_the_first_day_no_window_covers(today, windows):
    since = earliest_history_day(today)
    read = [
        (today - timedelta(days=back), today - timedelta(days=back) + timedelta(days=length))
        for back, length in windows
    ]
    covered = {start + timedelta(days=n) for start, end in read for n in range((end - start).days)}
    expected = next(
        (
            since + timedelta(days=n)
            for n in range((today - since).days)
            if since + timedelta(days=n) not in covered
        ),
        None,
    )
    assert first_unread_day(read, since=since, until=today) == expected


def test_the_open_month_and_the_unfinal_previous_month_are_read():
    assert refresh_window(
        today=date(2026, 11, 3),
        first_unread_day=None,
        earliest_estimated_day=None,
        previous_month_final=False,
    ) == (date(2026, 10, 1), date(2026, 11, 3))


def test_a_final_previous_month_is_not_read_again():
    assert refresh_window(
        today=date(2026, 11, 20),
        first_unread_day=None,
        earliest_estimated_day=None,
        previous_month_final=True,
    ) == (date(2026, 11, 1), date(2026, 11, 20))


def test_an_older_estimated_day_pulls_the_window_back_to_it():
    assert refresh_window(
        today=date(2026, 11, 20),
        first_unread_day=None,
        earliest_estimated_day=date(2026, 9, 28),
        previous_month_final=False,
    ) == (date(2026, 9, 28), date(2026, 11, 20))


def test_the_first_of_a_month_after_a_final_month_still_reads_yesterday():
    assert refresh_window(
        today=date(2026, 11, 1), first_unread_day=None, earliest_estimated_day=None, previous_month_final=True
    ) == (date(2026, 10, 31), date(2026, 11, 1))


@given(
    today=days,
    unread_back=st.one_of(st.none(), st.integers(min_value=1, max_value=800)),
    estimated_back=st.one_of(st.none(), st.integers(min_value=0, max_value=800)),
    previous_month_final=st.booleans(),
)
def test_every_window_is_a_nonempty_range_cost_explorer_can_answer(
    today, unread_back, estimated_back, previous_month_final
):
    estimated = today - timedelta(days=estimated_back) if estimated_back is not None else None
    start, end = refresh_window(
        today=today,
        first_unread_day=None if unread_back is None else today - timedelta(days=unread_back),
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
        first_unread_day=None,
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
        today=today, first_unread_day=None, earliest_estimated_day=None, previous_month_final=True
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
