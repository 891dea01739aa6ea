"""Due dates in business days for the variance procedure. Pure date arithmetic, no Django.

The SOP gives an owner N business days (default 5) to explain a variance. "Business day" means a
weekday that is not a holiday, judged on the calendar of the organisation's time zone: a variance
detected at 23:30 UTC on a Friday is already Saturday in Sydney, and that decides the count.

The deadline is the *end* of the Nth business day after the day the variance was opened (local
midnight starting the following day), so detection at 02:00 or at 23:00 on the same day gives the same
deadline, and "due Friday" means the owner has all of Friday. Counting starts the day after the opening
day, whatever that day is: a variance opened on Saturday with 5 business days is due at the end of the
following Friday, the same as one opened on Friday.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_BUSINESS_DAYS = 5
SATURDAY = 5


def _zone(tz: ZoneInfo | str) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {value!r}")


def is_business_day(day: date, holidays: Collection[date] = ()) -> bool:
    """Monday to Friday and not in holidays."""
    return day.weekday() < SATURDAY and day not in holidays


def add_business_days(day: date, business_days: int, holidays: Collection[date] = ()) -> date:
    """The date `business_days` business days after `day`.

    With 0, the day itself when it is a business day, else the next business day: a due date never
    falls on a weekend or holiday.
    """
    if business_days < 0:
        raise ValueError(f"business_days must not be negative, got {business_days}")
    current = day
    if business_days == 0:
        while not is_business_day(current, holidays):
            current += timedelta(days=1)
        return current
    remaining = business_days
    while remaining:
        current += timedelta(days=1)
        if is_business_day(current, holidays):
            remaining -= 1
    return current


def due_date(
    opened_at: datetime,
    *,
    tz: ZoneInfo | str,
    business_days: int = DEFAULT_BUSINESS_DAYS,
    holidays: Collection[date] = (),
) -> date:
    """The local business day by whose end a variance opened at `opened_at` must be explained."""
    _require_aware(opened_at, "opened_at")
    local_day = opened_at.astimezone(_zone(tz)).date()
    return add_business_days(local_day, business_days, holidays)


def end_of_day(day: date, *, tz: ZoneInfo | str) -> datetime:
    """The instant `day` ends in `tz`: the local midnight that starts the next day, as aware UTC.

    Going through UTC keeps this right on the days a DST change makes 23 or 25 hours long, and in
    the few zones whose clocks jump at midnight (the non-existent local midnight resolves forward).
    """
    zone = _zone(tz)
    local_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return local_midnight.astimezone(UTC)


def due_at(
    opened_at: datetime,
    *,
    tz: ZoneInfo | str,
    business_days: int = DEFAULT_BUSINESS_DAYS,
    holidays: Collection[date] = (),
) -> datetime:
    """The aware (UTC) deadline: the end of `due_date(...)` in the organisation's time zone."""
    day = due_date(opened_at, tz=tz, business_days=business_days, holidays=holidays)
    return end_of_day(day, tz=tz)


def is_overdue(deadline: datetime | None, *, now: datetime) -> bool:
    """True once `now` has reached the deadline. No deadline (closed or not yet assigned) is never overdue."""
    _require_aware(now, "now")
    if deadline is None:
        return False
    _require_aware(deadline, "deadline")
    return now >= deadline


def business_days_between(start: date, end: date, holidays: Collection[date] = ()) -> int:
    """Business days in (start, end]: how many business days after `start` the day `end` is.

    Used for "days to explain" and "days late" in programme health, so a variance opened on Friday
    and explained on Monday took one business day, not three. Negative when end is before start.
    """
    if end < start:
        return -business_days_between(end, start, holidays)
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_business_day(current, holidays):
            count += 1
    return count
