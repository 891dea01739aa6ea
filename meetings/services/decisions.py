"""Writes for the decisions a meeting records."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.recording import acting_as_actor
from common.types import User
from meetings.models import Decision, Meeting, Topic
from meetings.services.topics import topic_mark_discussed


@acting_as_actor(arg="recorded_by")
@transaction.atomic
def decision_create(
    *, meeting: Meeting, text: str, topic: Topic | None = None, recorded_by: User | None = None
) -> Decision:
    if not text.strip():
        raise ValidationError({"text": "Write the decision."})
    decision = Decision.objects.create(
        meeting=meeting, text=text.strip(), topic=topic, recorded_by=recorded_by
    )
    if topic is not None and meeting.status == Meeting.Status.HELD:
        topic_mark_discussed(topic=topic, on=meeting.local_start().date())
    return decision
