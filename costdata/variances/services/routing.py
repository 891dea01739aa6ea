"""Routing: who answers for a scope (its owning team, else the technology leads) and when an answer is due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from costdata.variances import business_days
from costdata.variances.models import Holiday, VarianceTransition
from costdata.variances.rules import (
    ScopeKey,
    ScopeType,
)
from costdata.variances.services.base import Action
from stakeholders.models import Group, Stakeholder, Team
from stakeholders.selectors import cost_owner_for


@dataclass(frozen=True)
class Route:
    team: Team | None
    assignee: Stakeholder | None
    reason: str


def technology_leads(team: Team | None = None) -> list[Stakeholder]:
    """The team's technology leads, else its business unit's; without a team, the organisation's."""
    people = Stakeholder.objects.filter(active=True, group=Group.TECHNOLOGY).order_by("name", "pk")
    if team is None:
        return list(people)
    for candidate in (team, team.parent):
        if candidate is None:
            continue
        leads = list(people.filter(teams=candidate))
        if leads:
            return leads
    return []


def route_scope(scope: ScopeKey) -> Route:
    """Who answers for a scope: its claimed owner (stakeholders' precedence rules), else the
    organisation's technology leads."""
    match = None
    if scope.scope_type is ScopeType.ACCOUNT:
        match = cost_owner_for(account_id=scope.value)
    elif scope.scope_type is ScopeType.SERVICE:
        match = cost_owner_for(account_id="", service=scope.value)
    elif scope.scope_type is ScopeType.TAG:
        key, _, value = scope.value.partition("=")
        match = cost_owner_for(account_id="", tags={key: value})
    elif scope.scope_type in (ScopeType.TEAM, ScopeType.BUSINESS_UNIT):
        team = Team.objects.filter(name=scope.value).first()
        if team is not None:
            return Route(
                team, None, f"{team.get_kind_display().lower()} {team.name} answers for its own budget"
            )
    if match is not None:
        if match.owner_team is not None:
            return Route(match.owner_team, None, match.reason)
        return Route(None, match.owner_stakeholder, match.reason)
    leads = technology_leads()
    return Route(
        None,
        leads[0] if leads else None,
        "nobody owns this scope: routed to the organisation's technology leads",
    )


def organisation_holidays(*, start: date, end: date) -> set[date]:
    """The organisation's holidays (admin-edited Holiday rows) in [start, end)."""
    return set(Holiday.objects.filter(day__gte=start, day__lt=end).values_list("day", flat=True))


def _due_at(now: datetime) -> datetime:
    """End of the Nth business day after `now` in the organisation's time zone, skipping weekends and
    the organisation's holidays (a year ahead is read: far more than any run of holidays needs)."""
    count = int(getattr(settings, "VARIANCE_DUE_BUSINESS_DAYS", business_days.DEFAULT_BUSINESS_DAYS))
    local_day = timezone.localtime(now, ZoneInfo(settings.TIME_ZONE)).date()
    holidays = organisation_holidays(start=local_day, end=local_day + timedelta(days=366 + 7 * count))
    return business_days.due_at(now, tz=settings.TIME_ZONE, business_days=count, holidays=holidays)


def _deadline_start(variance_id: int) -> datetime | None:
    """When the current deadline started to run: the latest assignment, reassignment or send-back."""
    return (
        VarianceTransition.objects.filter(
            variance_id=variance_id, action__in=[Action.ASSIGN, Action.REASSIGN, Action.SEND_BACK]
        )
        .order_by("-at", "-pk")
        .values_list("at", flat=True)
        .first()
    )
