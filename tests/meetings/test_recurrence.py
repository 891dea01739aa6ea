from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from meetings import recurrence

LONDON = ZoneInfo("Europe/London")


def start(day: date = date(2026, 1, 13)) -> datetime:
    return recurrence.series_start(day, time(10, 0), LONDON)


def test_monthly_nth_weekday_preset_falls_on_the_same_weekday_and_place():
    rule = recurrence.preset_rule("monthly_nth_weekday", date(2026, 1, 13))  # 2nd Tuesday
    assert rule == "FREQ=MONTHLY;BYDAY=+2TU"
    got = recurrence.occurrences_after(
        recurrence.build_rule(rule, start()), datetime(2026, 1, 1, tzinfo=UTC), 3
    )
    assert [d.date() for d in got] == [date(2026, 1, 13), date(2026, 2, 10), date(2026, 3, 10)]


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("weekly", "FREQ=WEEKLY;BYDAY=TU"),
        ("fortnightly", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"),
        ("quarterly", "FREQ=MONTHLY;INTERVAL=3;BYDAY=+2TU"),
    ],
)
def test_presets_build_the_expected_rule(preset, expected):
    assert recurrence.preset_rule(preset, date(2026, 1, 13)) == expected


def test_a_fifth_weekday_preset_means_the_last_one():
    assert recurrence.preset_rule("monthly_nth_weekday", date(2026, 3, 31)) == "FREQ=MONTHLY;BYDAY=-1TU"


def test_local_time_holds_across_daylight_saving():
    rule = recurrence.build_rule("FREQ=WEEKLY;BYDAY=TU", start(date(2026, 3, 24)))
    before, after = recurrence.occurrences_after(rule, datetime(2026, 3, 23, tzinfo=UTC), 2)
    assert (before.hour, after.hour) == (10, 10)
    assert before.utcoffset().total_seconds() == 0 and after.utcoffset().total_seconds() == 3600


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("", "required"),
        ("BYDAY=MO", "needs a FREQ"),
        ("FREQ=SOMETIMES", "not allowed"),
        ("FREQ=HOURLY", "not allowed"),
        ("FREQ=WEEKLY;BYDAY=XX", "Not a valid RFC 5545"),
        ("FREQ=WEEKLY;UNTIL=20270101", "UTC"),
        ("DTSTART:20260101T100000\nRRULE:FREQ=WEEKLY", "single RRULE"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never produces"),
    ],
)
def test_it_refuses_a_malformed_rule_with_a_readable_reason(rule, message):
    with pytest.raises(recurrence.RecurrenceError, match=message):
        recurrence.build_rule(rule, start())


def test_it_accepts_an_rrule_prefix_and_lower_case():
    assert recurrence.build_rule("rrule:freq=weekly;byday=mo", start()) is not None


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "localtime", "../etc/passwd"])
def test_it_refuses_a_name_that_is_not_an_iana_zone(name):
    with pytest.raises(recurrence.RecurrenceError):
        recurrence.validate_timezone(name)


def test_describe_reads_common_rules():
    assert recurrence.describe("FREQ=MONTHLY;BYDAY=+2TU") == "Monthly on the second Tuesday"
    assert recurrence.describe("FREQ=WEEKLY;INTERVAL=2;BYDAY=TH") == "Every 2 weeks on Thursday"
