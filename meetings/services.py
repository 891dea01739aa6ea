"""Writes for the programme: glossary, topics, cadences and their meetings, agendas, action items, feeds.

Every function takes keyword arguments, validates what it is given (a ValidationError names the field
and nothing is written), and runs in one transaction.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from audit.recording import acting_as_actor, log_bulk_created, update_audited
from costdata.models import Explanation
from meetings import agenda, calendar, recurrence, selectors
from meetings.models import (
    ActionItem,
    AgendaItem,
    Attendance,
    Cadence,
    CalendarFeed,
    Decision,
    GlossaryTerm,
    Meeting,
    Topic,
)
from outbox.services import email_enqueue
from stakeholders.models import Group, Stakeholder, Team

logger = logging.getLogger(__name__)

MATERIALISE_TASK_NAME = "meetings.cadences_materialise"
SEND_AGENDAS_TASK_NAME = "meetings.agendas_send_due"


# --- Glossary ------------------------------------------------------------------------------------


def _apply(instance: Any, changes: dict[str, Any]) -> list[str]:
    """Set the fields that differ; list their names."""
    changed = []
    for name, value in changes.items():
        old = getattr(instance, name)
        if old != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed


def _full_clean(instance: Any, exclude: Iterable[str] = ()) -> None:
    instance.full_clean(exclude=list(exclude), validate_unique=True)


@acting_as_actor
@transaction.atomic
def glossary_term_create(
    *, term: str, definition: str, example: str = "", aliases: str = "", slug: str = "", actor: Any = None
) -> GlossaryTerm:
    item = GlossaryTerm(
        term=term.strip(),
        definition=definition.strip(),
        example=example.strip(),
        aliases=aliases.strip(),
        slug=slug or slugify(term),
    )
    _full_clean(item)
    item.save()
    return item


@acting_as_actor
@transaction.atomic
def glossary_term_update(*, item: GlossaryTerm, actor: Any = None, **changes: Any) -> GlossaryTerm:
    changed = _apply(item, changes)
    if changed:
        _full_clean(item)
        item.save(update_fields=[*changed, "updated_at"])
    return item


# --- Topics --------------------------------------------------------------------------------------


@acting_as_actor
@transaction.atomic
def topic_create(
    *,
    name: str,
    description: str,
    owning_group: str,
    review_frequency_days: int = 90,
    processes: list[str] | None = None,
    members: Iterable[Stakeholder] = (),
    glossary_terms: Iterable[GlossaryTerm] = (),
    slug: str = "",
    active: bool = True,
    actor: Any = None,
) -> Topic:
    topic = Topic(
        name=name.strip(),
        slug=slug or slugify(name),
        description=description.strip(),
        owning_group=owning_group,
        review_frequency_days=review_frequency_days,
        processes=list(processes or []),
        active=active,
    )
    _full_clean(topic)
    topic.save()
    topic.members.set(members)
    topic.glossary_terms.set(glossary_terms)
    return topic


@acting_as_actor
@transaction.atomic
def topic_update(
    *,
    topic: Topic,
    members: Iterable[Stakeholder] | None = None,
    glossary_terms: Iterable[GlossaryTerm] | None = None,
    actor: Any = None,
    **changes: Any,
) -> Topic:
    changed = _apply(topic, changes)
    if changed:
        _full_clean(topic)
        topic.save(update_fields=changed)
    if members is not None:
        topic.members.set(members)
    if glossary_terms is not None:
        topic.glossary_terms.set(glossary_terms)
    return topic


def topic_mark_discussed(*, topic: Topic, on: date) -> bool:
    """Move last_discussed forward to `on` (never backwards). True when it moved."""
    moved = update_audited(
        Topic.objects.filter(pk=topic.pk).filter(Q(last_discussed__isnull=True) | Q(last_discussed__lt=on)),
        last_discussed=on,
    )
    if moved:
        topic.last_discussed = on
    return bool(moved)


# --- Cadences ------------------------------------------------------------------------------------


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
    actor: Any = None,
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
    _full_clean(cadence)
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
    actor: Any = None,
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
    changed = _apply(cadence, changes)
    if changed:
        _full_clean(cadence)
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
    future = list(Meeting.objects.filter(cadence=cadence, starts_at__gt=now).order_by("starts_at"))
    wanted: list[datetime] = []
    if cadence.active:
        rule = recurrence.build_rule(cadence.rrule, cadence.dtstart)
        wanted = [
            dt.astimezone(UTC) for dt in recurrence.occurrences_after(rule, now, cadence.occurrences_ahead)
        ]
    taken = set(
        Meeting.objects.filter(cadence=cadence, occurrence__in=wanted).values_list("occurrence", flat=True)
    )
    free_slots = [occ for occ in wanted if occ not in taken]
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
        if free_slots:
            slot = free_slots.pop(0)
            meeting.occurrence = slot
            meeting.starts_at = slot
            meeting.duration_minutes = cadence.duration_minutes
            meeting.timezone = cadence.timezone
            meeting.sequence += 1
            meeting.save(
                update_fields=[
                    "occurrence",
                    "starts_at",
                    "duration_minutes",
                    "timezone",
                    "sequence",
                    "updated_at",
                ]
            )
            result.moved.append(meeting.pk)
        else:
            meeting.status = Meeting.Status.CANCELLED
            meeting.sequence += 1
            meeting.save(update_fields=["status", "sequence", "updated_at"])
            result.cancelled.append(meeting.pk)
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
        result.attendees_added += _attendees_ensure(meeting=meeting, people=participants)
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


def _attendees_ensure(*, meeting: Meeting, people: Iterable[Stakeholder]) -> int:
    existing = set(meeting.attendances.values_list("stakeholder_id", flat=True))
    new = [Attendance(meeting=meeting, stakeholder=p) for p in people if p.pk not in existing]
    if not new:
        return 0
    # ignore_conflicts leaves the primary keys unset: read back the rows this call added to audit them.
    Attendance.objects.bulk_create(new, ignore_conflicts=True)
    log_bulk_created(meeting.attendances.filter(stakeholder_id__in=[a.stakeholder_id for a in new]))
    return len(new)


def cadences_materialise_all(*, now: datetime | None = None) -> dict[int, MaterialiseResult]:
    return {c.pk: cadence_materialise(cadence=c, now=now) for c in Cadence.objects.filter(active=True)}


# --- Meetings ------------------------------------------------------------------------------------


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
    actor: Any = None,
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
    _full_clean(meeting, exclude=["occurrence"])
    meeting.save()
    people = list(attendees) or (selectors.cadence_participants(cadence=cadence) if cadence else [])
    _attendees_ensure(meeting=meeting, people=people)
    meeting_agenda_build(meeting=meeting)
    return meeting


@acting_as_actor
@transaction.atomic
def meeting_update(*, meeting: Meeting, actor: Any = None, **changes: Any) -> Meeting:
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
    changed = _apply(meeting, changes)
    if changed:
        if {"starts_at", "duration_minutes", "timezone", "title", "location"} & set(changed):
            meeting.sequence += 1
            changed.append("sequence")
        _full_clean(meeting, exclude=["occurrence"])
        meeting.save(update_fields=[*changed, "updated_at"])
    return meeting


@acting_as_actor
@transaction.atomic
def meeting_status_set(
    *, meeting: Meeting, status: str, extra: dict[str, Any] | None = None, actor: Any = None
) -> Meeting:
    """Mark a meeting held or cancelled (or planned again).

    Held: topics discussed at it get their last-discussed date, and the next meeting of the cadence has
    its agenda rebuilt, so the action items still open carry over to it.
    """
    if status not in Meeting.Status.values:
        raise ValidationError({"status": f"Choose one of {', '.join(Meeting.Status.values)}."})
    changed = _apply(meeting, {**(extra or {}), "status": status})
    if not changed:
        return meeting
    meeting.sequence += 1
    _full_clean(meeting, exclude=["occurrence"])
    meeting.save(update_fields=[*changed, "sequence", "updated_at"])
    if status == Meeting.Status.HELD:
        on = meeting.local_start().date()
        for item in meeting.agenda_items.filter(discussed=True, topic__isnull=False).select_related("topic"):
            topic_mark_discussed(topic=item.topic, on=on)
        for decision in meeting.decisions.filter(topic__isnull=False).select_related("topic"):
            topic_mark_discussed(topic=decision.topic, on=on)
        following = selectors.meeting_next_in_cadence(meeting=meeting)
        if following is not None and following.status == Meeting.Status.PLANNED:
            meeting_agenda_build(meeting=following)
    return meeting


@acting_as_actor
@transaction.atomic
def meeting_minutes_update(*, meeting: Meeting, minutes: str, actor: Any = None) -> Meeting:
    if meeting.minutes != minutes:
        meeting.minutes = minutes
        meeting.save(update_fields=["minutes", "updated_at"])
    return meeting


@acting_as_actor
@transaction.atomic
def attendance_set(
    *, meeting: Meeting, stakeholder: Stakeholder, status: str, actor: Any = None
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
                changed = _apply(item, values)
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
    changed = _apply(item, changes)
    if changed:
        item.save(update_fields=changed)
    if item.discussed and item.topic_id and item.meeting.starts_at <= timezone.now() + timedelta(hours=12):
        topic_mark_discussed(topic=item.topic, on=item.meeting.local_start().date())
    return item


@acting_as_actor(arg="recorded_by")
@transaction.atomic
def decision_create(
    *, meeting: Meeting, text: str, topic: Topic | None = None, recorded_by: Any = None
) -> Decision:
    if not text.strip():
        raise ValidationError({"text": "Write the decision."})
    decision = Decision.objects.create(
        meeting=meeting, text=text.strip(), topic=topic, recorded_by=recorded_by
    )
    if topic is not None and meeting.status == Meeting.Status.HELD:
        topic_mark_discussed(topic=topic, on=meeting.local_start().date())
    return decision


# --- Action items --------------------------------------------------------------------------------


@acting_as_actor(arg="created_by")
@transaction.atomic
def action_item_create(
    *,
    title: str,
    owner: Stakeholder,
    due_on: date | None = None,
    description: str = "",
    origin_meeting: Meeting | None = None,
    topic: Topic | None = None,
    created_by: Any = None,
    status: str = ActionItem.Status.OPEN,
    notify: bool = True,
    explanation: Explanation | None = None,
) -> ActionItem:
    item = ActionItem(
        explanation=explanation,
        title=title.strip(),
        owner=owner,
        due_on=due_on,
        description=description.strip(),
        origin_meeting=origin_meeting,
        topic=topic,
        created_by=created_by,
        status=status,
    )
    if not item.is_open:
        item.closed_at = timezone.now()
    _full_clean(item)
    if not owner.active:
        raise ValidationError({"owner": f"{owner.name} is no longer active."})
    item.save()
    if notify:
        transaction.on_commit(lambda: action_item_notify_assigned(action_item_id=item.pk))
    return item


@acting_as_actor
@transaction.atomic
def action_item_update(*, item: ActionItem, actor: Any = None, **changes: Any) -> ActionItem:
    previous_owner = item.owner_id
    changed = _apply(item, changes)
    if not changed:
        return item
    if "status" in changed:
        item.closed_at = None if item.is_open else timezone.now()
        changed.append("closed_at")
    _full_clean(item)
    item.save(update_fields=[*changed, "updated_at"])
    if item.owner_id != previous_owner:
        transaction.on_commit(lambda: action_item_notify_assigned(action_item_id=item.pk))
    return item


def action_item_notify_assigned(*, action_item_id: int) -> int:
    """Tell the owner an action item is theirs. Returns the number of deliveries queued (outbox)."""
    item = ActionItem.objects.select_related("owner", "origin_meeting").filter(pk=action_item_id).first()
    if item is None or not item.owner.email:
        return 0
    context = {"item": item, "site_url": settings.SITE_URL.rstrip("/")}
    email_enqueue(
        kind="action_item_assigned",
        to=[item.owner.email],
        subject=f"Action item for you: {item.title}",
        text=render_to_string("meetings/email/action_item_assigned.txt", context),
        reference=f"action_item:{item.pk}",
    )
    return 1


# --- Agenda email --------------------------------------------------------------------------------


@transaction.atomic
def meeting_agenda_send(*, meeting_id: int, force: bool = False) -> int:
    """Email the agenda (with the meeting's .ics) to its attendees, once. Returns deliveries queued.

    The send is claimed with a conditional update (agenda_sent_at IS NULL), so two workers running the
    schedule at once send it once. The claim and the queued delivery commit together; the outbox
    retries a failed delivery.
    """
    now = timezone.now()
    claim = Meeting.objects.filter(pk=meeting_id, status=Meeting.Status.PLANNED)
    if not force:
        claim = claim.filter(agenda_sent_at__isnull=True)
    if update_audited(claim, agenda_sent_at=now) == 0:
        return 0
    meeting = selectors.meeting_detail(pk=meeting_id)
    items = meeting_agenda_build(meeting=meeting)
    recipients = sorted(
        {
            a.stakeholder.email
            for a in meeting.attendances.all()
            if a.stakeholder.active and a.stakeholder.email
        }
    )
    if not recipients:
        return 0
    context = {"meeting": meeting, "items": items, "site_url": settings.SITE_URL.rstrip("/")}
    ics = calendar.calendar_bytes([meeting], name=meeting.title).decode()
    email_enqueue(
        kind="agenda",
        to=recipients,
        subject=f"Agenda: {meeting.title}, {meeting.local_start():%a %d %b %Y %H:%M} {meeting.timezone}",
        text=render_to_string("meetings/email/agenda.txt", context),
        reference=f"meeting:{meeting.pk}",
        attachments=[(f"meeting-{meeting.pk}.ics", ics, "text/calendar")],
    )
    return 1


def agendas_send_due(*, now: datetime | None = None) -> list[int]:
    """Send the agenda of every planned meeting that is within its cadence's notice period."""
    now = now or timezone.now()
    default_days = getattr(settings, "MEETINGS_AGENDA_DAYS_BEFORE", 3)
    horizon = now + timedelta(
        days=max(
            [
                default_days,
                *Cadence.objects.exclude(agenda_days_before=None).values_list(
                    "agenda_days_before", flat=True
                ),
            ]
        )
    )
    sent = []
    candidates = Meeting.objects.select_related("cadence").filter(
        status=Meeting.Status.PLANNED, agenda_sent_at__isnull=True, starts_at__gt=now, starts_at__lte=horizon
    )
    for meeting in candidates:
        days = meeting.cadence.effective_agenda_days_before() if meeting.cadence else default_days
        if meeting.starts_at > now + timedelta(days=days):
            continue
        try:
            if meeting_agenda_send(meeting_id=meeting.pk):
                sent.append(meeting.pk)
        except Exception:  # one unreachable mail server must not hold back the other meetings
            logger.exception("agenda send failed meeting_id=%s", meeting.pk)
    return sent


# --- Calendar feeds ------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@acting_as_actor(arg="created_by")
@transaction.atomic
def calendar_feed_create(
    *, cadence: Cadence | None = None, stakeholder: Stakeholder | None = None, created_by: Any = None
) -> tuple[CalendarFeed, str]:
    """A new secret feed URL. Returns the feed and its token, which is never stored and shown only now."""
    if (cadence is None) == (stakeholder is None):
        raise ValidationError({"cadence": "A feed is for one cadence or one stakeholder."})
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(
        kind=CalendarFeed.Kind.CADENCE if cadence else CalendarFeed.Kind.STAKEHOLDER,
        cadence=cadence,
        stakeholder=stakeholder,
        token_hash=token_hash(token),
        token_hint=token[:6],
        created_by=created_by,
    )
    return feed, token


@acting_as_actor
@transaction.atomic
def calendar_feed_revoke(*, feed: CalendarFeed, actor: Any = None) -> CalendarFeed:
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
    return feed


@acting_as_actor(arg="created_by")
@transaction.atomic
def calendar_feed_rotate(*, feed: CalendarFeed, created_by: Any = None) -> tuple[CalendarFeed, str]:
    """Revoke a feed and issue its replacement for the same subject."""
    calendar_feed_revoke(feed=feed, actor=created_by)
    return calendar_feed_create(cadence=feed.cadence, stakeholder=feed.stakeholder, created_by=created_by)


def calendar_feed_resolve(*, token: str) -> CalendarFeed | None:
    """The active feed a token opens, or None. Records when it was last read (at most once a minute)."""
    feed = (
        CalendarFeed.objects.select_related("cadence", "stakeholder")
        .filter(token_hash=token_hash(token), revoked_at__isnull=True)
        .first()
    )
    if feed is not None:
        now = timezone.now()
        if feed.last_used_at is None or now - feed.last_used_at > timedelta(minutes=1):
            CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    return feed
