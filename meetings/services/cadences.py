"""Writes for cadences: their schedule, participants, and the meetings they keep scheduled."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.recording import acting_as_actor
from common.types import AnyUser
from common.updates import apply_changes
from meetings import recurrence, selectors
from meetings.models import Cadence, Meeting
from meetings.services.meetings import attendees_ensure, meeting_agenda_build
from stakeholders.models import Group, Stakeholder, Team

logger = logging.getLogger(__name__)

MATERIALISE_TASK_NAME = "meetings.cadences_materialise"


def _validated_schedule(
    *, rrule: str, timezone_name: str, starts_on: date, start_time: time
) -> tuple[str, str]:
    errors: dict[str, str] = {}
    tz = None
    try:
        tz = recurrence.validate_timezone(timezone_name)
    except recurrence.RecurrenceError as exc:
        errors["timezone"] = str(exc)
    rule = recurrence.normalise_rule(rrule)
    if tz is not None:
        try:
            recurrence.build_rule(rule, recurrence.series_start(starts_on, start_time, tz))
        except recurrence.RecurrenceError as exc:
            errors["rrule"] = str(exc)
    if errors:
        raise ValidationError(errors)
    return rule, timezone_name.strip()


def _validated_groups(groups: Iterable[str]) -> list[str]:
    groups = list(dict.fromkeys(groups))
    unknown = [g for g in groups if g not in Group.values]
    if unknown:
        raise ValidationError(
            {
                "participant_groups": f"Unknown group(s): {', '.join(unknown)}; choose from {', '.join(Group.values)}."
            }
        )
    return groups


@acting_as_actor
@transaction.atomic
def cadence_create(
    *,
    name: str,
    rrule: str,
    timezone_name: str,
    starts_on: date,
    start_time: time,
    duration_minutes: int = 60,
    purpose: str = "",
    scope_team: Team | None = None,
    participants: Iterable[Stakeholder] = (),
    participant_groups: Iterable[str] = (),
    agenda_template: str | None = None,
    location: str = "",
    occurrences_ahead: int = 3,
    agenda_days_before: int | None = None,
    active: bool = True,
    now: datetime | None = None,
    actor: AnyUser | None = None,
) -> Cadence:
    rule, tz_name = _validated_schedule(
        rrule=rrule, timezone_name=timezone_name, starts_on=starts_on, start_time=start_time
    )
    cadence = Cadence(
        name=name.strip(),
        purpose=purpose.strip(),
        scope_team=scope_team,
        rrule=rule,
        timezone=tz_name,
        starts_on=starts_on,
        start_time=start_time,
        duration_minutes=duration_minutes,
        participant_groups=_validated_groups(participant_groups),
        location=location,
        occurrences_ahead=occurrences_ahead,
        agenda_days_before=agenda_days_before,
        active=active,
    )
    if agenda_template is not None:
        cadence.agenda_template = agenda_template
    cadence.full_clean()
    cadence.save()
    cadence.participants.set(participants)
    if cadence.active:
        cadence_materialise(cadence=cadence, now=now)
    return cadence


SCHEDULE_FIELDS = {"rrule", "timezone", "starts_on", "start_time", "duration_minutes", "occurrences_ahead"}


@acting_as_actor
@transaction.atomic
def cadence_update(
    *,
    cadence: Cadence,
    participants: Iterable[Stakeholder] | None = None,
    now: datetime | None = None,
    actor: AnyUser | None = None,
    **changes: Any,
) -> Cadence:
    """Change a cadence. A new rule, zone, start or duration moves its future planned meetings, never past ones."""
    if "timezone_name" in changes:
        changes["timezone"] = changes.pop("timezone_name")
    merged = {
        f: changes.get(f, getattr(cadence, f)) for f in ("rrule", "timezone", "starts_on", "start_time")
    }
    changes["rrule"], changes["timezone"] = _validated_schedule(
        rrule=merged["rrule"],
        timezone_name=merged["timezone"],
        starts_on=merged["starts_on"],
        start_time=merged["start_time"],
    )
    if "participant_groups" in changes:
        changes["participant_groups"] = _validated_groups(changes["participant_groups"])
    changed = apply_changes(instance=cadence, changes=changes)
    if changed:
        cadence.full_clean()
        cadence.save(update_fields=[*changed, "updated_at"])
    if participants is not None:
        cadence.participants.set(participants)
    if (
        SCHEDULE_FIELDS & set(changed)
        or participants is not None
        or "participant_groups" in changed
        or "active" in changed
        or "agenda_template" in changed
    ):
        cadence_materialise(cadence=cadence, now=now)
    return cadence


@dataclass
class MaterialiseResult:
    created: list[int] = field(default_factory=list)
    moved: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    attendees_added: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.moved or self.cancelled or self.attendees_added)


@transaction.atomic
def cadence_materialise(*, cadence: Cadence, now: datetime | None = None) -> MaterialiseResult:
    """Keep the cadence's next `occurrences_ahead` occurrences scheduled as meetings.

    1. Lock the cadence row, so two workers never materialise it at once.
    2. Compute the wanted occurrences (strictly after now) from the rule in the cadence's time zone.
    3. Future meetings whose occurrence is still wanted stay as they are (a meeting moved by hand
       keeps its own time; a cancelled one is not recreated).
    4. Future planned meetings no longer wanted are moved, in order, onto wanted occurrences that have
       no meeting (keeping their UID, attendees and notes); those left over are cancelled.
    5. Wanted occurrences still without a meeting are created, with attendees and an agenda.
    Meetings that started before now are never touched. Running it twice changes nothing.
    """
    now = now or timezone.now()
    cadence = Cadence.objects.select_for_update().get(pk=cadence.pk)
    result = MaterialiseResult()
    wanted = _wanted_occurrences(cadence=cadence, now=now)
    taken = set(
        Meeting.objects.filter(cadence=cadence, occurrence__in=wanted).values_list("occurrence", flat=True)
    )
    free_slots = [occ for occ in wanted if occ not in taken]
    _move_or_cancel(cadence=cadence, now=now, wanted=wanted, free_slots=free_slots, result=result)
    for slot in free_slots:
        meeting = Meeting.objects.create(
            cadence=cadence,
            title=cadence.name,
            starts_at=slot,
            occurrence=slot,
            duration_minutes=cadence.duration_minutes,
            timezone=cadence.timezone,
            location=cadence.location,
        )
        result.created.append(meeting.pk)
    participants = selectors.cadence_participants(cadence=cadence)
    for meeting in Meeting.objects.filter(cadence=cadence, starts_at__gt=now, status=Meeting.Status.PLANNED):
        result.attendees_added += attendees_ensure(meeting=meeting, people=participants)
        if meeting.pk in result.created or meeting.pk in result.moved:
            meeting_agenda_build(meeting=meeting)
    if result.changed:
        logger.info(
            "cadence materialised cadence_id=%s created=%s moved=%s cancelled=%s",
            cadence.pk,
            result.created,
            result.moved,
            result.cancelled,
        )
    return result


def _wanted_occurrences(*, cadence: Cadence, now: datetime) -> list[datetime]:
    """The cadence's next `occurrences_ahead` occurrences strictly after now, in UTC; none if inactive."""
    if not cadence.active:
        return []
    rule = recurrence.build_rule(cadence.rrule, cadence.dtstart)
    return [dt.astimezone(UTC) for dt in recurrence.occurrences_after(rule, now, cadence.occurrences_ahead)]


def _move_or_cancel(
    *,
    cadence: Cadence,
    now: datetime,
    wanted: list[datetime],
    free_slots: list[datetime],
    result: MaterialiseResult,
) -> None:
    """Move future planned meetings no longer wanted onto free slots, in order (taking them from
    `free_slots`); cancel those left over."""
    future = Meeting.objects.filter(cadence=cadence, starts_at__gt=now).order_by("starts_at")
    # Only meetings standing for a future occurrence follow the rule: an extra meeting added by hand
    # (no occurrence) and one whose occurrence has passed (a meeting postponed by hand) keep their time.
    movable = [
        m
        for m in future
        if m.occurrence is not None
        and m.occurrence > now
        and m.occurrence not in wanted
        and m.status == Meeting.Status.PLANNED
    ]
    for meeting in movable:
        meeting.sequence += 1
        if free_slots:
            slot = free_slots.pop(0)
            meeting.occurrence = meeting.starts_at = slot
            meeting.duration_minutes = cadence.duration_minutes
            meeting.timezone = cadence.timezone
            moved = ["occurrence", "starts_at", "duration_minutes", "timezone", "sequence", "updated_at"]
            meeting.save(update_fields=moved)
            result.moved.append(meeting.pk)
        else:
            meeting.status = Meeting.Status.CANCELLED
            meeting.save(update_fields=["status", "sequence", "updated_at"])
            result.cancelled.append(meeting.pk)


def cadences_materialise_all(*, now: datetime | None = None) -> dict[int, MaterialiseResult]:
    return {c.pk: cadence_materialise(cadence=c, now=now) for c in Cadence.objects.filter(active=True)}
