from datetime import timedelta

from icalendar import Calendar

from meetings import calendar, recurrence, services
from meetings.models import Meeting
from tests.meetings.conftest import NOW


def parse(data: bytes) -> Calendar:
    return Calendar.from_ical(data)


def test_the_cadence_feed_round_trips_to_the_rules_occurrences(monthly):
    """Parse the feed back with icalendar: the same instants, in the same zone, as dateutil's rrule."""
    services.cadence_update(cadence=monthly, occurrences_ahead=8, now=NOW)  # crosses the March clock change
    feed, _ = services.calendar_feed_create(cadence=monthly)
    from meetings.selectors import feed_meetings

    cal = parse(calendar.calendar_bytes(feed_meetings(feed=feed), name=monthly.name))
    events = [e for e in cal.walk("VEVENT") if str(e["STATUS"]) != "CANCELLED"]
    starts = sorted(e.decoded("DTSTART") for e in events)
    rule = recurrence.build_rule(monthly.rrule, monthly.dtstart)
    expected = recurrence.occurrences_after(rule, NOW, 8)
    assert starts == expected
    assert {str(e["DTSTART"].params["TZID"]) for e in events} == {"Europe/London"}
    assert {(s.hour, s.minute) for s in starts} == {(10, 0)}
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/London"]
    assert all(e.decoded("DTEND") - e.decoded("DTSTART") == timedelta(minutes=60) for e in events)


def test_each_meeting_keeps_one_uid_and_its_sequence_grows_when_it_moves(monthly):
    meeting = Meeting.objects.filter(cadence=monthly).order_by("starts_at").first()
    before = parse(calendar.calendar_bytes([meeting], name="x")).walk("VEVENT")[0]
    services.meeting_update(meeting=meeting, starts_at=meeting.starts_at + timedelta(hours=2))
    after = parse(calendar.calendar_bytes([meeting], name="x")).walk("VEVENT")[0]
    assert str(before["UID"]) == str(after["UID"]) == f"{meeting.uid}@partnership.meetings"
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert after.decoded("DTSTART").hour == 12


def test_a_rule_change_keeps_uids_so_calendars_move_events_instead_of_duplicating(monthly):
    feed_before = parse(calendar.calendar_bytes(Meeting.objects.filter(cadence=monthly), name="x"))
    services.cadence_update(cadence=monthly, rrule="FREQ=MONTHLY;BYDAY=+3TH", now=NOW)
    feed_after = parse(calendar.calendar_bytes(Meeting.objects.filter(cadence=monthly), name="x"))
    uids = lambda cal: sorted(str(e["UID"]) for e in cal.walk("VEVENT"))  # noqa: E731
    assert uids(feed_before) == uids(feed_after)


def test_a_cancelled_meeting_stays_in_the_feed_marked_cancelled(monthly):
    meeting = Meeting.objects.filter(cadence=monthly).first()
    services.meeting_status_set(meeting=meeting, status=Meeting.Status.CANCELLED)
    event = parse(calendar.calendar_bytes([meeting], name="x")).walk("VEVENT")[0]
    assert str(event["STATUS"]) == "CANCELLED"


def test_the_event_carries_the_agenda_and_a_link_back(monthly):
    meeting = Meeting.objects.filter(cadence=monthly).first()
    event = parse(calendar.calendar_bytes([meeting], name="x")).walk("VEVENT")[0]
    assert "State of the organisation" in str(event["DESCRIPTION"])
    assert str(event["URL"]).endswith(f"/meetings/{meeting.pk}/")


def test_the_series_file_carries_the_rrule_in_its_zone_and_round_trips(monthly):
    from dateutil.rrule import rrulestr

    meetings = list(Meeting.objects.filter(cadence=monthly).order_by("starts_at"))
    cancelled, moved = meetings[0], meetings[1]
    services.meeting_status_set(meeting=cancelled, status=Meeting.Status.CANCELLED)
    services.meeting_update(meeting=moved, starts_at=moved.starts_at + timedelta(hours=4))

    cal = parse(calendar.cadence_series_bytes(monthly, Meeting.objects.filter(cadence=monthly)))
    master, *overrides = cal.walk("VEVENT")
    assert str(master["DTSTART"].params["TZID"]) == "Europe/London"
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/London"]
    expanded = rrulestr(master["RRULE"].to_ical().decode(), dtstart=master.decoded("DTSTART"))
    exdates = {d.dt for d in master["EXDATE"].dts}
    after_now = [dt for dt in recurrence.occurrences_after(expanded, NOW, 3) if dt not in exdates]
    expected = [m.occurrence for m in Meeting.objects.filter(cadence=monthly).exclude(status="cancelled")]
    assert after_now == expected
    assert exdates == {cancelled.occurrence}
    (override,) = overrides
    assert str(override["UID"]) == str(master["UID"])
    assert override.decoded("RECURRENCE-ID") == moved.occurrence
    assert override.decoded("DTSTART").hour == 14
