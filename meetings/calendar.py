"""iCalendar files and feeds for meetings, made with the icalendar library.

Each meeting is one VEVENT whose UID never changes (the meeting's UUID), with SEQUENCE bumped whenever
its time or status changes, so a subscribed calendar updates the event instead of adding a second one.
Times are written in the meeting's own time zone (DTSTART;TZID=Europe/London:...) with the matching
VTIMEZONE, so a 10:00 meeting stays at 10:00 local across daylight-saving changes. A cancelled meeting
stays in feeds with STATUS:CANCELLED, which tells clients to remove it.

Feeds list materialised meetings rather than one master event with an RRULE: a meeting can be moved,
cancelled or given its own agenda, and editing a cadence's rule must not rewrite past meetings — both
of which a single RRULE series cannot say. The occurrences are still exactly the rule's (see tests).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from icalendar import Calendar, Event, vDuration

from meetings.models import Meeting

PRODID = "-//Cloud spend partnership//Meetings//EN"
UID_DOMAIN = "partnership.meetings"
STATUS = {
    Meeting.Status.PLANNED: "CONFIRMED",
    Meeting.Status.HELD: "CONFIRMED",
    Meeting.Status.CANCELLED: "CANCELLED",
}


def meeting_uid(meeting: Meeting) -> str:
    return f"{meeting.uid}@{UID_DOMAIN}"


def meeting_event(meeting: Meeting) -> Event:
    tz = ZoneInfo(meeting.timezone)
    site = settings.SITE_URL.rstrip("/")
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
