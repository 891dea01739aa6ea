"""The panels meetings adds to a stakeholder's page (stakeholders/sections.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from meetings import permissions, selectors
from meetings.models import ActionItem
from stakeholders.models import Stakeholder
from stakeholders.sections import Section, register


def _action_items(stakeholder: Stakeholder, request: HttpRequest) -> dict[str, Any]:
    items = list(
        permissions.visible_action_items(
            request.user, selectors.stakeholder_open_action_items(stakeholder=stakeholder)
        )
    )
    return {
        "rows": [(item, permissions.can_edit_action_item(request.user, item)) for item in items],
        "today": timezone.localdate(),
        "statuses": [(v, label) for v, label in ActionItem.Status.choices if v != ActionItem.Status.OPEN],
    }


def _meetings(stakeholder: Stakeholder, request: HttpRequest) -> dict[str, Any]:
    can_manage_feed = permissions.can_manage_feed(request.user, stakeholder)
    return {
        "feeds": list(selectors.calendar_feed_list(stakeholder=stakeholder)) if can_manage_feed else [],
        "upcoming": selectors.stakeholder_meetings(stakeholder=stakeholder, upcoming=True, limit=5),
        "past": selectors.stakeholder_meetings(stakeholder=stakeholder, upcoming=False, limit=5),
        "can_manage_feed": can_manage_feed,
    }


def register_stakeholder_sections() -> None:
    register(
        Section(
            "action-items",
            "Open action items",
            "meetings/sections/action_items.html",
            _action_items,
            order=30,
        )
    )
    register(Section("meetings", "Meetings", "meetings/sections/meetings.html", _meetings, order=40))
