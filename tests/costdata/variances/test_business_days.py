"""Due dates for the variance procedure: weekends, holidays, time zones and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from costdata.variances.business_days import (
    add_business_days,
    business_days_between,
    due_at,
    due_date,
    end_of_day,
    is_business_day,
    is_overdue,
)

LONDON = ZoneInfo("Europe/London")
SYDNEY = ZoneInfo("Australia/Sydney")
NEW_YORK = ZoneInfo("America/New_York")


def test_five_business_days_from_a_monday_is_the_next_monday() -> None:
    assert add_business_days(date(2026, 11, 23), 5) == date(2026, 11, 30)


def test_counting_skips_the_weekend() -> None:
    # Wednesday + 5 business days: Thu, Fri, Mon, Tue, Wed.
    assert add_business_days(date(2026, 11, 25), 5) == date(2026, 12, 2)


def test_a_variance_opened_on_friday_evening_is_due_the_next_friday() -> None:
    opened = datetime(2026, 11, 27, 18, 45, tzinfo=LONDON)
    assert due_date(opened, tz=LONDON) == date(2026, 12, 4)


def test_a_variance_opened_on_saturday_is_due_the_same_day_as_one_opened_on_friday() -> None:
    friday = datetime(2026, 11, 27, 9, 0, tzinfo=LONDON)
    saturday = datetime(2026, 11, 28, 9, 0, tzinfo=LONDON)
    sunday = datetime(2026, 11, 29, 23, 59, tzinfo=LONDON)
    assert due_date(friday, tz=LONDON) == due_date(saturday, tz=LONDON) == date(2026, 12, 4)
    assert due_date(sunday, tz=LONDON) == date(2026, 12, 4)


def test_holidays_are_skipped() -> None:
    christmas = {date(2026, 12, 25), date(2026, 12, 28)}  # Christmas Friday, Boxing Day substitute Monday
    opened = datetime(2026, 12, 22, 10, 0, tzinfo=LONDON)  # Tuesday
    # Wed 23, Thu 24, (Fri 25 holiday), (Mon 28 holiday), Tue 29, Wed 30, Thu 31.
    assert due_date(opened, tz=LONDON, holidays=christmas) == date(2026, 12, 31)
    assert due_date(opened, tz=LONDON) == date(2026, 12, 29)


def test_counting_crosses_the_year_end() -> None:
    opened = datetime(2026, 12, 30, 12, 0, tzinfo=LONDON)  # Wednesday
    holidays = {date(2027, 1, 1)}
    # Thu 31, (Fri 1 Jan holiday), Mon 4, Tue 5, Wed 6, Thu 7.
    assert due_date(opened, tz=LONDON, holidays=holidays) == date(2027, 1, 7)


def test_counting_crosses_a_month_end_in_a_leap_year() -> None:
    assert add_business_days(date(2028, 2, 28), 2) == date(2028, 3, 1)  # Mon 28 Feb -> Tue 29, Wed 1 Mar


def test_the_local_calendar_of_the_time_zone_decides_the_opening_day() -> None:
    # 23:30 UTC on Friday is already Saturday morning in Sydney, still Friday evening in New York.
    opened = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)
    assert due_date(opened, tz=SYDNEY) == date(2026, 12, 4)
    assert due_date(opened, tz=NEW_YORK) == date(2026, 12, 4)
    # 13:30 UTC on Sunday is Monday 00:30 in Sydney: counting starts from Monday there.
    sunday = datetime(2026, 11, 29, 13, 30, tzinfo=UTC)
    assert due_date(sunday, tz=SYDNEY) == date(2026, 12, 7)
    assert due_date(sunday, tz=NEW_YORK) == date(2026, 12, 4)


def test_the_deadline_is_the_end_of_the_due_day_in_local_time() -> None:
    opened = datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)
    assert due_at(opened, tz="Europe/London") == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    assert due_at(opened, tz=NEW_YORK) == datetime(2026, 12, 1, 5, 0, tzinfo=UTC)


def test_the_deadline_is_right_across_the_spring_dst_change() -> None:
    # London moves to BST on Sunday 29 March 2026; the due day (Monday 30) ends at 23:00 UTC.
    opened = datetime(2026, 3, 23, 9, 0, tzinfo=LONDON)
    assert due_date(opened, tz=LONDON) == date(2026, 3, 30)
    assert due_at(opened, tz=LONDON) == datetime(2026, 3, 30, 23, 0, tzinfo=UTC)


def test_the_deadline_is_right_across_the_autumn_dst_change() -> None:
    # New York leaves DST on Sunday 1 November 2026; the due day (Friday 6) ends at 05:00 UTC on the 7th.
    opened = datetime(2026, 10, 30, 16, 0, tzinfo=NEW_YORK)
    assert due_date(opened, tz=NEW_YORK) == date(2026, 11, 6)
    assert due_at(opened, tz=NEW_YORK) == datetime(2026, 11, 7, 5, 0, tzinfo=UTC)


def test_a_day_whose_local_midnight_does_not_exist_ends_when_the_clock_jumps() -> None:
    # Santiago springs forward at midnight: Saturday 5 Sept 2026 24:00 becomes Sunday 01:00 (UTC-3).
    santiago = ZoneInfo("America/Santiago")
    end = end_of_day(date(2026, 9, 5), tz=santiago)
    assert end == datetime(2026, 9, 6, 4, 0, tzinfo=UTC)
    assert end.astimezone(santiago).hour == 1


def test_zero_business_days_means_today_or_the_next_business_day() -> None:
    assert add_business_days(date(2026, 11, 27), 0) == date(2026, 11, 27)
    assert add_business_days(date(2026, 11, 28), 0) == date(2026, 11, 30)


def test_negative_business_days_are_refused() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        add_business_days(date(2026, 11, 27), -1)


def test_a_naive_opening_time_is_refused() -> None:
    with pytest.raises(ValueError, match="opened_at must be an aware datetime"):
        due_date(datetime(2026, 11, 27, 9, 0), tz=LONDON)


def test_overdue_only_once_the_deadline_is_reached() -> None:
    deadline = datetime(2026, 12, 5, 0, 0, tzinfo=UTC)
    assert not is_overdue(deadline, now=deadline - timedelta(microseconds=1))
    assert is_overdue(deadline, now=deadline)
    assert is_overdue(deadline, now=deadline + timedelta(days=3))


def test_no_deadline_is_never_overdue() -> None:
    assert not is_overdue(None, now=datetime(2030, 1, 1, tzinfo=UTC))


def test_overdue_refuses_a_naive_now() -> None:
    with pytest.raises(ValueError, match="now must be an aware datetime"):
        is_overdue(datetime(2026, 12, 5, tzinfo=UTC), now=datetime(2026, 12, 6))


def test_business_days_between_counts_friday_to_monday_as_one() -> None:
    assert business_days_between(date(2026, 11, 27), date(2026, 11, 30)) == 1
    assert business_days_between(date(2026, 11, 30), date(2026, 11, 27)) == -1
    assert business_days_between(date(2026, 11, 27), date(2026, 11, 27)) == 0


def test_weekends_and_holidays_are_not_business_days() -> None:
    assert is_business_day(date(2026, 11, 27))
    assert not is_business_day(date(2026, 11, 28))
    assert not is_business_day(date(2026, 11, 29))
    assert not is_business_day(date(2026, 12, 25), {date(2026, 12, 25)})


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    n=st.integers(min_value=1, max_value=60),
    holidays=st.sets(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 6, 1)), max_size=20),
)
def test_the_due_day_is_a_business_day_exactly_n_business_days_later(
    start: date, n: int, holidays: set[date]
) -> None:
    due = add_business_days(start, n, holidays)
    assert is_business_day(due, holidays)
    assert business_days_between(start, due, holidays) == n
    assert due > start
