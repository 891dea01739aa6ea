"""Writes for action items: created at a meeting (or from an explanation), owned, closed."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.recording import acting_as_actor
from common.types import AnyUser, User
from common.updates import apply_changes
from costdata.models import Explanation
from meetings.models import ActionItem, Meeting, Topic
from meetings.services.notifications import action_item_notify_assigned
from stakeholders.models import Stakeholder


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
    created_by: User | None = None,
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
    item.full_clean()
    if not owner.active:
        raise ValidationError({"owner": f"{owner.name} is no longer active."})
    item.save()
    if notify:
        transaction.on_commit(lambda: action_item_notify_assigned(action_item_id=item.pk))
    return item


@acting_as_actor
@transaction.atomic
def action_item_update(*, item: ActionItem, actor: AnyUser | None = None, **changes: Any) -> ActionItem:
    previous_owner = item.owner_id
    changed = apply_changes(instance=item, changes=changes)
    if not changed:
        return item
    if "status" in changed:
        item.closed_at = None if item.is_open else timezone.now()
        changed.append("closed_at")
    item.full_clean()
    item.save(update_fields=[*changed, "updated_at"])
    if item.owner_id != previous_owner:
        transaction.on_commit(lambda: action_item_notify_assigned(action_item_id=item.pk))
    return item
