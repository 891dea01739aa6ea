"""Pluggable agenda providers.

A meeting's agenda is built by asking each registered provider, in order, what it proposes for that
meeting. A provider is registered in an AppConfig.ready(), as meetings' own cost items are
(meetings/cost_items.py):

    from meetings.agenda import AgendaProvider, ProposedItem, register_provider

    class VariancesAwaitingReview:
        key = "variances"            # stable; becomes AgendaItem.source and the prefix of item keys
        title = "Variances awaiting review"
        order = 40                   # template items are 10, topics 20, action items 30

        def propose(self, meeting):  # -> Iterable[ProposedItem]
            for variance in pending_variances(scope=meeting.cadence.scope_team):
                yield ProposedItem(ref=str(variance.pk), title=..., detail=..., url=variance_url)

    register_provider(VariancesAwaitingReview())

Rules a provider keeps:
- `propose` only reads; the builder writes (meetings.services.meeting_agenda_build).
- `ref` is stable for the same underlying thing, so rebuilding an agenda updates the item in place
  (key = "<provider key>:<ref>") instead of adding a duplicate.
- An item a provider stops proposing is removed on the next build of a planned meeting, unless someone
  already marked it discussed or wrote notes on it. Items of held or cancelled meetings never change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from meetings.models import Meeting


@dataclass(frozen=True)
class ProposedItem:
    ref: str
    title: str
    detail: str = ""
    url: str = ""
    topic_id: int | None = None
    action_item_id: int | None = None


@runtime_checkable
class AgendaProvider(Protocol):
    key: str
    title: str
    order: int

    def propose(self, meeting: Meeting) -> Iterable[ProposedItem]: ...


_providers: dict[str, AgendaProvider] = {}


def register_provider(provider: AgendaProvider) -> None:
    if not isinstance(provider, AgendaProvider):
        raise TypeError(f"{provider!r} lacks key, title, order or propose(meeting)")
    if ":" in provider.key:
        raise ValueError("A provider key may not contain ':'")
    _providers[provider.key] = provider


def unregister_provider(key: str) -> None:
    _providers.pop(key, None)


def providers() -> list[AgendaProvider]:
    return sorted(_providers.values(), key=lambda p: (p.order, p.key))


# --- The built-in providers ------------------------------------------------------------------------


class TemplateItems:
    """The cadence's agenda template, one item a line (the practice's four by default)."""

    key = "template"
    title = "Standing items"
    order = 10

    def propose(self, meeting: Meeting) -> Iterable[ProposedItem]:
        if meeting.cadence is None:
            return []
        return [ProposedItem(ref=str(i), title=line) for i, line in enumerate(meeting.cadence.agenda_lines())]


class TopicsDue:
    """Topics whose review frequency has elapsed by the meeting's date (for meetings of a cadence:
    an ad-hoc meeting has its own purpose)."""

    key = "topic"
    title = "Topics due for review"
    order = 20

    def propose(self, meeting: Meeting) -> Iterable[ProposedItem]:
        from meetings.selectors import topic_list_due

        if meeting.cadence_id is None:
            return

        for topic in topic_list_due(on=meeting.local_start().date()):
            last = (
                f"last discussed {topic.last_discussed:%d %b %Y}"
                if topic.last_discussed
                else "never discussed"
            )
            yield ProposedItem(
                ref=topic.slug,
                title=f"Topic: {topic.name}",
                detail=f"{topic.get_owning_group_display()} leads; {last}.",
                url=topic.get_absolute_url(),
                topic_id=topic.pk,
            )


class OpenActionItems:
    """Open action items raised at earlier meetings of the same cadence: they carry over until closed."""

    key = "action"
    title = "Open action items"
    order = 30

    def propose(self, meeting: Meeting) -> Iterable[ProposedItem]:
        from meetings.selectors import action_item_list_carried_to

        for item in action_item_list_carried_to(meeting=meeting):
            due = f", due {item.due_on:%d %b %Y}" if item.due_on else ""
            yield ProposedItem(
                ref=str(item.pk),
                title=f"Action: {item.title}",
                detail=f"{item.owner.name}{due} ({item.get_status_display().lower()})",
                url=item.get_absolute_url(),
                action_item_id=item.pk,
            )


def register_builtin_providers() -> None:
    for provider in (TemplateItems(), TopicsDue(), OpenActionItems()):
        register_provider(provider)
