"""Writes for one meeting: its time and status, attendance, minutes and agenda."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.recording import acting_as_actor, log_bulk_created
from common.types import AnyUser
from common.updates import apply_changes
from meetings import agenda, recurrence, selectors
from meetings.models import AgendaItem, Attendance, Cadence, Meeting, Topic
from meetings.services.topics import topic_mark_discussed
from stakeholders.models import Stakeholder


@acting_as_actor
@transaction.atomic
def meeting_create(
    *,
    title: str,
    starts_at: datetime,
    timezone_name: str,
    duration_minutes: int = 60,
    location: str = "",
    attendees: Iterable[Stakeholder] = (),
    cadence: Cadence | None = None,
    actor: AnyUser | None = None,
) -> Meeting:
    """An ad-hoc meeting (or an extra one in a cadence, outside its rule)."""
    try:
        recurrence.validate_timezone(timezone_name)
    except recurrence.RecurrenceError as exc:
        raise ValidationError({"timezone": str(exc)}) from exc
    if timezone.is_naive(starts_at):
        raise ValidationError({"starts_at": "Give the time with its time zone offset."})
    meeting = Meeting(
        title=title.strip(),
        starts_at=starts_at,
        timezone=timezone_name.strip(),
        duration_minutes=duration_minutes,
        location=location,
        cadence=cadence,
    )
    meeting.full_clean(exclude=["occurrence"])
    meeting.save()
    people = list(attendees) or (selectors.cadence_participants(cadence=cadence) if cadence else [])
    attendees_ensure(meeting=meeting, people=people)
    meeting_agenda_build(meeting=meeting)
    return meeting


@acting_as_actor
@transaction.atomic
def meeting_update(*, meeting: Meeting, actor: AnyUser | None = None, **changes: Any) -> Meeting:
    """Edit one meeting. A new time or status bumps the iCalendar SEQUENCE so calendars update the event."""
    if "timezone_name" in changes:
        changes["timezone"] = changes.pop("timezone_name")
    if "timezone" in changes:
        try:
            recurrence.validate_timezone(changes["timezone"])
        except recurrence.RecurrenceError as exc:
            raise ValidationError({"timezone": str(exc)}) from exc
    if "starts_at" in changes and timezone.is_naive(changes["starts_at"]):
        raise ValidationError({"starts_at": "Give the time with its time zone offset."})
    if "status" in changes and changes["status"] != meeting.status:
        return meeting_status_set(meeting=meeting, status=changes.pop("status"), extra=changes, actor=actor)
    changed = apply_changes(instance=meeting, changes=changes)
    if changed:
        if {"starts_at", "duration_minutes", "timezone", "title", "location"} & set(changed):
            meeting.sequence += 1
            changed.append("sequence")
        meeting.full_clean(exclude=["occurrence"])
        meeting.save(update_fields=[*changed, "updated_at"])
    return meeting


@acting_as_actor
@transaction.atomic
def meeting_status_set(
    *, meeting: Meeting, status: str, extra: dict[str, Any] | None = None, actor: AnyUser | None = None
) -> Meeting:
    """Mark a meeting held or cancelled (or planned again).

    Held: topics discussed at it get their last-discussed date, and the next meeting of the cadence has
    its agenda rebuilt, so the action items still open carry over to it.
    """
    if status not in Meeting.Status.values:
        raise ValidationError({"status": f"Choose one of {', '.join(Meeting.Status.values)}."})
    changed = apply_changes(instance=meeting, changes={**(extra or {}), "status": status})
    if not changed:
        return meeting
    meeting.sequence += 1
    meeting.full_clean(exclude=["occurrence"])
    meeting.save(update_fields=[*changed, "sequence", "updated_at"])
    if status == Meeting.Status.HELD:
        on = meeting.local_start().date()
        discussed = Topic.objects.filter(
            Q(pk__in=meeting.agenda_items.filter(discussed=True).values("topic_id"))
            | Q(pk__in=meeting.decisions.values("topic_id"))
        )
        for topic in discussed:
            topic_mark_discussed(topic=topic, on=on)
        following = selectors.meeting_next_in_cadence(meeting=meeting)
        if following is not None and following.status == Meeting.Status.PLANNED:
            meeting_agenda_build(meeting=following)
    return meeting


@acting_as_actor
@transaction.atomic
def meeting_minutes_update(*, meeting: Meeting, minutes: str, actor: AnyUser | None = None) -> Meeting:
    if meeting.minutes != minutes:
        meeting.minutes = minutes
        meeting.save(update_fields=["minutes", "updated_at"])
    return meeting


@acting_as_actor
@transaction.atomic
def attendance_set(
    *, meeting: Meeting, stakeholder: Stakeholder, status: str, actor: AnyUser | None = None
) -> Attendance:
    if status not in Attendance.Status.values:
        raise ValidationError({"status": f"Choose one of {', '.join(Attendance.Status.values)}."})
    row, created = Attendance.objects.get_or_create(
        meeting=meeting, stakeholder=stakeholder, defaults={"status": status}
    )
    if not created and row.status != status:
        row.status = status
        row.save(update_fields=["status", "updated_at"])
    return row


@transaction.atomic
def meeting_agenda_build(*, meeting: Meeting) -> list[AgendaItem]:
    """Ask every registered provider (meetings.agenda) what belongs on the agenda, and upsert it.

    Items are keyed "<provider>:<ref>", so a rebuild updates in place. A provider's item it no longer
    proposes is removed unless it was discussed or has notes; manual items are left alone. Held and
    cancelled meetings keep the agenda they had.
    """
    if meeting.status != Meeting.Status.PLANNED:
        return list(meeting.agenda_items.all())
    existing = {item.key: item for item in meeting.agenda_items.all()}
    proposed_keys: set[str] = set()
    position = 0
    for provider in agenda.providers():
        for proposal in provider.propose(meeting):
            position += 1
            key = f"{provider.key}:{proposal.ref}"[:120]
            proposed_keys.add(key)
            values = {
                "position": position,
                "source": provider.key,
                "title": proposal.title[:300],
                "detail": proposal.detail,
                "url": proposal.url[:300],
                "topic_id": proposal.topic_id,
                "action_item_id": proposal.action_item_id,
            }
            item = existing.get(key)
            if item is None:
                existing[key] = AgendaItem.objects.create(meeting=meeting, key=key, **values)
            else:
                changed = apply_changes(instance=item, changes=values)
                if changed:
                    item.save(update_fields=changed)
    manual_offset = position
    for key, item in list(existing.items()):
        if key in proposed_keys:
            continue
        if item.source == "manual":
            manual_offset += 1
            if item.position != manual_offset:
                item.position = manual_offset
                item.save(update_fields=["position"])
        elif not item.discussed and not item.notes:
            item.delete()
            del existing[key]
    return sorted(existing.values(), key=lambda i: (i.position, i.pk))


@transaction.atomic
def agenda_item_add(*, meeting: Meeting, title: str, detail: str = "") -> AgendaItem:
    if not title.strip():
        raise ValidationError({"title": "An agenda item needs a title."})
    position = (
        meeting.agenda_items.order_by("-position").values_list("position", flat=True).first() or 0
    ) + 1
    return AgendaItem.objects.create(
        meeting=meeting,
        key=f"manual:{secrets.token_hex(6)}",
        source="manual",
        title=title.strip(),
        detail=detail,
        position=position,
    )


@transaction.atomic
def agenda_item_update(
    *, item: AgendaItem, discussed: bool | None = None, notes: str | None = None
) -> AgendaItem:
    """Tick an item discussed (its topic's last-discussed date moves to the meeting's date) or note on it."""
    changes: dict[str, Any] = {}
    if discussed is not None:
        changes["discussed"] = discussed
    if notes is not None:
        changes["notes"] = notes
    changed = apply_changes(instance=item, changes=changes)
    if changed:
        item.save(update_fields=changed)
    if (
        item.discussed
        and item.topic is not None
        and item.meeting.starts_at <= timezone.now() + timedelta(hours=12)
    ):
        topic_mark_discussed(topic=item.topic, on=item.meeting.local_start().date())
    return item


def attendees_ensure(*, meeting: Meeting, people: Iterable[Stakeholder]) -> int:
    existing = set(meeting.attendances.values_list("stakeholder_id", flat=True))
    new = [Attendance(meeting=meeting, stakeholder=p) for p in people if p.pk not in existing]
    if not new:
        return 0
    # ignore_conflicts leaves the primary keys unset: read back the rows this call added to audit them.
    Attendance.objects.bulk_create(new, ignore_conflicts=True)
    log_bulk_created(meeting.attendances.filter(stakeholder_id__in=[a.stakeholder_id for a in new]))
    return len(new)
