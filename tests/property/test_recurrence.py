"""RRULE expansion for cadences: in the window, in order, unique, at the local time in the cadence's zone.

The expected occurrences come from dateutil alone, expanded in naive local wall-clock time and only then
placed in the zone: what a person means by "every second Tuesday at 10:00, Europe/London".
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from hypothesis import assume, given
from hypothesis import strategies as st

from meetings import recurrence
from tests.property.conftest import PROPERTY

# Zones with daylight saving north and south, a half-hour shift, and none at all.
ZONES = [
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "UTC",
]
DAYS = recurrence.WEEKDAY_CODES


@st.composite
def rules(draw: st.DrawFn) -> str:
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]))
    parts = [f"FREQ={freq}", f"INTERVAL={draw(st.integers(1, 4))}"]
    if freq == "WEEKLY" and draw(st.booleans()):
        parts.append(
            "BYDAY=" + ",".join(draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=3, unique=True)))
        )
    if freq == "MONTHLY" and draw(st.booleans()):
        parts.append(
            f"BYDAY={draw(st.sampled_from(['+1', '+2', '+3', '+4', '-1']))}{draw(st.sampled_from(DAYS))}"
        )
    if draw(st.booleans()):
        parts.append(f"COUNT={draw(st.integers(1, 30))}")
    return ";".join(parts)


# Local times include the small hours that daylight-saving changes skip or repeat.
local_times = st.sampled_from(
    [time(0, 30), time(1, 30), time(2, 0), time(2, 30), time(9, 0), time(10, 0), time(23, 45)]
)
starts = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31))


def expected(
    rule: str, starts_on: date, at: time, zone: ZoneInfo, start: datetime, end: datetime
) -> list[datetime]:
    naive = rrulestr(rule, dtstart=datetime.combine(starts_on, at))
    found = []
    for local in naive:
        placed = local.replace(tzinfo=zone)
        if placed >= end:
            break
        if placed >= start:
            found.append(placed)
    return found


@PROPERTY
@given(
    rule=rules(),
    starts_on=starts,
    at=local_times,
    zone_name=st.sampled_from(ZONES),
    offset=st.integers(-60, 800),
    length=st.integers(1, 400),
)
def test_occurrences_in_a_window_agree_with_dateutil_in_local_time(
    rule, starts_on, at, zone_name, offset, length
):
    zone = ZoneInfo(zone_name)
    built = recurrence.build_rule(rule, recurrence.series_start(starts_on, at, zone))
    start = datetime.combine(starts_on + timedelta(days=offset), time(12), tzinfo=UTC)
    end = start + timedelta(days=length)
    found = recurrence.occurrences_between(built, start, end)
    assert found == expected(rule, starts_on, at, zone, start, end)
    instants = [dt.astimezone(UTC) for dt in found]
    assert instants == sorted(set(instants)), "in order, each once"
    for dt in found:
        assert start <= dt < end
        assert dt.tzinfo is zone and (dt.hour, dt.minute) == (at.hour, at.minute)
        local = dt.replace(tzinfo=None)
        round_trip = dt.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        # Across a change the wall clock keeps its time; only a time the change skips moves, by the jump.
        if round_trip != local:
            assert dt.utcoffset() != dt.replace(fold=1).utcoffset(), f"{dt} is not in a skipped hour"


@PROPERTY
@given(
    rule=rules(), starts_on=starts, at=local_times, zone_name=st.sampled_from(ZONES), count=st.integers(1, 12)
)
def test_the_next_occurrences_are_strictly_after_and_continue_the_series(
    rule, starts_on, at, zone_name, count
):
    zone = ZoneInfo(zone_name)
    built = recurrence.build_rule(rule, recurrence.series_start(starts_on, at, zone))
    after = datetime.combine(starts_on, time(0), tzinfo=UTC) + timedelta(days=17)
    found = recurrence.occurrences_after(built, after, count)
    assume(found)
    assert all(dt > after for dt in found)
    assert len(found) <= count
    window = expected(
        rule, starts_on, at, zone, after + timedelta(microseconds=1), found[-1] + timedelta(microseconds=1)
    )
    assert found == window[: len(found)]
