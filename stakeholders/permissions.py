"""Who may do what with people, teams, ownership and engagements: small predicates, one place.

Pages, the API and the admin all ask these. The rules (see also README "Who may do what"):
  - people, teams and ownership: read by everyone in the organisation (not third parties, who see
    their own record only); people and teams are added and edited by admins and finance;
  - a person's group, role and linked login (what their login may do) are changed by admins only;
  - ownership: admins and finance manage any claim; a technology lead manages the claims of their own
    teams (the teams they belong to and, for a business unit, its teams, and their members), and only on
    scopes nobody claims or whose primary claim is theirs: adding a claim to, or taking the primary
    claim of, a scope another team owns is for admins and finance;
  - engagements (fees, savings, ROI): read by admins, finance and technology leads; managed by admins
    and finance;
  - the programme readiness check: admins, finance and technology leads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from rest_framework import permissions

from common.types import AnyUser
from stakeholders.models import Engagement, Ownership, Stakeholder, Team
from stakeholders.roles import INTERNAL, Role, my_team_ids, role_of, stakeholder_of

A, F, T, B, E, P = (
    Role.ADMIN,
    Role.FINANCE,
    Role.TECHNOLOGY_LEAD,
    Role.BUSINESS_UNIT_OWNER,
    Role.ENGINEER,
    Role.THIRD_PARTY,
)
YES = "yes"


@dataclass(frozen=True)
class Capability:
    """One row of the role matrix: what each role may do ("yes", a limit such as "own teams", or no)."""

    key: str
    label: str
    roles: dict[Role, str]

    def allows(self, role: Role) -> bool:
        return bool(self.roles.get(role))


def _all(*roles: Role, **limits: str) -> dict[Role, str]:
    cells = {role: YES for role in roles}
    cells.update({Role(name): text for name, text in limits.items()})
    return cells


CAPABILITIES: list[Capability] = [
    Capability(
        "people.read", "Read people, teams and ownership", _all(A, F, T, B, E, third_party="own record")
    ),
    Capability("people.manage", "Add and edit people and teams", _all(A, F)),
    Capability("people.access", "Change a person's group, role or login (ends their sessions)", _all(A)),
    Capability(
        "ownership.manage",
        "Manage ownership claims",
        _all(A, F, technology_lead="their teams, on scopes unclaimed or theirs"),
    ),
    Capability("ownership.take", "Claim or take over a scope another team owns", _all(A, F)),
    Capability("engagements.read", "Read third-party engagements, fees and ROI", _all(A, F, T)),
    Capability("engagements.manage", "Manage engagements and attributed savings", _all(A, F)),
    Capability("readiness.read", "Programme readiness check", _all(A, F, T)),
    Capability("users.manage", "Users, tokens of others, sources' schedules (Django admin)", _all(A)),
]

# The audit trail (the audit package) asks this rule who may read it: registered in StakeholdersConfig.ready.
AUDIT_CAPABILITIES: list[Capability] = [
    Capability("audit.read", "Read the audit trail (page and API)", _all(A, F)),
]


def may_read_audit(user: AnyUser | None) -> bool:
    return bool(getattr(user, "is_active", False)) and AUDIT_CAPABILITIES[0].allows(role_of(user))


# Every app's rows of the role matrix, by key: each app's permissions module registers its CAPABILITIES
# when it is imported, and `may` is the one rule for asking any of them.
_CAPABILITIES: dict[str, Capability] = {}


def register_capabilities(capabilities: Iterable[Capability]) -> None:
    for capability in capabilities:
        known = _CAPABILITIES.setdefault(capability.key, capability)
        if known != capability:
            raise ImproperlyConfigured(f"Two capabilities are keyed {capability.key!r}.")


def may(user: AnyUser, key: str) -> bool:
    return _CAPABILITIES[key].allows(role_of(user))


register_capabilities([*CAPABILITIES, *AUDIT_CAPABILITIES])


# --- predicates ---------------------------------------------------------------------------------------


def is_admin(user: AnyUser) -> bool:
    return role_of(user) is Role.ADMIN


def is_finance(user: AnyUser) -> bool:
    return role_of(user) is Role.FINANCE


def is_technology_lead(user: AnyUser) -> bool:
    return role_of(user) is Role.TECHNOLOGY_LEAD


def is_internal(user: AnyUser) -> bool:
    return role_of(user) in INTERNAL


def can_read(user: AnyUser) -> bool:
    """Read the directory of people, teams and ownership."""
    return is_internal(user)


def can_edit_people(user: AnyUser) -> bool:
    """Add and edit stakeholders and teams."""
    return may(user, "people.manage")


def can_manage_ownership(
    user: AnyUser, *, team: Team | None = None, stakeholder: Stakeholder | None = None
) -> bool:
    """Admins and finance: any claim. Technology leads: claims owned by their teams (or by a member of
    their teams), and they may open the form (no owner chosen yet)."""
    role = role_of(user)
    if role in (Role.ADMIN, Role.FINANCE):
        return True
    if role is not Role.TECHNOLOGY_LEAD:
        return False
    if team is None and stakeholder is None:
        return True
    teams = my_team_ids(user)
    if team is not None:
        return team.pk in teams
    # Read through .all() so a list that prefetched its owners' teams asks nothing more per claim.
    return stakeholder is not None and any(t.pk in teams for t in stakeholder.teams.all())


def can_manage_claim(user: AnyUser, ownership: Ownership) -> bool:
    return can_manage_ownership(user, team=ownership.owner_team, stakeholder=ownership.owner_stakeholder)


def can_claim_scope(user: AnyUser, *, primary: Ownership | None) -> bool:
    """Add a claim to a scope whose primary claim is `primary` (None: nobody claims it), or hand its
    primary ownership away from `primary`. Admins and finance: any scope. Technology leads: a scope
    nobody claims or whose primary claim they manage (their teams' or their members')."""
    if may(user, "ownership.take"):
        return True
    return primary is None or can_manage_claim(user, primary)


def can_change_access(user: AnyUser) -> bool:
    """Change what a login may do: a person's group, role or linked login."""
    return may(user, "people.access")


def can_read_engagements(user: AnyUser) -> bool:
    return may(user, "engagements.read")


def can_manage_engagements(user: AnyUser) -> bool:
    return may(user, "engagements.manage")


def can_read_readiness(user: AnyUser) -> bool:
    return may(user, "readiness.read")


# --- what a user may see ------------------------------------------------------------------------------


def visible_stakeholders(
    user: AnyUser, queryset: QuerySet[Stakeholder] | None = None
) -> QuerySet[Stakeholder]:
    queryset = Stakeholder.objects.all() if queryset is None else queryset
    if is_internal(user):
        return queryset
    me = stakeholder_of(user)
    return queryset.filter(pk=me.pk) if me is not None else queryset.none()


def visible_teams(user: AnyUser, queryset: QuerySet[Team] | None = None) -> QuerySet[Team]:
    queryset = Team.objects.all() if queryset is None else queryset
    return queryset if is_internal(user) else queryset.none()


def visible_ownerships(user: AnyUser, queryset: QuerySet[Ownership] | None = None) -> QuerySet[Ownership]:
    queryset = Ownership.objects.all() if queryset is None else queryset
    return queryset if is_internal(user) else queryset.none()


def visible_engagements(user: AnyUser, queryset: QuerySet[Engagement] | None = None) -> QuerySet[Engagement]:
    queryset = Engagement.objects.all() if queryset is None else queryset
    return queryset if can_read_engagements(user) else queryset.none()


# --- pages and the API --------------------------------------------------------------------------------


class ReadAllWriteLeads(permissions.BasePermission):
    """DRF for people and teams: reading for the organisation; writes for admins and finance."""

    message = "Only admins and finance change people and teams."

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return bool(getattr(request.user, "is_authenticated", False))  # querysets filter the rest
        return can_edit_people(request.user)


class OwnershipPermission(permissions.BasePermission):
    """Reading for the organisation (the queryset filters); writes per claim (technology leads: theirs)."""

    message = "Only admins, finance and the technology leads of the owning team change this claim."

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return bool(getattr(request.user, "is_authenticated", False))
        return can_manage_ownership(request.user)

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return can_manage_claim(request.user, obj)


class EngagementPermission(permissions.BasePermission):
    message = "Only admins and finance change engagements and savings."

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return bool(getattr(request.user, "is_authenticated", False))
        return can_manage_engagements(request.user)


class ReadinessPermission(permissions.BasePermission):
    message = "The readiness check is for admins, finance and technology leads."

    def has_permission(self, request: Any, view: Any) -> bool:
        return can_read_readiness(request.user)


def allowed(predicate: Callable[[Any], bool], message: str) -> Callable[..., Any]:
    """Page decorator: 403 unless `predicate(user)` (login is checked separately)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not predicate(request.user):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


edit_required = allowed(can_edit_people, "You may view people and teams but not change them.")
read_required = allowed(can_read, "The people directory is for the organisation's staff.")
ownership_required = allowed(
    can_manage_ownership, "Only admins, finance and technology leads manage ownership."
)
engagement_edit_required = allowed(can_manage_engagements, "Only admins and finance change engagements.")
engagement_read_required = allowed(can_read_engagements, "Engagements are for admins, finance and leads.")
readiness_required = allowed(can_read_readiness, "The readiness check is for admins, finance and leads.")
