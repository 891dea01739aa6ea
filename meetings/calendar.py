"""iCalendar files and feeds for meetings, made with the icalendar library.

Each meeting is one VEVENT whose UID never changes (the meeting's UUID), with SEQUENCE bumped whenever
its time or status changes, so a subscribed calendar updates the event instead of adding a second one.
Times are written in the meeting's own time zone (DTSTART;TZID=Europe/London:...) with the matching
VTIMEZONE, so a 10:00 meeting stays at 10:00 local across daylight-saving changes. A cancelled meeting
stays in feeds with STATUS:CANCELLED, which tells clients to remove it.

Feeds list materialised meetings rather than one master event with an RRULE: a meeting can be moved,
cancelled or given its own agenda, and editing a cadence's rule must not rewrite past meetings — both
of which a single RRULE series cannot say. The occurrences are still exactly the rule's (see tests).
For those who want the series itself, cadence_series_bytes writes it as one event with its RRULE.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from icalendar import Calendar, Event, vDuration, vRecur

from common.links import absolute_url
from meetings import recurrence
from meetings.models import Cadence, Meeting

PRODID = "-//Cloud spend partnership//Meetings//EN"
UID_DOMAIN = "partnership.meetings"
STATUS: dict[str, str] = {
    Meeting.Status.PLANNED: "CONFIRMED",
    Meeting.Status.HELD: "CONFIRMED",
    Meeting.Status.CANCELLED: "CANCELLED",
}


def meeting_uid(meeting: Meeting) -> str:
    return f"{meeting.uid}@{UID_DOMAIN}"


def meeting_event(meeting: Meeting) -> Event:
    tz = ZoneInfo(meeting.timezone)
    site = absolute_url()
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", meeting.updated_at)
    event.add("last-modified", meeting.updated_at)
    event.add("dtstart", meeting.starts_at.astimezone(tz))
    event.add("dtend", meeting.ends_at.astimezone(tz))
    event.add("summary", meeting.title)
    event.add("status", STATUS[meeting.status])
    event.add("url", f"{site}{meeting.get_absolute_url()}")
    if meeting.location:
        event.add("location", meeting.location)
    lines = [item.title for item in meeting.agenda_items.all()]
    description = "Agenda:\n" + "\n".join(f"{i}. {t}" for i, t in enumerate(lines, 1)) if lines else ""
    description += f"\n\nMeeting page: {site}{meeting.get_absolute_url()}"
    event.add("description", description.strip())
    if meeting.status == Meeting.Status.PLANNED:
        alarm_minutes = getattr(settings, "MEETINGS_ICS_ALARM_MINUTES", 0)
        if alarm_minutes:
            from icalendar import Alarm

            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", meeting.title)
            alarm.add("trigger", -timedelta(minutes=alarm_minutes))
            event.add_component(alarm)
    return event


def calendar_bytes(meetings: Iterable[Meeting], *, name: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("refresh-interval", vDuration(timedelta(hours=1)), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for meeting in meetings:
        cal.add_component(meeting_event(meeting))
    cal.add_missing_timezones()
    return cal.to_ical()


def cadence_series_bytes(cadence: Cadence, meetings: Iterable[Meeting]) -> bytes:
    """The cadence as one recurring event: DTSTART in its zone, its RRULE, EXDATE for cancelled
    occurrences and a RECURRENCE-ID override for each meeting moved off its slot.

    For people who want the series itself rather than the feed of meetings; use one or the other, as
    their UIDs differ.
    """
    tz = ZoneInfo(cadence.timezone)
    rule = recurrence.build_rule(cadence.rrule, cadence.dtstart)
    uid = f"cadence-{cadence.uid}@{UID_DOMAIN}"
    site = absolute_url()
    master = Event()
    master.add("uid", uid)
    master.add("dtstamp", cadence.updated_at)
    master.add("last-modified", cadence.updated_at)
    master.add("dtstart", cadence.dtstart)
    master.add("dtend", cadence.dtstart + timedelta(minutes=cadence.duration_minutes))
    master.add("rrule", vRecur.from_ical(cadence.rrule))
    master.add("summary", cadence.name)
    master.add("status", "CONFIRMED")
    master.add("url", f"{site}{cadence.get_absolute_url()}")
    if cadence.location:
        master.add("location", cadence.location)
    agenda = "\n".join(f"{i}. {line}" for i, line in enumerate(cadence.agenda_lines(), 1))
    master.add("description", f"{cadence.purpose}\n\nAgenda:\n{agenda}".strip())
    overrides = []
    exdates = []
    for meeting in meetings:
        if meeting.occurrence is None or meeting.occurrence not in rule:
            continue
        original = meeting.occurrence.astimezone(tz)
        if meeting.status == Meeting.Status.CANCELLED:
            exdates.append(original)
        elif meeting.starts_at != meeting.occurrence or meeting.duration_minutes != cadence.duration_minutes:
            override = meeting_event(meeting)
            del override["uid"]
            override.add("uid", uid)
            override.add("recurrence-id", original)
            overrides.append(override)
    if exdates:
        master.add("exdate", exdates)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", cadence.name)
    cal.add_component(master)
    for override in overrides:
        cal.add_component(override)
    cal.add_missing_timezones()
    return cal.to_ical()
