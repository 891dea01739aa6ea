"""FilterSets for the programme's API lists (and the pages' search boxes)."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone

from meetings.models import (
    ActionItem,
    AgendaItem,
    Attendance,
    Cadence,
    CalendarFeed,
    Decision,
    GlossaryTerm,
    Meeting,
    Topic,
)
from meetings.selectors import topic_ids_due


class GlossaryTermFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search term, definition and aliases")

    class Meta:
        model = GlossaryTerm
        fields = ["slug"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            Q(term__icontains=value)
            | Q(definition__icontains=value)
            | Q(aliases__icontains=value)
            | Q(example__icontains=value)
        )


class TopicFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search name and description")
    due = django_filters.BooleanFilter(method="filter_due", label="Review due today")

    class Meta:
        model = Topic
        fields = ["owning_group", "active", "slug", "members", "glossary_terms"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value))

    def filter_due(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        due = Q(last_discussed__isnull=True) | Q(pk__in=topic_ids_due(timezone.localdate()))
        return queryset.filter(due) if value else queryset.exclude(due)


class CadenceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search")

    class Meta:
        model = Cadence
        fields = ["active", "scope_team", "timezone", "participants"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(name__icontains=value) | Q(purpose__icontains=value))


class MeetingFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search title and minutes")
    starts_after = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")
    stakeholder = django_filters.NumberFilter(field_name="attendances__stakeholder", distinct=True)

    class Meta:
        model = Meeting
        fields = ["cadence", "status"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(title__icontains=value) | Q(minutes__icontains=value))


class ActionItemFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search title and description")
    open = django_filters.BooleanFilter(method="filter_open", label="Open (open or in progress)")
    cadence = django_filters.NumberFilter(field_name="origin_meeting__cadence")
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lt")
    due_after = django_filters.DateFilter(field_name="due_on", lookup_expr="gte")

    class Meta:
        model = ActionItem
        fields = ["owner", "status", "origin_meeting", "topic"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))

    def filter_open(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        condition = Q(status__in=ActionItem.OPEN_STATUSES)
        return queryset.filter(condition) if value else queryset.exclude(condition)


class AttendanceFilter(django_filters.FilterSet):
    class Meta:
        model = Attendance
        fields = ["meeting", "stakeholder", "status"]


class AgendaItemFilter(django_filters.FilterSet):
    class Meta:
        model = AgendaItem
        fields = ["meeting", "source", "discussed", "topic"]


class DecisionFilter(django_filters.FilterSet):
    class Meta:
        model = Decision
        fields = ["meeting", "topic"]


class CalendarFeedFilter(django_filters.FilterSet):
    active = django_filters.BooleanFilter(field_name="revoked_at", lookup_expr="isnull")

    class Meta:
        model = CalendarFeed
        fields = ["kind", "cadence", "stakeholder"]
