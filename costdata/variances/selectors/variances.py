"""Reads of variances, their explanations and timelines (the list's paging, order and export are in
costdata.variances.selectors.queue)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import django_filters
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from costdata.planning.forecasting import parse_month
from costdata.planning.models import ScopeType
from costdata.variances.models import Explanation, Variance, VarianceTransition
from stakeholders.models import Stakeholder, Team


def overdue_q(*, now: datetime) -> Q:
    """Variances past their due date still waiting for their owner (the rule of Variance.is_overdue)."""
    return Q(status__in=Variance.AWAITING_OWNER, due_at__lte=now)


class VarianceFilter(django_filters.FilterSet):
    # No joins behind these, so no DISTINCT (which would compare every column of every row).
    status = django_filters.MultipleChoiceFilter(choices=Variance.Status.choices, distinct=False)
    kind = django_filters.MultipleChoiceFilter(choices=Variance.Kind.choices, distinct=False)
    scope_type = django_filters.ChoiceFilter(choices=ScopeType.choices)
    scope_value = django_filters.CharFilter()
    owner = django_filters.ModelChoiceFilter(
        field_name="owner_team", queryset=Team.objects.all(), label="Owning team"
    )
    assignee = django_filters.ModelChoiceFilter(queryset=Stakeholder.objects.all())
    month = django_filters.CharFilter(method="filter_month", label="Month (YYYY-MM)")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Overdue")

    class Meta:
        model = Variance
        fields = ["status", "kind", "scope_type", "scope_value", "owner", "assignee", "month", "overdue"]

    def filter_month(self, queryset: QuerySet[Variance], name: str, value: str) -> QuerySet[Variance]:
        month = parse_month(value)
        if month is None:
            return queryset.none()
        return queryset.filter(month=month)

    def filter_overdue(
        self, queryset: QuerySet[Variance], name: str, value: bool | None
    ) -> QuerySet[Variance]:
        if value is None:
            return queryset
        overdue = overdue_q(now=timezone.now())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


def variance_list(*, filters: Mapping[str, Any] | None = None) -> QuerySet[Variance]:
    queryset = Variance.objects.select_related("owner_team", "assignee", "escalated_to").order_by(
        "-month", "due_at", "pk"
    )
    if filters is not None:
        queryset = VarianceFilter(filters, queryset=queryset).qs
    return queryset


# Follow-ups other layers keep about an explanation (meetings: the action item made from its planned
# action), added to every read of explanations as annotations those layers register; costdata does not
# import them. Each registered function returns {attribute: expression over the explanation's row}.
_explanation_follow_ups: list[Callable[[], dict[str, Any]]] = []


def register_explanation_follow_ups(follow_ups: Callable[[], dict[str, Any]]) -> None:
    if follow_ups not in _explanation_follow_ups:
        _explanation_follow_ups.append(follow_ups)


def explanation_follow_ups(queryset: QuerySet[Explanation]) -> QuerySet[Explanation]:
    for follow_ups in _explanation_follow_ups:
        queryset = queryset.annotate(**follow_ups())
    return queryset


def variance_detail(*, pk: int) -> Variance:
    return (
        Variance.objects.select_related("owner_team", "owner_team__parent", "assignee", "escalated_to")
        .prefetch_related(
            Prefetch(
                "explanations",
                queryset=explanation_follow_ups(Explanation.objects.select_related("author", "reviewed_by")),
            ),
            Prefetch(
                "transitions",
                queryset=VarianceTransition.objects.select_related("actor").order_by("at", "pk"),
            ),
        )
        .get(pk=pk)
    )


def variance_status_counts(*, queryset: QuerySet[Variance] | None = None) -> dict[str, int]:
    queryset = Variance.objects.all() if queryset is None else queryset
    counts = dict(
        queryset.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in Variance.Status.values}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # "transition", or the kind a registered source adds ("decision" from meetings)
    transition: VarianceTransition | None = None
    decision: Any = None  # a meeting's decision, from the meetings app's timeline source


# Other layers add their entries to a variance's timeline (meetings: its decisions) through this registry;
# costdata does not import them.
_timeline_sources: list[Callable[[Variance], list[TimelineEntry]]] = []


def register_timeline_source(source: Callable[[Variance], list[TimelineEntry]]) -> None:
    if source not in _timeline_sources:
        _timeline_sources.append(source)


def variance_timeline(*, variance: Variance) -> list[TimelineEntry]:
    """The variance page's timeline: the procedure's transitions and the registered sources' entries
    (the meetings' decisions), by time; a transition comes before another entry at the same moment."""
    entries = [TimelineEntry(t.at, "transition", transition=t) for t in variance.transitions.all()]
    for source in _timeline_sources:
        entries += source(variance)
    return sorted(entries, key=lambda e: (e.at, 0 if e.kind == "transition" else 1))


def variances_for_meeting_decision(*, meeting: Any, limit: int = 200) -> list[Variance]:
    """The variances a meeting may decide about: those on its agenda first, then every one not closed
    (newest month first)."""
    # The variance agenda providers key their items "<provider>:<variance id>" (agenda_providers).
    prefixes = ("variances", "overdue-variances")
    on_agenda = [
        int(ref)
        for source, _, ref in (
            key.partition(":") for key in meeting.agenda_items.values_list("key", flat=True)
        )
        if source in prefixes and ref.isdigit()
    ]
    agenda = list(Variance.objects.filter(pk__in=on_agenda).order_by("-month", "pk"))
    rest = list(
        Variance.objects.exclude(status=Variance.Status.CLOSED)
        .exclude(pk__in=on_agenda)
        .order_by("-month", "due_at", "pk")[:limit]
    )
    return agenda + rest
