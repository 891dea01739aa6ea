"""Who may do what in the programme, in one place.

For now (issue 3): every signed-in user reads; admins, finance and technology leads write; the owner of
an action item may edit it (engineers keep their own action items up to date) but not hand it to
someone else. A later issue completes the role matrix; pages and the API both ask these predicates.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission

from stakeholders.models import Group, Stakeholder

LEAD_GROUPS = {Group.FINANCE, Group.TECHNOLOGY}


def stakeholder_of(user: Any) -> Stakeholder | None:
    if not getattr(user, "is_authenticated", False):
        return None
    cached = getattr(user, "_meetings_stakeholder", False)
    if cached is False:
        cached = Stakeholder.objects.filter(user=user, active=True).first()
        user._meetings_stakeholder = cached
    return cached


def is_admin(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and (user.is_staff or user.is_superuser))


def is_lead(user: Any) -> bool:
    """A finance or technology lead: anyone active in those groups."""
    stakeholder = stakeholder_of(user)
    return stakeholder is not None and stakeholder.group in LEAD_GROUPS


def can_read(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def can_manage_programme(user: Any) -> bool:
    """Create and edit topics, glossary terms, cadences, meetings, attendance, minutes and decisions."""
    return is_admin(user) or is_lead(user)


def is_action_item_owner(user: Any, item: Any) -> bool:
    stakeholder = stakeholder_of(user)
    return stakeholder is not None and item.owner_id == stakeholder.pk


def can_edit_action_item(user: Any, item: Any) -> bool:
    return can_manage_programme(user) or is_action_item_owner(user, item)


def can_create_action_item(user: Any, owner: Stakeholder | None) -> bool:
    """Managers assign to anyone; anyone with a stakeholder record may take an action item themselves."""
    if can_manage_programme(user):
        return True
    stakeholder = stakeholder_of(user)
    return stakeholder is not None and owner is not None and owner.pk == stakeholder.pk


def can_reassign_action_item(user: Any) -> bool:
    return can_manage_programme(user)


def can_manage_feed(user: Any, feed_subject: Any) -> bool:
    """Cadence feeds: programme managers. A stakeholder feed: managers and the stakeholder themself."""
    if can_manage_programme(user):
        return True
    stakeholder = stakeholder_of(user)
    return (
        isinstance(feed_subject, Stakeholder)
        and stakeholder is not None
        and stakeholder.pk == feed_subject.pk
    )


# --- DRF permission classes --------------------------------------------------------------------------


class ProgrammePermission(BasePermission):
    """Read: authenticated. Write: programme managers."""

    message = "Only admins and finance or technology leads may change the programme."

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return can_read(request.user)
        return can_manage_programme(request.user)


class ActionItemPermission(BasePermission):
    """Read: authenticated. Write: programme managers, or the item's owner."""

    message = "Only admins, finance and technology leads and the item's owner may change an action item."

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return can_read(request.user)
        # Creation is checked against the owner in the serializer; edits per object below.
        return can_manage_programme(request.user) or stakeholder_of(request.user) is not None

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        if request.method == "DELETE":
            return can_manage_programme(request.user)
        return can_edit_action_item(request.user, obj)
