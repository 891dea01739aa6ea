"""Writes for the glossary and the programme's topics."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify

from audit.recording import acting_as_actor, update_audited
from common.types import AnyUser
from common.updates import apply_changes
from meetings.models import GlossaryTerm, Topic
from stakeholders.models import Stakeholder


@acting_as_actor
@transaction.atomic
def glossary_term_create(
    *,
    term: str,
    definition: str,
    example: str = "",
    aliases: str = "",
    slug: str = "",
    actor: AnyUser | None = None,
) -> GlossaryTerm:
    item = GlossaryTerm(
        term=term.strip(),
        definition=definition.strip(),
        example=example.strip(),
        aliases=aliases.strip(),
        slug=slug or slugify(term),
    )
    item.full_clean()
    item.save()
    return item


@acting_as_actor
@transaction.atomic
def glossary_term_update(*, item: GlossaryTerm, actor: AnyUser | None = None, **changes: Any) -> GlossaryTerm:
    changed = apply_changes(instance=item, changes=changes)
    if changed:
        item.full_clean()
        item.save(update_fields=[*changed, "updated_at"])
    return item


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
    actor: AnyUser | None = None,
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
    topic.full_clean()
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
    actor: AnyUser | None = None,
    **changes: Any,
) -> Topic:
    changed = apply_changes(instance=topic, changes=changes)
    if changed:
        topic.full_clean()
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
