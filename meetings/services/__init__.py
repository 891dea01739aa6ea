"""Writes for the programme, one module an entity: topics and the glossary, cadences, meetings (with
their agenda, attendance and minutes), decisions, action items, calendar feeds, and notifications.

Every function takes keyword arguments, validates what it is given (a ValidationError names the field
and nothing is written), and runs in one transaction. Callers import them from here.
"""

from __future__ import annotations

from meetings.services.action_items import action_item_create, action_item_update
from meetings.services.cadences import (
    MATERIALISE_TASK_NAME,
    SCHEDULE_FIELDS,
    MaterialiseResult,
    cadence_create,
    cadence_materialise,
    cadence_update,
    cadences_materialise_all,
)
from meetings.services.calendar_feeds import (
    calendar_feed_create,
    calendar_feed_resolve,
    calendar_feed_revoke,
    calendar_feed_rotate,
    token_hash,
)
from meetings.services.decisions import decision_create
from meetings.services.meetings import (
    agenda_item_add,
    agenda_item_update,
    attendance_set,
    meeting_agenda_build,
    meeting_create,
    meeting_minutes_update,
    meeting_status_set,
    meeting_update,
)
from meetings.services.notifications import (
    SEND_AGENDAS_TASK_NAME,
    action_item_notify_assigned,
    agendas_send_due,
    meeting_agenda_send,
)
from meetings.services.topics import (
    glossary_term_create,
    glossary_term_update,
    topic_create,
    topic_mark_discussed,
    topic_update,
)

__all__ = [
    "MATERIALISE_TASK_NAME",
    "SCHEDULE_FIELDS",
    "SEND_AGENDAS_TASK_NAME",
    "MaterialiseResult",
    "action_item_create",
    "action_item_notify_assigned",
    "action_item_update",
    "agenda_item_add",
    "agenda_item_update",
    "agendas_send_due",
    "attendance_set",
    "cadence_create",
    "cadence_materialise",
    "cadence_update",
    "cadences_materialise_all",
    "calendar_feed_create",
    "calendar_feed_resolve",
    "calendar_feed_revoke",
    "calendar_feed_rotate",
    "decision_create",
    "glossary_term_create",
    "glossary_term_update",
    "meeting_agenda_build",
    "meeting_agenda_send",
    "meeting_create",
    "meeting_minutes_update",
    "meeting_status_set",
    "meeting_update",
    "token_hash",
    "topic_create",
    "topic_mark_discussed",
    "topic_update",
]
