"""Cost items on a meeting's agenda: the variances awaiting review and the overdue ones.

Registered with meetings.agenda by MeetingsConfig.ready() (register_cost_items).

A cadence scoped to a team sees its team's variances and those of the team's units and teams (a
business unit's meeting sees its teams'); an organisation-wide cadence sees them all.

An agenda item of a variance stores only its reference (key "<provider>:<variance id>") and a generic
title: the figures, the scope and the explanation are rendered per viewer by `cost_item_views`, through
costdata's visibility rules, so the agenda (its API, its page, its e-mail) never carries a copy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils import timezone

from common.types import AnyUser
from meetings.agenda import ProposedItem, register_provider

if TYPE_CHECKING:
    from costdata.models import Variance
    from meetings.models import ActionItem, AgendaItem, Meeting

HIDDEN_TITLE = "A variance you cannot see"


def _for_meeting(meeting: Meeting) -> QuerySet[Variance]:
    from costdata.models import Variance

    variances = Variance.objects.select_related("owner_team", "assignee")
    team = meeting.cadence.scope_team if meeting.cadence is not None else None
    if team is not None:
        variances = variances.filter(Q(owner_team=team) | Q(owner_team__parent=team))
    return variances


def _money(variance: Variance) -> str:
    percent = f" ({variance.percent:+.1f}%)" if variance.percent is not None else ""
    return f"{variance.observed:,.2f} against {variance.reference:,.2f} {variance.currency}{percent}"


class VariancesAwaitingReview:
    key = "variances"
    title = "Variances awaiting review"
    order = 40

    def propose(self, meeting: Meeting) -> Iterable[ProposedItem]:
        from costdata.models import Variance

        awaiting = _for_meeting(meeting).filter(status=Variance.Status.EXPLAINED)
        for variance in awaiting.order_by("month", "pk"):
            yield ProposedItem(
                ref=str(variance.pk),
                title=f"Variance awaiting review (#{variance.pk})",
                url=variance.get_absolute_url(),
            )

    def render(self, variance: Variance) -> tuple[str, str]:
        explanation = variance.explanations.order_by("-created_at").first()
        detail = _money(variance)
        if explanation is not None:
            detail += f". Explained: {explanation.get_category_display()}: {explanation.narrative[:200]}"
        return f"Review variance: {variance}", detail


class OverdueVariances:
    key = "overdue-variances"
    title = "Overdue variances"
    order = 45

    def propose(self, meeting: Meeting) -> Iterable[ProposedItem]:
        from costdata.models import Variance

        overdue = _for_meeting(meeting).filter(
            status__in=Variance.AWAITING_OWNER, due_at__lte=max(timezone.now(), meeting.starts_at)
        )
        for variance in overdue.order_by("due_at", "pk"):
            yield ProposedItem(
                ref=str(variance.pk),
                title=f"Overdue variance (#{variance.pk})",
                url=variance.get_absolute_url(),
            )

    def render(self, variance: Variance) -> tuple[str, str]:
        owner = (
            variance.owner_team.name
            if variance.owner_team
            else (variance.assignee.name if variance.assignee else "nobody")
        )
        detail = f"{owner}, due {variance.due_day:%d %b %Y}. {_money(variance)}"
        return f"Overdue variance: {variance}", detail


COST_PROVIDERS = {p.key: p for p in (VariancesAwaitingReview(), OverdueVariances())}


@dataclass(frozen=True)
class ItemView:
    """What one viewer is shown of an agenda item."""

    title: str
    detail: str
    url: str


def variance_id_of(item: AgendaItem) -> int | None:
    """The variance an agenda item refers to, if it is a cost item ("<provider>:<variance id>")."""
    provider, _, ref = item.key.partition(":")
    if item.source not in COST_PROVIDERS or provider != item.source or not ref.isdigit():
        return None
    return int(ref)


def cost_item_views(*, items: Iterable[AgendaItem], viewer: AnyUser) -> dict[int, ItemView]:
    """Per agenda item id, what the viewer is shown: for a cost item, the variance's figures when the
    viewer may see the variance, else "a variance you cannot see"; any other item as stored."""
    from costdata.models import Variance
    from costdata.permissions import visible_variances

    items = list(items)
    ids = {pk for pk in map(variance_id_of, items) if pk is not None}
    candidates = Variance.objects.select_related("owner_team", "assignee").filter(pk__in=ids)
    visible = {v.pk: v for v in visible_variances(viewer, candidates)} if ids and viewer else {}
    views = {}
    for item in items:
        variance_id = variance_id_of(item)
        if variance_id is None:
            views[item.pk] = ItemView(item.title, item.detail, item.url)
        elif variance_id in visible:
            title, detail = COST_PROVIDERS[item.source].render(visible[variance_id])
            views[item.pk] = ItemView(title, detail, visible[variance_id].get_absolute_url())
        else:
            views[item.pk] = ItemView(HIDDEN_TITLE, "", "")
    return views


@dataclass(frozen=True)
class ExplanationOrigin:
    """An action item made from a variance's explanation, as one viewer is shown it: the reference
    always, the planned action only to viewers who may see the variance."""

    variance_id: int
    url: str
    planned_action: str | None

    @property
    def label(self) -> str:
        return f"From the explanation of variance #{self.variance_id}"


def action_item_origin(*, item: ActionItem, viewer: AnyUser) -> ExplanationOrigin | None:
    from costdata.permissions import variance_visible

    explanation = item.explanation
    if explanation is None:
        return None
    variance = explanation.variance
    shown = viewer is not None and variance_visible(viewer, variance)
    return ExplanationOrigin(
        variance_id=variance.pk,
        url=variance.get_absolute_url(),
        planned_action=explanation.planned_action if shown else None,
    )


def register_cost_items() -> None:
    for provider in COST_PROVIDERS.values():
        register_provider(provider)
