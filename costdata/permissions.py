"""Who may do what with cost data, budgets and variances: small predicates, one place.

Pages, the API and the admin ask these. Roles and visibility come from stakeholders.roles:
  - admins, finance and technology leads read every cost, budget, forecast and variance;
  - a business-unit owner reads the cost rows owned by their unit's teams, the budget lines and
    variances of those scopes, and the organisation's totals (organisation budget lines and variances);
  - an engineer reads the cost rows, budget lines and variances of their teams' scopes (and variances
    assigned to them); no other scope's budget;
  - a third party reads the cost rows and variances of the scopes its engagements cover; no budgets.
A forbidden object is filtered out of lists and answers 404 on its own; a write the role may not make on
an object it can see answers 403.

Which cost rows a team owns follows the dashboards' rule (costdata.dashboards.scopes.OwnershipMap): a row
belongs to the team with the primary claim on its account, else (in unclaimed accounts) on its service.
A scope claimed directly by a person or covered by an engagement adds its rows: an account its
account's rows, a service its service's rows, a tag key=value its tag rows (tag grain only).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from common.types import AnyUser
from costdata.variances.models import Variance
from stakeholders.permissions import A, Capability, F, T, _all, may, register_capabilities
from stakeholders.roles import SEE_EVERYTHING, Role, Visibility, role_of, stakeholder_of, visibility_for

SCOPED = {"business_unit_owner": "their unit + organisation totals", "engineer": "their teams"}
CAPABILITIES: list[Capability] = [
    Capability(
        "costs.read",
        "Read costs, dashboards, forecasts and exports",
        _all(A, F, T, **SCOPED, third_party="engagement scopes"),
    ),
    Capability("budgets.read", "Read budgets", _all(A, F, T, **SCOPED)),
    Capability("budgets.manage", "Create, import, lock and activate budget versions", _all(A, F)),
    Capability(
        "variances.read",
        "Read variances and explanations",
        _all(A, F, T, **SCOPED, third_party="engagement scopes"),
    ),
    Capability(
        "variances.explain",
        "File explanations",
        _all(
            A,
            technology_lead="their teams",
            engineer="assigned to their teams",
            third_party="engagement scopes",
        ),
    ),
    Capability("variances.review", "Accept, send back and close explanations (never one's own)", _all(A, F)),
    Capability("variances.reassign", "Reassign variances", _all(A, technology_lead="their teams")),
    Capability("variances.comment", "Comment on variances", _all(A, F, T, business_unit_owner="their unit")),
    Capability("variances.detect", "Run variance detection", _all(A, F)),
    Capability("sources.read", "Read cost sources and ingestion runs", _all(A, F, T)),
    Capability("sources.manage", "Add sources, trigger pulls, import FOCUS files", _all(A)),
    Capability("review_packs.read", "Read and generate review packs", _all(A, F, T)),
]
register_capabilities(CAPABILITIES)


def may_read_costs(user: AnyUser) -> bool:
    return may(user, "costs.read")


def may_read_all_costs(user: AnyUser) -> bool:
    return role_of(user) in SEE_EVERYTHING


def may_read_sources(user: AnyUser) -> bool:
    return may(user, "sources.read")


def may_manage_sources(user: AnyUser) -> bool:
    return may(user, "sources.manage")


def may_read_budgets(user: AnyUser) -> bool:
    return may(user, "budgets.read")


def may_manage_budgets(user: AnyUser) -> bool:
    """Create budgets and versions, import lines, lock, activate."""
    return may(user, "budgets.manage")


def may_run_detection(user: AnyUser) -> bool:
    return may(user, "variances.detect")


def may_review_variances(user: AnyUser) -> bool:
    """Accept, send back and close explanations (the service also refuses an author's own)."""
    return may(user, "variances.review")


def may_read_review_packs(user: AnyUser) -> bool:
    return may(user, "review_packs.read")


def _team_ids(variance: Variance) -> set[int]:
    """The owning team and its business unit: members of the unit answer for its teams too."""
    team = variance.owner_team
    if team is None:
        return set()
    return {team.pk} | ({team.parent_id} if team.parent_id else set())


def may_explain_variance(user: AnyUser, variance: Variance) -> bool:
    """Admins; the assignee; engineers and technology leads of the owning team (or its unit); a third
    party on a variance of a scope its engagement covers. Without an owning team the organisation's
    technology leads answer (the fallback the variance was routed to)."""
    role = role_of(user)
    if role is Role.ADMIN:
        return True
    stakeholder = stakeholder_of(user)
    if stakeholder is None:
        return False
    if role is Role.THIRD_PARTY:
        return variance_visible(user, variance)
    if variance.assignee_id == stakeholder.pk:
        return True
    if role not in (Role.ENGINEER, Role.TECHNOLOGY_LEAD):
        return False
    teams = _team_ids(variance)
    if not teams:
        return role is Role.TECHNOLOGY_LEAD
    return stakeholder.teams.filter(pk__in=teams).exists()


def may_reassign_variance(user: AnyUser, variance: Variance) -> bool:
    """Admins, and technology leads of the owning team or unit (any technology lead for unowned scopes)."""
    role = role_of(user)
    if role is Role.ADMIN:
        return True
    if role is not Role.TECHNOLOGY_LEAD:
        return False
    teams = _team_ids(variance)
    stakeholder = stakeholder_of(user)
    return not teams or (stakeholder is not None and stakeholder.teams.filter(pk__in=teams).exists())


def may_comment_on_variance(user: AnyUser, variance: Variance) -> bool:
    """Admins, finance and technology leads; a business-unit owner on their unit's variances."""
    role = role_of(user)
    if role in SEE_EVERYTHING:
        return True
    return role is Role.BUSINESS_UNIT_OWNER and variance_visible(user, variance)


# --- what a user may see ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CostFilter:
    """Filters over the cost facts for one user; None means every row."""

    facts: Q | None  # DailyCost and MonthlyCost (account_id, service)
    tag_facts: Q | None  # DailyTagCost (account_id, tag_key, tag_value)


NOTHING = Q(pk__in=[])


def _scoped_fact_filter(visibility: Visibility) -> CostFilter:
    from costdata.dashboards.scopes import ownership_map

    owners = ownership_map()
    facts = owners.team_q(set(visibility.team_ids)) if visibility.team_ids else NOTHING
    team_accounts = sorted(a for a, t in owners.accounts.items() if t in visibility.team_ids)
    accounts = sorted(visibility.accounts())
    services = sorted(visibility.services())
    if accounts:
        facts |= Q(account_id__in=accounts)
    if services:
        facts |= Q(service__in=services)
    tag_facts = (
        Q(account_id__in=sorted(set(team_accounts) | set(accounts))) if team_accounts or accounts else NOTHING
    )
    for key, value in sorted(visibility.tags()):
        tag_facts |= Q(tag_key=key, tag_value=value)
    return CostFilter(facts=facts, tag_facts=tag_facts)


def cost_filter(user: AnyUser) -> CostFilter:
    """The cost rows the user may read (None: all of them)."""
    if not may_read_costs(user):
        return CostFilter(facts=NOTHING, tag_facts=NOTHING)
    visibility = visibility_for(user)
    if visibility.everything:
        return CostFilter(facts=None, tag_facts=None)
    return _scoped_fact_filter(visibility)


def _scope_values_q(visibility: Visibility, *, with_owner: bool) -> Q:
    """Variances (with_owner) or budget lines whose scope the user sees, as a filter."""
    condition = NOTHING
    if visibility.accounts():
        condition |= Q(scope_type="account", scope_value__in=sorted(visibility.accounts()))
    if visibility.services():
        condition |= Q(scope_type="service", scope_value__in=sorted(visibility.services()))
    if visibility.tags():
        condition |= Q(scope_type="tag", scope_value__in=sorted(f"{k}={v}" for k, v in visibility.tags()))
    if visibility.team_names:
        condition |= Q(scope_type="team", scope_value__in=sorted(visibility.team_names))
    if visibility.unit_names:
        condition |= Q(scope_type="business_unit", scope_value__in=sorted(visibility.unit_names))
    if visibility.organisation_totals:
        condition |= Q(scope_type="organisation")
    if with_owner:
        if visibility.team_ids:
            condition |= Q(owner_team_id__in=sorted(visibility.team_ids))
        if visibility.stakeholder_id is not None:
            condition |= Q(assignee_id=visibility.stakeholder_id)
    return condition


def visible_variances(user: AnyUser, queryset: QuerySet) -> QuerySet:
    if not may(user, "variances.read"):
        return queryset.none()
    visibility = visibility_for(user)
    if visibility.everything:
        return queryset
    return queryset.filter(_scope_values_q(visibility, with_owner=True))


def variance_visible(user: AnyUser, variance: Variance) -> bool:
    return visible_variances(user, Variance.objects.filter(pk=variance.pk)).exists()


def visible_explanations(user: AnyUser, queryset: QuerySet) -> QuerySet:
    if visibility_for(user).everything:
        return queryset
    return queryset.filter(variance__in=visible_variances(user, Variance.objects.all()))


def budget_line_condition(user: AnyUser) -> Q:
    """The budget lines a user may see, as a filter over BudgetLine (also what their counts count)."""
    if not may_read_budgets(user):
        return NOTHING
    visibility = visibility_for(user)
    if visibility.everything:
        return Q()
    return _scope_values_q(visibility, with_owner=False)


def visible_budget_lines(user: AnyUser, queryset: QuerySet) -> QuerySet:
    return queryset.filter(budget_line_condition(user))


def budget_scope_visible(user: AnyUser, *, scope_type: str, scope_value: str) -> bool:
    """May the user read budget lines of this scope? The rule of visible_budget_lines, for one scope
    (the dashboards' budget column asks it; a line need not exist)."""
    if not may_read_budgets(user):
        return False
    visibility = visibility_for(user)
    if visibility.everything:
        return True
    return _scope_listed(visibility, scope_type=scope_type, scope_value=scope_value)


def _scope_listed(visibility: Visibility, *, scope_type: str, scope_value: str) -> bool:
    """Is this variance-style scope among those the visibility names (no ownership lookups)?"""
    if scope_type == "organisation":
        return visibility.organisation_totals
    if scope_type == "account":
        return scope_value in visibility.accounts()
    if scope_type == "service":
        return scope_value in visibility.services()
    if scope_type == "tag":
        key, _, value = scope_value.partition("=")
        return (key, value) in visibility.tags()
    if scope_type == "team":
        return scope_value in visibility.team_names
    if scope_type == "business_unit":
        return scope_value in visibility.unit_names
    return False


def visible_budgets(user: AnyUser, queryset: QuerySet) -> QuerySet:
    """Budgets and versions are shells: whoever reads budgets sees them; their lines are filtered."""
    return queryset if may_read_budgets(user) else queryset.none()


def scope_visible(user: AnyUser, *, scope_type: str, scope_value: str) -> bool:
    """May the user read figures (forecasts, dashboards) of this variance-style scope?"""
    if not may_read_costs(user):
        return False
    visibility = visibility_for(user)
    if visibility.everything:
        return True
    if _scope_listed(visibility, scope_type=scope_type, scope_value=scope_value):
        return True
    # An account a visible team owns by claim is readable though not listed by name.
    return scope_type == "account" and _account_owned_by(visibility, scope_value)


def _account_owned_by(visibility: Visibility, account_id: str) -> bool:
    from costdata.dashboards.scopes import ownership_map

    return ownership_map().accounts.get(account_id) in visibility.team_ids


def dashboard_scope_visible(user: AnyUser, *, kind: str, value: str, team_id: int | None = None) -> bool:
    """A dashboard scope page: organisation, business_unit/team (by id), account or service."""
    if kind in ("business_unit", "team"):
        visibility = visibility_for(user)
        return may_read_costs(user) and visibility.sees_team(team_id)
    return scope_visible(user, scope_type=kind, scope_value=value)


# --- DRF ----------------------------------------------------------------------------------------------


class ReadOrManageSources(BasePermission):
    """Sources and runs: read by admins, finance and technology leads; changed by admins."""

    message = "Only administrators may add sources, trigger pulls or import files."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in SAFE_METHODS:
            return may_read_sources(request.user)
        return may_manage_sources(request.user)


class CostPermission(BasePermission):
    """The cost API: everyone with a role reads, filtered to what they see."""

    message = "Costs are for people in the programme."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return may_read_costs(request.user)


class BudgetPermission(BasePermission):
    message = "Only finance and administrators change budgets."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in SAFE_METHODS:
            return may_read_budgets(request.user)
        return may_manage_budgets(request.user)


class VariancePermission(BasePermission):
    """Reading for everyone with a role (the queryset filters); each action checks its own rule."""

    message = "Variances are for people in the programme."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return may(request.user, "variances.read")
