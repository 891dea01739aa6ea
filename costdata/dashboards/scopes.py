"""What a dashboard is about (a cost scope) and who owns which cost rows.

A scope is the organisation, a business unit, a team, an account or a service. Who owns a cost row (for
business unit and team scopes) follows stakeholders/scopes.py at the service grain (DailyCost has no
tags): the primary claim on the row's account decides, else the primary claim on its service. Every row
therefore belongs to at most one team, so the business units plus "No business unit" add up to the
organisation exactly. Allocation-tag claims apply to the tag grain (DailyTagCost), which is never added
to the service grain; they do not move rows between teams here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from costdata.dashboards.filters import SCOPE_KINDS, SCOPE_LABELS, DashboardFilters
from costdata.models import CloudAccount
from stakeholders import scopes as ownership_scopes
from stakeholders.models import Ownership, Team

NO_BUSINESS_UNIT = "No business unit"


@dataclass(frozen=True)
class CostScope:
    """What a dashboard is about. kind: organisation, business_unit, team, account or service."""

    kind: str
    value: str = ""
    label: str = "Organisation"
    team: Team | None = None

    @property
    def kind_label(self) -> str:
        return SCOPE_LABELS[self.kind]

    @property
    def title(self) -> str:
        return self.label if self.kind == "organisation" else f"{self.kind_label} {self.label}"


ORGANISATION = CostScope("organisation")


class UnknownScope(LookupError):
    pass


def scope_for(kind: str, value: str) -> CostScope:
    """The scope a scope page's URL names; UnknownScope with a message for a bad one."""
    if kind not in SCOPE_KINDS:
        raise UnknownScope(f"Unknown scope type {kind!r}; choose one of {', '.join(SCOPE_KINDS)}.")
    if kind in ("business_unit", "team"):
        team = Team.objects.filter(pk=int(value), kind=kind).first() if value.isdigit() else None
        if team is None:
            raise UnknownScope(f"There is no {SCOPE_LABELS[kind].lower()} with id {value!r}.")
        return CostScope(kind, str(team.pk), team.name, team)
    if not value or len(value) > 255:
        raise UnknownScope(f"Give a {kind} name.")
    if kind == "account":
        account = CloudAccount.objects.filter(account_id=value).first()
        label = f"{account.name} ({value})" if account and account.name else value
        return CostScope(kind, value, label)
    return CostScope(kind, value, value)


@dataclass(frozen=True)
class OwnershipMap:
    """Primary team claims at the service grain: account -> team id, service -> team id."""

    accounts: dict[str, int]
    services: dict[str, int]
    parents: dict[int, int | None]  # team id -> business unit id (a unit maps to itself)

    def team_q(self, team_ids: set[int]) -> Q:
        """Rows owned by any of `team_ids`: by their account's claim, else by their service's."""
        account_part, service_part = self.team_parts(team_ids)
        return account_part | service_part if service_part is not None else account_part

    def team_parts(self, team_ids: set[int]) -> tuple[Q, Q | None]:
        """team_q as two disjoint pieces: the rows of the teams' accounts (a condition on account_id
        alone, which the daily rollup by account answers), and the rows their service claims add on
        accounts nobody claims (None without service claims), which only the facts can answer."""
        owned_accounts = sorted(a for a, t in self.accounts.items() if t in team_ids)
        owned_services = sorted(s for s, t in self.services.items() if t in team_ids)
        # Nothing owned is still a condition on account_id (an empty IN), so it stays rollup-friendly.
        accounts = Q(account_id__in=owned_accounts)
        if not owned_services:
            return accounts, None
        return accounts, Q(service__in=owned_services) & ~Q(account_id__in=sorted(self.accounts))

    def unit_team_ids(self, unit_id: int) -> set[int]:
        return {unit_id} | {t for t, parent in self.parents.items() if parent == unit_id}

    def unowned_by_units_q(self) -> Q:
        """Rows no business unit answers for: unclaimed, or claimed by a team outside every unit."""
        in_units = {t for t, parent in self.parents.items() if parent is not None}
        return ~self.team_q(in_units)


def ownership_map() -> OwnershipMap:
    claims = (
        Ownership.objects.filter(
            scope_kind__in=[ownership_scopes.ACCOUNT, ownership_scopes.SERVICE],
            owner_team__isnull=False,
            scope_key="",
        )
        .order_by("-is_primary", "created_at", "pk")
        .values_list("scope_kind", "scope_value", "owner_team_id")
    )
    accounts: dict[str, int] = {}
    services: dict[str, int] = {}
    for kind, value, team_id in claims:
        (accounts if kind == ownership_scopes.ACCOUNT else services).setdefault(value, team_id)
    parents: dict[int, int | None] = {}
    for pk, kind, parent_id in Team.objects.values_list("pk", "kind", "parent_id"):
        parents[pk] = pk if kind == Team.Kind.BUSINESS_UNIT else parent_id
    return OwnershipMap(accounts, services, parents)


def scope_q(scope: CostScope, owners: OwnershipMap) -> Q:
    if scope.kind == "organisation":
        return Q()
    if scope.kind == "account":
        return Q(account_id=scope.value)
    if scope.kind == "service":
        return Q(service=scope.value)
    assert scope.team is not None
    if scope.kind == "business_unit":
        return owners.team_q(owners.unit_team_ids(scope.team.pk))
    return owners.team_q({scope.team.pk})


def filters_q(filters: DashboardFilters, owners: OwnershipMap) -> Q:
    condition = Q()
    if filters.business_unit:
        condition &= owners.team_q(owners.unit_team_ids(filters.business_unit.pk))
    if filters.team:
        condition &= owners.team_q({filters.team.pk})
    if filters.account:
        condition &= Q(account_id=filters.account)
    if filters.service:
        condition &= Q(service=filters.service)
    if filters.visible is not None:
        condition &= filters.visible
    return condition


@dataclass(frozen=True)
class PartCondition:
    """A breakdown row's condition, split so rollups can answer most of it.

    full = base | extra (disjoint): `base` looks at account_id alone (the daily rollup answers it),
    `extra` (None: nothing) needs the facts. A `remainder` row is what its siblings leave of the total
    (the organisation's "No business unit"): its amounts are the total less theirs, exactly.
    """

    full: Q
    base: Q
    extra: Q | None = None
    remainder: bool = False
    # The extra rows' shape when known: these services on accounts outside `claimed_accounts`.
    extra_services: tuple[str, ...] = ()
    claimed_accounts: frozenset[str] = frozenset()


def _team_part(owners: OwnershipMap, team_ids: set[int]) -> PartCondition:
    base, extra = owners.team_parts(team_ids)
    return PartCondition(
        full=owners.team_q(team_ids),
        base=base,
        extra=extra,
        extra_services=tuple(sorted(s for s, t in owners.services.items() if t in team_ids)),
        claimed_accounts=frozenset(owners.accounts),
    )


def breakdown_scopes(
    scope: CostScope, filters: DashboardFilters, owners: OwnershipMap
) -> list[tuple[CostScope, PartCondition]]:
    """The rows under the total in "this month": business units (organisation), teams (a unit)."""
    if scope.kind == "organisation" and not (filters.business_unit or filters.team):
        units = list(Team.objects.filter(kind=Team.Kind.BUSINESS_UNIT).order_by("name"))
        rows = [
            (CostScope("business_unit", str(u.pk), u.name, u), _team_part(owners, owners.unit_team_ids(u.pk)))
            for u in units
        ]
        if units:
            in_units = {t for t, parent in owners.parents.items() if parent is not None}
            base, _ = owners.team_parts(in_units)
            rows.append(
                (
                    CostScope("organisation", "", NO_BUSINESS_UNIT),
                    # Units and "No business unit" partition the condition, so it is the remainder.
                    PartCondition(full=owners.unowned_by_units_q(), base=~base, remainder=True),
                )
            )
        return rows
    unit = scope.team if scope.kind == "business_unit" else filters.business_unit
    if unit is not None and not filters.team and scope.kind in ("organisation", "business_unit"):
        teams = list(Team.objects.filter(parent=unit, kind=Team.Kind.TEAM).order_by("name"))
        return [(CostScope("team", str(t.pk), t.name, t), _team_part(owners, {t.pk})) for t in teams]
    return []
