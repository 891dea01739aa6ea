"""Pages for the programme, one module an entity. Thin: check permission, validate a form, call one
service or selector, render. meetings.urls names each view from here."""

from __future__ import annotations

from meetings.views.action_items import (
    action_item_create,
    action_item_edit,
    action_item_list,
    action_item_status,
)
from meetings.views.cadences import (
    cadence_create,
    cadence_detail,
    cadence_edit,
    cadence_list,
    cadence_series_ics,
)
from meetings.views.calendar_feeds import (
    calendar_feed,
    feed_action,
    feed_create,
)
from meetings.views.meetings import (
    meeting_action_add,
    meeting_agenda_add,
    meeting_agenda_item,
    meeting_agenda_rebuild,
    meeting_agenda_send,
    meeting_attendance,
    meeting_create,
    meeting_decision_add,
    meeting_detail,
    meeting_edit,
    meeting_ics,
    meeting_list,
    meeting_minutes,
    meeting_status,
)
from meetings.views.topics import (
    glossary_create,
    glossary_edit,
    glossary_list,
    topic_create,
    topic_detail,
    topic_edit,
    topic_list,
)

__all__ = [
    "action_item_create",
    "action_item_edit",
    "action_item_list",
    "action_item_status",
    "cadence_create",
    "cadence_detail",
    "cadence_edit",
    "cadence_list",
    "cadence_series_ics",
    "calendar_feed",
    "feed_action",
    "feed_create",
    "glossary_create",
    "glossary_edit",
    "glossary_list",
    "meeting_action_add",
    "meeting_agenda_add",
    "meeting_agenda_item",
    "meeting_agenda_rebuild",
    "meeting_agenda_send",
    "meeting_attendance",
    "meeting_create",
    "meeting_decision_add",
    "meeting_detail",
    "meeting_edit",
    "meeting_ics",
    "meeting_list",
    "meeting_minutes",
    "meeting_status",
    "topic_create",
    "topic_detail",
    "topic_edit",
    "topic_list",
]
