"""Reads for the programme's pages, API and agenda providers."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from audit.selectors import ObjectHistory, history_for
from meetings import permissions
from meetings.cost_items import COST_PROVIDERS
from meetings.models import (
    ActionItem,
    Attendance,
    Cadence,
    CalendarFeed,
    GlossaryTerm,
    Meeting,
    Topic,
)
from stakeholders.models import Stakeholder


def glossary_term_list(*, q: str = "") -> QuerySet[GlossaryTerm]:
    terms = GlossaryTerm.objects.prefetch_related("topics")
    if q:
        terms = terms.filter(
            Q(term__icontains=q)
            | Q(definition__icontains=q)
            | Q(aliases__icontains=q)
            | Q(example__icontains=q)
        )
    return terms


def topic_list(
    *, q: str = "", group: str = "", due_on: date | None = None, active_only: bool = True
) -> QuerySet[Topic]:
    topics = Topic.objects.prefetch_related("members", "glossary_terms")
    if active_only:
        topics = topics.filter(active=True)
    if q:
        topics = topics.filter(Q(name__icontains=q) | Q(description__icontains=q))
    if group:
        topics = topics.filter(owning_group=group)
    if due_on is not None:
        topics = topics.filter(_due_condition(due_on))
    return topics


def _due_condition(on: date) -> Q:
    # Due when never discussed, or when last_discussed + review_frequency_days <= on. The catalogue is
    # a few dozen rows, so the day arithmetic runs in Python rather than in backend-specific SQL.
    return Q(last_discussed__isnull=True) | Q(pk__in=topic_ids_due(on))


def topic_ids_due(on: date) -> list[int]:
    rows = Topic.objects.filter(last_discussed__isnull=False).values_list(
        "pk", "last_discussed", "review_frequency_days"
    )
    return [pk for pk, last, days in rows if last is not None and (on - last).days >= days]


def topic_list_due(*, on: date) -> QuerySet[Topic]:
    """The "topics due" selector: active topics whose review frequency has elapsed by `on`."""
    return topic_list(due_on=on).order_by(F("last_discussed").asc(nulls_first=True), "name")


def cadence_list(*, q: str = "", active_only: bool = False) -> QuerySet[Cadence]:
    cadences = Cadence.objects.select_related("scope_team").prefetch_related("participants")
    if active_only:
        cadences = cadences.filter(active=True)
    if q:
        cadences = cadences.filter(Q(name__icontains=q) | Q(purpose__icontains=q))
    return cadences


def cadence_participants(*, cadence: Cadence) -> list[Stakeholder]:
    """Named participants plus every active member of the invited groups, once each, by name."""
    people = {s.pk: s for s in cadence.participants.filter(active=True)}
    if cadence.participant_groups:
        for s in Stakeholder.objects.filter(active=True, group__in=cadence.participant_groups):
            people.setdefault(s.pk, s)
    return sorted(people.values(), key=lambda s: s.name)


def meeting_list(
    *,
    viewer: Any = None,
    q: str = "",
    cadence_id: int | None = None,
    status: str = "",
    start: datetime | None = None,
    end: datetime | None = None,
    stakeholder: Stakeholder | None = None,
) -> QuerySet[Meeting]:
    meetings = Meeting.objects.select_related("cadence")
    if viewer is not None:
        meetings = permissions.visible_meetings(viewer, meetings)
    if q:
        meetings = meetings.filter(Q(title__icontains=q) | Q(minutes__icontains=q))
    if cadence_id:
        meetings = meetings.filter(cadence_id=cadence_id)
    if status:
        meetings = meetings.filter(status=status)
    if start:
        meetings = meetings.filter(starts_at__gte=start)
    if end:
        meetings = meetings.filter(starts_at__lt=end)
    if stakeholder is not None:
        meetings = meetings.filter(attendances__stakeholder=stakeholder)
    return meetings


def meeting_detail(*, pk: int, viewer: Any = None) -> Meeting:
    """The meeting with its records; Meeting.DoesNotExist when a given viewer may not read it."""
    meetings = Meeting.objects.all()
    if viewer is not None:
        meetings = permissions.visible_meetings(viewer, meetings)
    return (
        meetings.select_related("cadence", "cadence__scope_team")
        .prefetch_related("attendances__stakeholder", "agenda_items", "decisions", "action_items__owner")
        .get(pk=pk)
    )


def meeting_next_in_cadence(*, meeting: Meeting) -> Meeting | None:
    if meeting.cadence_id is None:
        return None
    return (
        Meeting.objects.filter(cadence_id=meeting.cadence_id, starts_at__gt=meeting.starts_at)
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("starts_at")
        .first()
    )


def action_item_list(
    *,
    viewer: Any = None,
    q: str = "",
    owner: Stakeholder | None = None,
    status: str = "",
    open_only: bool = False,
) -> QuerySet[ActionItem]:
    items = ActionItem.objects.select_related("owner", "origin_meeting", "topic")
    if viewer is not None:
        items = permissions.visible_action_items(viewer, items)
    if q:
        items = items.filter(Q(title__icontains=q) | Q(description__icontains=q))
    if owner is not None:
        items = items.filter(owner=owner)
    if status:
        items = items.filter(status=status)
    if open_only:
        items = items.filter(status__in=ActionItem.OPEN_STATUSES)
    return items


def action_item_list_carried_to(*, meeting: Meeting) -> QuerySet[ActionItem]:
    """Open items raised at earlier meetings of the meeting's cadence: they stay on its agenda until closed."""
    if meeting.cadence_id is None:
        return ActionItem.objects.none()
    return (
        action_item_list(open_only=True)
        .filter(
            origin_meeting__cadence_id=meeting.cadence_id, origin_meeting__starts_at__lt=meeting.starts_at
        )
        .order_by("due_on", "pk")
    )


def stakeholder_open_action_items(*, stakeholder: Stakeholder) -> QuerySet[ActionItem]:
    return action_item_list(owner=stakeholder, open_only=True).order_by(
        F("due_on").asc(nulls_last=True), "pk"
    )


def stakeholder_meetings(*, stakeholder: Stakeholder, upcoming: bool, limit: int = 10) -> list[Attendance]:
    now = timezone.now()
    rows = Attendance.objects.filter(stakeholder=stakeholder).select_related("meeting", "meeting__cadence")
    if upcoming:
        rows = rows.filter(meeting__starts_at__gte=now).order_by("meeting__starts_at")
    else:
        rows = rows.filter(meeting__starts_at__lt=now).order_by("-meeting__starts_at")
    return list(rows[:limit])


def calendar_feed_list(
    *, cadence: Cadence | None = None, stakeholder: Stakeholder | None = None
) -> QuerySet[CalendarFeed]:
    feeds = CalendarFeed.objects.select_related("cadence", "stakeholder")
    if cadence is not None:
        feeds = feeds.filter(cadence=cadence)
    if stakeholder is not None:
        feeds = feeds.filter(stakeholder=stakeholder)
    return feeds


def feed_meetings(*, feed: CalendarFeed, past_days: int = 400) -> QuerySet[Meeting]:
    since = timezone.now() - timedelta(days=past_days)
    meetings = (
        Meeting.objects.select_related("cadence")
        .prefetch_related("agenda_items")
        .filter(starts_at__gte=since)
    )
    if feed.kind == CalendarFeed.Kind.CADENCE:
        return meetings.filter(cadence=feed.cadence)
    return meetings.filter(attendances__stakeholder=feed.stakeholder)


def change_records_for(*, obj: Any, limit: int = 20) -> ObjectHistory:
    """The object's latest changes from the audit trail, and the link to its full history. A meeting's
    include its attendance, agenda and decisions, but not the changes of its cost items: their older
    audit rows hold the figures the items once copied, which only the audit trail's readers may see."""
    if isinstance(obj, Meeting):
        agenda = obj.agenda_items.exclude(source__in=COST_PROVIDERS)
        parts = [obj.attendances.all(), agenda, obj.decisions.all()]
        return history_for(obj, parts=parts, limit=limit)
    return history_for(obj, limit=limit)


def explanation_action_items() -> dict[str, Subquery]:
    """Annotations for costdata's reads of explanations: the action item made from each one's planned
    action (its id and title), registered in MeetingsConfig.ready."""
    items = ActionItem.objects.filter(explanation=OuterRef("pk"))
    return {
        "action_item_id": Subquery(items.values("pk")[:1]),
        "action_item_title": Subquery(items.values("title")[:1]),
    }
