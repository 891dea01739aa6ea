"""Reads about people."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from stakeholders.models import Stakeholder, Team


def stakeholder_list(*, active_only: bool = True) -> QuerySet[Stakeholder]:
    queryset = Stakeholder.objects.select_related("user").prefetch_related(
        Prefetch("teams", queryset=Team.objects.order_by("name"))
    )
    return queryset.filter(active=True) if active_only else queryset


def stakeholder_for_user(user: object) -> Stakeholder | None:
    return Stakeholder.objects.filter(user=user).first() if getattr(user, "is_authenticated", False) else None
