"""Who may do what in the programme, in one place. Pages and the API both ask these predicates.

- the programme's catalogue (topics, glossary, cadences, calendar files) is read by everyone in the
  organisation; third parties see none of it;
- meetings (with their agenda, attendance and decisions) and action items: admins, finance and
  technology leads read them all; business-unit owners and engineers read the meetings they attend or
  are named for and those of their teams' cadences, and the action items they own or that were raised
  at a meeting they see;
- topics and the glossary are managed by admins and finance;
- meetings are run (cadences, meetings, attendance, minutes, decisions, agendas) by admins, finance
  and technology leads, who also assign action items to anyone;
- everyone in the organisation may take an action item themselves and edit their own (not hand it to
  someone else); a personal calendar feed is theirs to manage.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from rest_framework.permissions import SAFE_METHODS, BasePermission

from stakeholders.models import Group, Stakeholder
from stakeholders.permissions import YES, A, B, Capability, E, F, T, _all, may, register_capabilities
from stakeholders.roles import INTERNAL, Role, my_team_ids, role_of, stakeholder_of

LEAD_GROUPS = {Group.FINANCE, Group.TECHNOLOGY}

CAPABILITIES: list[Capability] = [
    Capability("programme.read", "Read topics, glossary, cadences and calendar files", _all(A, F, T, B, E)),
    Capability(
        "meetings.read",
        "Read meetings (agenda, attendance, decisions) and action items",
        _all(A, F, T, business_unit_owner="their meetings, own items", engineer="their meetings, own items"),
    ),
    Capability("topics.manage", "Manage topics and the glossary", _all(A, F)),
    Capability(
        "meetings.run", "Run meetings: cadences, agendas, attendance, minutes, decisions", _all(A, F, T)
    ),
    Capability("action_items.assign", "Assign action items to anyone", _all(A, F, T)),
    Capability(
        "action_items.own",
        "Take and edit one's own action items",
        _all(A, F, T, business_unit_owner="own", engineer="own"),
    ),
]
register_capabilities(CAPABILITIES)
_CAPABILITY = {capability.key: capability for capability in CAPABILITIES}


def is_lead(user: Any) -> bool:
    """A finance or technology lead."""
    return role_of(user) in (Role.FINANCE, Role.TECHNOLOGY_LEAD)


def can_read(user: Any) -> bool:
    return role_of(user) in INTERNAL


def can_manage_programme(user: Any) -> bool:
    """Create and edit cadences, meetings, attendance, minutes, decisions and agendas."""
    return may(user, "meetings.run")


def can_manage_topics(user: Any) -> bool:
    """Create and edit topics and glossary terms."""
    return may(user, "topics.manage")


def sees_every_meeting(user: Any) -> bool:
    """The "yes" of meetings.read: every meeting and action item (a limit means the user's own)."""
    return role_of(user) in INTERNAL and _CAPABILITY["meetings.read"].roles.get(role_of(user)) == YES


def visible_meetings(user: Any, queryset: QuerySet) -> QuerySet:
    """The meetings of `queryset` the user reads: all, or those they attend or are named for and those
    of their teams' cadences (a business unit's owner: the unit's and its teams')."""
    if not (can_read(user) and may(user, "meetings.read")):
        return queryset.none()
    if sees_every_meeting(user):
        return queryset
    stakeholder = stakeholder_of(user)
    if stakeholder is None:
        return queryset.none()
    from meetings.models import Meeting

    mine = Meeting.objects.filter(
        Q(attendances__stakeholder=stakeholder)
        | Q(cadence__participants=stakeholder)
        | Q(cadence__scope_team_id__in=my_team_ids(user))
    )
    return queryset.filter(pk__in=mine.values("pk"))


def visible_meeting_records(user: Any, queryset: QuerySet) -> QuerySet:
    """Agenda items, attendance or decisions: those of the meetings the user reads."""
    from meetings.models import Meeting

    if sees_every_meeting(user):
        return queryset if can_read(user) else queryset.none()
    return queryset.filter(meeting__in=visible_meetings(user, Meeting.objects.all()).values("pk"))


def visible_action_items(user: Any, queryset: QuerySet) -> QuerySet:
    """Action items the user reads: all, or their own and those raised at a meeting they read."""
    from meetings.models import Meeting

    if not can_read(user):
        return queryset.none()
    if sees_every_meeting(user):
        return queryset
    stakeholder = stakeholder_of(user)
    meetings = visible_meetings(user, Meeting.objects.all()).values("pk")
    return queryset.filter(Q(owner=stakeholder) | Q(origin_meeting__in=meetings))


def is_action_item_owner(user: Any, item: Any) -> bool:
    stakeholder = stakeholder_of(user)
    return stakeholder is not None and item.owner_id == stakeholder.pk


def can_edit_action_item(user: Any, item: Any) -> bool:
    if can_manage_programme(user):
        return True
    return can_read(user) and is_action_item_owner(user, item)


def can_create_action_item(user: Any, owner: Stakeholder | None) -> bool:
    """Managers assign to anyone; anyone in the organisation may take an action item themselves."""
    if can_manage_programme(user):
        return True
    stakeholder = stakeholder_of(user)
    return can_read(user) and stakeholder is not None and owner is not None and owner.pk == stakeholder.pk


def can_reassign_action_item(user: Any) -> bool:
    return may(user, "action_items.assign")


def can_manage_feed(user: Any, feed_subject: Any) -> bool:
    """Cadence feeds: programme managers. A stakeholder feed: managers and the stakeholder themself."""
    if can_manage_programme(user):
        return True
    stakeholder = stakeholder_of(user)
    return (
        can_read(user)
        and isinstance(feed_subject, Stakeholder)
        and stakeholder is not None
        and stakeholder.pk == feed_subject.pk
    )


# --- DRF permission classes --------------------------------------------------------------------------


class ProgrammePermission(BasePermission):
    """Read: the organisation. Write: those who run meetings."""

    message = "Only admins and finance or technology leads may change the programme."

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return can_read(request.user)
        return can_manage_programme(request.user)


class TopicPermission(BasePermission):
    """Read: the organisation. Write: admins and finance."""

    message = "Only admins and finance manage topics and the glossary."

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return can_read(request.user)
        return can_manage_topics(request.user)


class ActionItemPermission(BasePermission):
    """Read: the organisation. Write: those who run meetings, or the item's owner."""

    message = "Only admins, finance and technology leads and the item's owner may change an action item."

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return can_read(request.user)
        # Creation is checked against the owner in the serializer; edits per object below.
        return can_manage_programme(request.user) or (
            can_read(request.user) and stakeholder_of(request.user) is not None
        )

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        if request.method == "DELETE":
            return can_manage_programme(request.user)
        return can_edit_action_item(request.user, obj)


class FeedPermission(BasePermission):
    """Calendar feeds: the organisation (each manages their own; the queryset filters)."""

    message = "Calendar feeds are for people in the organisation."

    def has_permission(self, request: Any, view: Any) -> bool:
        return can_read(request.user)
