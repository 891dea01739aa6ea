"""Who may do what with cost data. One place; a later issue completes the role matrix.

Reading sources, runs and costs needs a signed-in user; configuring sources, triggering pulls and
importing files is for admins (staff and superusers).
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission


def is_admin(user: Any) -> bool:
    return bool(user and user.is_authenticated and (user.is_staff or user.is_superuser))


def may_read_costs(user: Any) -> bool:
    return bool(user and user.is_authenticated)


def may_manage_sources(user: Any) -> bool:
    return is_admin(user)


class ReadOrManageSources(BasePermission):
    """Safe methods for any signed-in user; anything that changes a source or starts a pull for admins."""

    message = "Only administrators may add sources, trigger pulls or import files."

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return may_read_costs(request.user)
        return may_manage_sources(request.user)


# --- budgets and variances ----------------------------------------------------------------------------
# Finance sets and locks budgets and reviews explanations; engineers and leads of the owning team file
# explanations; technology leads reassign their teams' variances; admins do everything. Nobody accepts an
# explanation they wrote (the service refuses it whatever the role).


def _stakeholder(user: Any) -> Any:
    from stakeholders.permissions import _stakeholder as stakeholder_of

    return stakeholder_of(user)


def is_finance(user: Any) -> bool:
    from stakeholders.permissions import is_finance as finance

    return finance(user)


def is_technology_lead(user: Any) -> bool:
    from stakeholders.permissions import is_technology_lead as technology_lead

    return technology_lead(user)


def may_manage_budgets(user: Any) -> bool:
    """Create budgets and versions, import lines, lock, activate."""
    return is_admin(user) or is_finance(user)


def may_run_detection(user: Any) -> bool:
    return is_admin(user) or is_finance(user)


def may_review_variances(user: Any) -> bool:
    """Accept, send back and close explanations."""
    return is_admin(user) or is_finance(user)


def _team_ids(variance: Any) -> set[int]:
    """The owning team and its business unit: leads of the unit answer for its teams too."""
    team = variance.owner_team
    if team is None:
        return set()
    return {team.pk} | ({team.parent_id} if team.parent_id else set())


def may_explain_variance(user: Any, variance: Any) -> bool:
    """Admins; the assignee; engineers and technology leads of the owning team (or its unit). Without an
    owning team the organisation's technology leads answer (the fallback the variance was routed to)."""
    from stakeholders.models import Group

    if is_admin(user):
        return True
    stakeholder = _stakeholder(user)
    if stakeholder is None:
        return False
    if variance.assignee_id == stakeholder.pk:
        return True
    if stakeholder.group not in (Group.ENGINEERING, Group.TECHNOLOGY):
        return False
    teams = _team_ids(variance)
    if not teams:
        return stakeholder.group == Group.TECHNOLOGY
    return stakeholder.teams.filter(pk__in=teams).exists()


def may_reassign_variance(user: Any, variance: Any) -> bool:
    """Admins, and technology leads of the owning team or unit (any technology lead for unowned scopes)."""
    if is_admin(user):
        return True
    if not is_technology_lead(user):
        return False
    teams = _team_ids(variance)
    return not teams or _stakeholder(user).teams.filter(pk__in=teams).exists()


class BudgetPermission(BasePermission):
    message = "Only finance and administrators change budgets."

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return may_read_costs(request.user)
        return may_manage_budgets(request.user)


class VariancePermission(BasePermission):
    """Reading for any signed-in user; each action checks its own rule (see the predicates above)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return may_read_costs(request.user)
