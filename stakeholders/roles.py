"""A user's role and what cost scopes they may see: the one place every app asks.

Role of a user:
  - staff or superuser                          -> admin
  - else the active Stakeholder linked to them, by its group:
      finance -> finance, technology -> technology lead, business unit -> business-unit owner,
      engineering -> engineer, third party -> third party
  - no active stakeholder                        -> none (the home and account pages only)

What cost scopes a role sees (`Visibility`):
  - admin, finance, technology lead: everything.
  - business-unit owner: the teams of the business units they belong to (the unit and every team
    whose parent it is), the scopes those teams claim (Ownership.owner_team), scopes claimed by the
    person themself, and the organisation's totals (organisation-wide budget lines and variances).
  - engineer: the teams they are a member of (a business unit they belong to brings its teams, as a
    unit answers for its teams), the scopes those teams claim and scopes claimed by themself.
  - third party: exactly the scopes its engagements in force today cover (EngagementScope: active,
    started, not ended), nothing else; with none in force, no role at all.
  - none: nothing.

Only a primary claim brings a scope into view: a secondary claim records an interest in a scope that
another team or person owns and shows nothing of it (a team would otherwise see another team's costs
by claiming them second). Which cost rows a claimed scope covers is the cost app's business
(costdata.permissions turns a Visibility into a filter over the cost facts).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q
from django.utils import timezone

from common.types import AnyUser
from stakeholders import scopes
from stakeholders.models import EngagementScope, Group, Ownership, Stakeholder, Team


class Role(enum.StrEnum):
    ADMIN = "admin"
    FINANCE = "finance"
    TECHNOLOGY_LEAD = "technology_lead"
    BUSINESS_UNIT_OWNER = "business_unit_owner"
    ENGINEER = "engineer"
    THIRD_PARTY = "third_party"
    NONE = "none"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: "Admin",
    Role.FINANCE: "Finance",
    Role.TECHNOLOGY_LEAD: "Technology lead",
    Role.BUSINESS_UNIT_OWNER: "Business-unit owner",
    Role.ENGINEER: "Engineer",
    Role.THIRD_PARTY: "Third party",
    Role.NONE: "No stakeholder record",
}

ROLE_BY_GROUP: dict[str, Role] = {
    Group.FINANCE: Role.FINANCE,
    Group.TECHNOLOGY: Role.TECHNOLOGY_LEAD,
    Group.BUSINESS_UNIT: Role.BUSINESS_UNIT_OWNER,
    Group.ENGINEERING: Role.ENGINEER,
    Group.THIRD_PARTY: Role.THIRD_PARTY,
}

# Roles that read every cost, budget and variance.
SEE_EVERYTHING = frozenset({Role.ADMIN, Role.FINANCE, Role.TECHNOLOGY_LEAD})
# Roles that belong to the organisation (everyone with a record but third parties).
INTERNAL = frozenset(
    {Role.ADMIN, Role.FINANCE, Role.TECHNOLOGY_LEAD, Role.BUSINESS_UNIT_OWNER, Role.ENGINEER}
)

# Per-request caches kept on the user object (a request's user lives as long as the request).
_CACHE = "_partnership_role_cache"
_VISIBILITY_CACHE = "_visibility_cache"
_TEAM_IDS_CACHE = "_my_team_ids_cache"
_ENGAGED_CACHE = "_engaged_today_cache"


def stakeholder_of(user: AnyUser | None) -> Stakeholder | None:
    """The active stakeholder linked to the user, or None (cached on the user object per request)."""
    if user is None or not user.is_authenticated:
        return None
    cached = getattr(user, _CACHE, None)
    if cached is not None:
        return cached[0]
    try:
        stakeholder: Stakeholder | None = user.stakeholder
    except Stakeholder.DoesNotExist:
        stakeholder = None
    if stakeholder is not None and not stakeholder.active:
        stakeholder = None
    setattr(user, _CACHE, (stakeholder,))
    return stakeholder


def forget(user: AnyUser | None) -> None:
    """Drop the cached stakeholder (after the user's record changed within one request or test)."""
    if hasattr(user, _CACHE):
        delattr(user, _CACHE)
    for name in (_VISIBILITY_CACHE, _TEAM_IDS_CACHE, _ENGAGED_CACHE):
        if hasattr(user, name):
            delattr(user, name)


def engagements_in_force(*, on: date, prefix: str = "") -> Q:
    """Engagements that grant access on a day: active, started (starts_on <= day) and not ended
    (ends_on, exclusive, after the day or empty). `prefix` reaches them through a relation."""
    return Q(**{f"{prefix}active": True, f"{prefix}starts_on__lte": on}) & (
        Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gt": on})
    )


def _engaged_today(user: AnyUser, stakeholder: Stakeholder) -> bool:
    """Whether a third party has an engagement in force today (cached on the user object per request)."""
    cached = getattr(user, _ENGAGED_CACHE, None)
    if cached is None:
        today = timezone.localdate()
        cached = stakeholder.engagements.filter(engagements_in_force(on=today)).exists()
        setattr(user, _ENGAGED_CACHE, cached)
    return bool(cached)


def role_of(user: AnyUser | None) -> Role:
    """The user's role. A third party whose engagements are none in force today (ended, not started or
    inactive) has no role: the home and account pages only, on every page, API token and feed alike."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Role.NONE
    if user.is_staff or user.is_superuser:
        return Role.ADMIN
    stakeholder = stakeholder_of(user)
    if stakeholder is None:
        return Role.NONE
    role = ROLE_BY_GROUP.get(stakeholder.group, Role.NONE)
    if role is Role.THIRD_PARTY and not _engaged_today(user, stakeholder):
        return Role.NONE
    return role


@dataclass(frozen=True)
class Visibility:
    """The cost scopes a user may see. `everything` overrides the rest."""

    role: Role
    everything: bool = False
    team_ids: frozenset[int] = frozenset()
    team_names: frozenset[str] = frozenset()
    unit_names: frozenset[str] = frozenset()
    scopes: frozenset[scopes.Scope] = frozenset()
    organisation_totals: bool = False
    stakeholder_id: int | None = None
    third_party: bool = field(default=False)

    @property
    def nothing(self) -> bool:
        return not self.everything and not self.team_ids and not self.scopes and not self.organisation_totals

    def accounts(self) -> set[str]:
        return {s.value for s in self.scopes if s.kind == scopes.ACCOUNT}

    def services(self) -> set[str]:
        return {s.value for s in self.scopes if s.kind == scopes.SERVICE}

    def tags(self) -> set[tuple[str, str]]:
        return {(s.key, s.value) for s in self.scopes if s.kind == scopes.TAG}

    def sees_scope(self, kind: str, key: str, value: str) -> bool:
        return self.everything or scopes.Scope(kind, key, value) in self.scopes

    def sees_team(self, team_id: int | None) -> bool:
        return self.everything or (team_id is not None and team_id in self.team_ids)


def _teams_with_their_units_teams(team_ids: set[int]) -> set[int]:
    """A business unit in the set brings every team whose parent it is."""
    units = set(
        Team.objects.filter(pk__in=team_ids, kind=Team.Kind.BUSINESS_UNIT).values_list("pk", flat=True)
    )
    children = set(Team.objects.filter(parent_id__in=units).values_list("pk", flat=True)) if units else set()
    return team_ids | children


def _claimed_scopes(*, team_ids: set[int], stakeholder_id: int) -> set[scopes.Scope]:
    """The scopes the teams or the person hold the primary claim on (see the module docstring)."""
    owners = Q(owner_team_id__in=team_ids) | Q(owner_stakeholder_id=stakeholder_id)
    rows = Ownership.objects.filter(owners, is_primary=True)
    return {
        scopes.Scope(k, key, v) for k, key, v in rows.values_list("scope_kind", "scope_key", "scope_value")
    }


def visibility_for(user: AnyUser | None) -> Visibility:
    """What cost scopes the user sees (cached on the user object for the request)."""
    cached = getattr(user, _VISIBILITY_CACHE, None)
    if cached is not None:
        return cached
    visibility = _compute_visibility(user)
    if user is not None and user.is_authenticated:
        setattr(user, _VISIBILITY_CACHE, visibility)
    return visibility


def _compute_visibility(user: AnyUser | None) -> Visibility:
    role = role_of(user)
    if role in SEE_EVERYTHING:
        return Visibility(role=role, everything=True, organisation_totals=True)
    stakeholder = stakeholder_of(user)
    if role is Role.NONE or stakeholder is None:
        return Visibility(role=role)
    if role is Role.THIRD_PARTY:
        in_force = engagements_in_force(on=timezone.localdate(), prefix="engagement__")
        rows = EngagementScope.objects.filter(in_force, engagement__party=stakeholder).values_list(
            "scope_kind", "scope_key", "scope_value"
        )
        return Visibility(
            role=role,
            scopes=frozenset(scopes.Scope(k, key, v) for k, key, v in rows),
            stakeholder_id=stakeholder.pk,
            third_party=True,
        )
    member_of = set(stakeholder.teams.values_list("pk", flat=True))
    team_ids = _teams_with_their_units_teams(member_of)
    teams = list(Team.objects.filter(pk__in=team_ids).values_list("name", "kind"))
    return Visibility(
        role=role,
        team_ids=frozenset(team_ids),
        team_names=frozenset(n for n, k in teams if k == Team.Kind.TEAM),
        unit_names=frozenset(n for n, k in teams if k == Team.Kind.BUSINESS_UNIT),
        scopes=frozenset(_claimed_scopes(team_ids=team_ids, stakeholder_id=stakeholder.pk)),
        organisation_totals=role is Role.BUSINESS_UNIT_OWNER,
        stakeholder_id=stakeholder.pk,
    )


def my_team_ids(user: AnyUser | None) -> set[int]:
    """The teams the user answers for: those they belong to and, for a unit, its teams (cached on the
    user object for the request, as the visibility is: a page asks once per claim it lists)."""
    cached = getattr(user, _TEAM_IDS_CACHE, None)
    if cached is not None:
        return set(cached)
    stakeholder = stakeholder_of(user)
    if stakeholder is None:
        return set()
    teams = _teams_with_their_units_teams(set(stakeholder.teams.values_list("pk", flat=True)))
    if user is not None and user.is_authenticated:
        setattr(user, _TEAM_IDS_CACHE, frozenset(teams))
    return teams
