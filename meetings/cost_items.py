"""Cost items on a meeting's agenda: the variances awaiting review and the overdue ones.

Registered with meetings.agenda by MeetingsConfig.ready() (register_cost_items).

A cadence scoped to a team sees its team's variances and those of the team's units and teams (a
business unit's meeting sees its teams'); an organisation-wide cadence sees them all.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils import timezone

from meetings.agenda import ProposedItem, register_provider

if TYPE_CHECKING:
    from costdata.models import Variance
    from meetings.models import Meeting


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

        for variance in (
            _for_meeting(meeting).filter(status=Variance.Status.EXPLAINED).order_by("month", "pk")
        ):
            explanation = variance.explanations.order_by("-created_at").first()
            detail = _money(variance)
            if explanation is not None:
                detail += f". Explained: {explanation.get_category_display()}: {explanation.narrative[:200]}"
            yield ProposedItem(
                ref=str(variance.pk),
                title=f"Review variance: {variance}",
                detail=detail,
                url=variance.get_absolute_url(),
            )


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
            owner = (
                variance.owner_team.name
                if variance.owner_team
                else (variance.assignee.name if variance.assignee else "nobody")
            )
            yield ProposedItem(
                ref=str(variance.pk),
                title=f"Overdue variance: {variance}",
                detail=f"{owner}, due {variance.due_day:%d %b %Y}. {_money(variance)}",
                url=variance.get_absolute_url(),
            )


def register_cost_items() -> None:
    register_provider(VariancesAwaitingReview())
    register_provider(OverdueVariances())
