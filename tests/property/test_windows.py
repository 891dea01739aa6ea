"""The refresh window, checked day by day against what must and must not be read again."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from costdata.ingestion.windows import add_months, earliest_history_day, first_of_month, refresh_window
from tests.property.conftest import PROPERTY

days = st.dates(min_value=date(2021, 1, 1), max_value=date(2035, 12, 31))


@PROPERTY
@given(
    today=days,
    unread_back=st.one_of(st.none(), st.integers(min_value=1, max_value=600)),
    estimated_back=st.one_of(st.none(), st.integers(min_value=0, max_value=600)),
    previous_month_final=st.booleans(),
)
def test_the_window_reads_every_day_that_may_change_and_no_final_day_besides(
    today, unread_back, estimated_back, previous_month_final
):
    first_unread = None if unread_back is None else today - timedelta(days=unread_back)
    earliest_estimated = None if estimated_back is None else today - timedelta(days=estimated_back)
    start, end = refresh_window(
        today=today,
        first_unread_day=first_unread,
        earliest_estimated_day=earliest_estimated,
        previous_month_final=previous_month_final,
    )
    assert end == today, "end-exclusive: today's figures are not in yet, and the future is refused"
    assert start < end and start >= earliest_history_day(today)
    window = {start + timedelta(days=n) for n in range((end - start).days)}
    open_month = {d for d in window if d >= first_of_month(today)}
    must = {today - timedelta(days=n) for n in range(1, (today - first_of_month(today)).days + 1)}
    if not previous_month_final:
        must |= {d for d in _days(add_months(today, -1), first_of_month(today))}
    if earliest_estimated is not None:
        must |= {d for d in _days(max(earliest_estimated, earliest_history_day(today)), today)}
    if first_unread is not None:
        must |= {d for d in _days(max(first_unread, earliest_history_day(today)), today)}
    assert must <= window, (
        "every unread or estimated day, the open month and an unfinal previous month are read"
    )
    may = must | open_month | {today - timedelta(days=1)}
    assert window <= may, "history already final is never read again"


def _days(start: date, end: date) -> set[date]:
    return {start + timedelta(days=n) for n in range(max((end - start).days, 0))}
