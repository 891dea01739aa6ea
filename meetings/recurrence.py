"""RFC 5545 recurrence and IANA time zones for cadences. Pure: no Django imports.

A cadence keeps its rule without DTSTART (the start date and local time are separate fields) and its
time zone as an IANA name; occurrences are computed in local wall-clock time, so a 10:00 meeting stays
at 10:00 across daylight-saving changes.
"""

from __future__ import annotations

from datetime import date, datetime, time
from itertools import islice
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dateutil.rrule import rrule, rrulestr

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
ALLOWED_FREQUENCIES = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
PRESETS = {
    "weekly": "Weekly",
    "fortnightly": "Fortnightly",
    "monthly_nth_weekday": "Monthly on the n-th weekday",
    "quarterly": "Quarterly on the n-th weekday",
}


# Files some systems ship beside the IANA zones; not zone names a person means.
_NOT_ZONES = {"localtime", "posixrules", "Factory"}


class RecurrenceError(ValueError):
    """A rule or time zone that cannot be used, with a message fit to show the person who typed it."""


def normalise_rule(text: str) -> str:
    rule = (text or "").strip()
    if rule.upper().startswith("RRULE:"):
        rule = rule[len("RRULE:") :]
    return rule.upper()


def validate_timezone(name: str) -> ZoneInfo:
    name = (name or "").strip()
    if not name:
        raise RecurrenceError("A time zone is required, e.g. Europe/London.")
    # ZoneInfo also accepts odd keys such as "localtime" or file paths; only IANA names are kept.
    if name not in available_timezones() or name in _NOT_ZONES or name.startswith(("posix/", "right/")):
        raise RecurrenceError(
            f"“{name}” is not an IANA time zone name (e.g. Europe/London, America/New_York)."
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # pragma: no cover - guarded above
        raise RecurrenceError(f"“{name}” is not a known time zone.") from exc


def series_start(starts_on: date, start_time: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(starts_on, start_time).replace(tzinfo=tz)


def build_rule(rule_text: str, dtstart: datetime) -> rrule:
    """Parse and check a rule; raise RecurrenceError with a readable message when it cannot be used."""
    rule = normalise_rule(rule_text)
    if not rule:
        raise RecurrenceError("A recurrence rule is required, e.g. FREQ=MONTHLY;BYDAY=+2TU.")
    if "\n" in rule or "DTSTART" in rule or "EXDATE" in rule or "RDATE" in rule:
        raise RecurrenceError("Give a single RRULE without DTSTART, EXDATE or RDATE lines.")
    parts = dict(part.partition("=")[::2] for part in rule.split(";") if part)
    freq = parts.get("FREQ")
    if freq is None:
        raise RecurrenceError("The rule needs a FREQ, e.g. FREQ=WEEKLY.")
    if freq not in ALLOWED_FREQUENCIES:
        raise RecurrenceError(f"FREQ={freq} is not allowed: use DAILY, WEEKLY, MONTHLY or YEARLY.")
    try:
        parsed = rrulestr(rule, dtstart=dtstart, forceset=False)
    except (ValueError, TypeError, KeyError) as exc:
        raise RecurrenceError(f"Not a valid RFC 5545 recurrence rule: {exc}.") from exc
    if not isinstance(parsed, rrule):  # pragma: no cover - forceset=False and no set lines
        raise RecurrenceError("Give a single RRULE.")
    if next(iter(parsed), None) is None:
        raise RecurrenceError("The rule never produces a date.")
    return parsed


def occurrences_after(rule: rrule, after: datetime, count: int) -> list[datetime]:
    """The next `count` occurrences strictly after `after` (any aware datetime)."""
    return list(islice(rule.xafter(after, inc=False), count))


def occurrences_between(rule: rrule, start: datetime, end: datetime) -> list[datetime]:
    """Occurrences in [start, end)."""
    return [dt for dt in rule.between(start, end, inc=True) if dt < end]


def preset_rule(preset: str, starts_on: date) -> str:
    """The rule for a preset, anchored on the weekday (and its n-th place in the month) of `starts_on`."""
    weekday = WEEKDAY_CODES[starts_on.weekday()]
    nth = (starts_on.day - 1) // 7 + 1
    ordinal = "-1" if nth == 5 else f"+{nth}"
    if preset == "weekly":
        return f"FREQ=WEEKLY;BYDAY={weekday}"
    if preset == "fortnightly":
        return f"FREQ=WEEKLY;INTERVAL=2;BYDAY={weekday}"
    if preset == "monthly_nth_weekday":
        return f"FREQ=MONTHLY;BYDAY={ordinal}{weekday}"
    if preset == "quarterly":
        return f"FREQ=MONTHLY;INTERVAL=3;BYDAY={ordinal}{weekday}"
    raise RecurrenceError(f"Unknown preset “{preset}”: choose one of {', '.join(PRESETS)}.")


_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
_DAY_NAMES = dict(
    zip(
        WEEKDAY_CODES,
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        strict=True,
    )
)


def describe(rule_text: str) -> str:
    """A short English reading of common rules; the raw rule otherwise."""
    rule = normalise_rule(rule_text)
    parts = dict(part.partition("=")[::2] for part in rule.split(";") if part)
    freq, interval, byday = parts.get("FREQ"), int(parts.get("INTERVAL", "1") or 1), parts.get("BYDAY", "")
    days = byday.split(",") if byday else []
    if freq == "WEEKLY" and days and all(d in _DAY_NAMES for d in days):
        names = ", ".join(_DAY_NAMES[d] for d in days)
        return f"Every {names}" if interval == 1 else f"Every {interval} weeks on {names}"
    if freq == "MONTHLY" and len(days) == 1 and days[0][-2:] in _DAY_NAMES and days[0][:-2]:
        try:
            nth = int(days[0][:-2])
        except ValueError:
            return rule
        label = f"the {_ORDINALS.get(nth, str(nth))} {_DAY_NAMES[days[0][-2:]]}"
        if interval == 1:
            return f"Monthly on {label}"
        if interval == 3:
            return f"Quarterly on {label} of the month"
        return f"Every {interval} months on {label}"
    return rule
