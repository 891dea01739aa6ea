"""FilterSets shared by the pages and the API."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from stakeholders.models import Engagement, Group, Ownership, Role, ScopeKind, Stakeholder, Team


class StakeholderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    group = django_filters.ChoiceFilter(choices=Group.choices)
    role = django_filters.ChoiceFilter(choices=Role.choices)
    team = django_filters.ModelChoiceFilter(
        queryset=Team.objects.order_by("name"), field_name="teams", label="Team or unit"
    )
    active = django_filters.BooleanFilter()

    class Meta:
        model = Stakeholder
        fields = ["q", "group", "role", "team", "active"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        for word in value.split():
            queryset = queryset.filter(
                Q(name__icontains=word) | Q(email__icontains=word) | Q(title__icontains=word)
            )
        return queryset


class TeamFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    kind = django_filters.ChoiceFilter(choices=Team.Kind.choices)
    parent = django_filters.ModelChoiceFilter(queryset=Team.objects.filter(kind=Team.Kind.BUSINESS_UNIT))
    member = django_filters.ModelChoiceFilter(queryset=Stakeholder.objects.all(), field_name="members")

    class Meta:
        model = Team
        fields = ["q", "kind", "parent", "member"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value))


class OwnershipFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    scope_kind = django_filters.ChoiceFilter(choices=ScopeKind.choices)
    scope_key = django_filters.CharFilter()
    scope_value = django_filters.CharFilter()
    owner_team = django_filters.ModelChoiceFilter(queryset=Team.objects.all())
    owner_stakeholder = django_filters.ModelChoiceFilter(queryset=Stakeholder.objects.all())
    is_primary = django_filters.BooleanFilter(
        widget=forms.Select(choices=[("", "Any"), ("true", "Primary"), ("false", "Secondary")])
    )

    class Meta:
        model = Ownership
        fields = [
            "q",
            "scope_kind",
            "scope_key",
            "scope_value",
            "owner_team",
            "owner_stakeholder",
            "is_primary",
        ]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            Q(scope_value__icontains=value)
            | Q(scope_key__icontains=value)
            | Q(owner_team__name__icontains=value)
            | Q(owner_stakeholder__name__icontains=value)
        )


class EngagementFilter(django_filters.FilterSet):
    party = django_filters.ModelChoiceFilter(queryset=Stakeholder.objects.filter(group=Group.THIRD_PARTY))
    model = django_filters.ChoiceFilter(choices=Engagement.Model.choices)
    period = django_filters.ChoiceFilter(choices=Engagement.Period.choices)
    active = django_filters.BooleanFilter()

    class Meta:
        model = Engagement
        fields = ["party", "model", "period", "active"]
