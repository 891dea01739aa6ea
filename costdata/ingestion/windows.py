"""Which days a scheduled pull must read again. Pure date arithmetic, end-exclusive ranges."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

# Cost Explorer keeps 13 months of daily history, counting the current month.
HISTORY_MONTHS = 13


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first of the month `months` after (or before) day's month."""
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def earliest_history_day(today: date) -> date:
    """The first day Cost Explorer still holds: the start of the month 13 months back, with today's month."""
    return add_months(today, -(HISTORY_MONTHS - 1))


def first_unread_day(read: Iterable[tuple[date, date]], *, since: date, until: date) -> date | None:
    """The earliest day of [since, until) that none of the `read` windows [start, end) covers, or None.

    The windows are those of a source's successful pulls: a day is read once a pull that asked for it
    succeeded, whether or not it had any cost.
    """
    day = since
    for start, end in sorted(read):
        if start > day:
            break
        day = max(day, end)
    return day if day < until else None


def refresh_window(
    *,
    today: date,
    first_unread_day: date | None,
    earliest_estimated_day: date | None,
    previous_month_final: bool,
) -> tuple[date, date]:
    """The window [start, end) a scheduled pull asks for.

    - The open month; the previous month too until its bill is final; and back to the earliest day
      still held as Estimated. History already read and final is never read again.
    - Back to the first day of Cost Explorer's history no successful pull has read yet, if any: a new
      source reads all of it; a source backfilled for old months only, or whose pulls stopped for longer
      than a month, fills the gap instead of leaving it empty for good.
    - The end is today (exclusive): Cost Explorer refuses an end in the future, and today's figures are
      not in yet.
    """
    end = today
    history = earliest_history_day(today)
    start = first_of_month(today)
    if not previous_month_final:
        start = add_months(today, -1)
    if earliest_estimated_day is not None and earliest_estimated_day < start:
        start = max(earliest_estimated_day, history)
    if first_unread_day is not None and first_unread_day < start:
        start = max(first_unread_day, history)
    # On the first of a month whose predecessor is final there is no complete day to read but yesterday.
    return min(start, end - timedelta(days=1)), end


def validate_backfill(*, start: date, end: date, today: date) -> None:
    """Raise ValueError unless [start, end) is a range Cost Explorer can answer."""
    if end <= start:
        raise ValueError(f"end {end} must be after start {start} (end is exclusive)")
    oldest = earliest_history_day(today)
    if start < oldest:
        raise ValueError(
            f"start {start} is older than Cost Explorer keeps (13 months: {oldest} at the earliest)"
        )
    if end > today:
        raise ValueError(f"end {end} is in the future (today, {today}, at the latest: end is exclusive)")
