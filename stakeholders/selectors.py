"""Reads about people, who owns which costs, engagements and the programme's readiness."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from audit.selectors import ObjectHistory, history_for
from common.types import AnyUser
from stakeholders import roi as roi_rules
from stakeholders import scopes
from stakeholders.filters import StakeholderFilter
from stakeholders.known_accounts import KnownAccount
from stakeholders.models import (
    AttributedSaving,
    Engagement,
    Group,
    Ownership,
    Role,
    Stakeholder,
    Team,
)

# --- people and teams ---------------------------------------------------------------------------


def stakeholder_list(
    *, active_only: bool = True, filters: Mapping[str, Any] | None = None
) -> QuerySet[Stakeholder]:
    queryset = Stakeholder.objects.select_related("user").prefetch_related(
        Prefetch("teams", queryset=Team.objects.order_by("name"))
    )
    if active_only:
        queryset = queryset.filter(active=True)
    if filters:
        queryset = StakeholderFilter(filters, queryset=queryset).qs
    return queryset


def stakeholder_for_user(user: AnyUser) -> Stakeholder | None:
    return Stakeholder.objects.filter(user=user).first() if user.is_authenticated else None


def team_list() -> QuerySet[Team]:
    return (
        Team.objects.select_related("parent")
        .prefetch_related(Prefetch("members", queryset=Stakeholder.objects.order_by("name")))
        .annotate(ownership_count=Count("ownerships", distinct=True))
        .order_by("kind", "name")
    )


def team_ids_for_stakeholder(stakeholder: Stakeholder) -> set[int]:
    """The stakeholder's teams, plus the teams of any business unit they belong to."""
    direct = set(stakeholder.teams.values_list("pk", flat=True))
    children = set(Team.objects.filter(parent_id__in=direct).values_list("pk", flat=True))
    return direct | children


def ownership_list() -> QuerySet[Ownership]:
    return Ownership.objects.select_related("owner_team", "owner_stakeholder")


def stakeholder_ownerships(stakeholder: Stakeholder) -> QuerySet[Ownership]:
    """Scopes the stakeholder owns in person or through their teams and business units."""
    return ownership_list().filter(
        Q(owner_stakeholder=stakeholder) | Q(owner_team_id__in=team_ids_for_stakeholder(stakeholder))
    )


def team_ownerships(team: Team) -> QuerySet[Ownership]:
    """A team's own claims; for a business unit, its teams' claims too."""
    return ownership_list().filter(Q(owner_team=team) | Q(owner_team__parent=team))


def scope_claims(*, scope_kind: str, scope_key: str, scope_value: str) -> QuerySet[Ownership]:
    return ownership_list().filter(scope_kind=scope_kind, scope_key=scope_key, scope_value=scope_value)


def audit_for(obj: Any, *, limit: int = 20) -> ObjectHistory:
    """The object's latest changes from the audit trail, and the link to its full history."""
    return history_for(obj, limit=limit)


# --- who owns a cost row ------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnerMatch:
    """The owner of a cost row and why: the deciding scope and the primary claim on it."""

    ownership: Ownership
    scope: scopes.Scope
    considered: tuple[scopes.Scope, ...]  # the row's scopes, in order of precedence

    @property
    def owner(self) -> Team | Stakeholder:
        return self.ownership.owner  # type: ignore[return-value]

    @property
    def owner_team(self) -> Team | None:
        return self.ownership.owner_team

    @property
    def owner_stakeholder(self) -> Stakeholder | None:
        return self.ownership.owner_stakeholder

    @property
    def reason(self) -> str:
        return f"primary owner of {self.scope}"


class OwnershipIndex:
    """Every scope's primary claim, loaded once, to answer "who owns this row" for many rows."""

    def __init__(self, claims: Iterable[Ownership]) -> None:
        """`claims` in order of preference per scope: the primary first, then the oldest."""
        self._primary: dict[scopes.Scope, Ownership] = {}
        for claim in claims:
            self._primary.setdefault(claim.scope, claim)

    def __len__(self) -> int:
        return len(self._primary)

    def owner_for(
        self,
        *,
        account_id: str,
        service: str,
        tags: Mapping[str, str] | None = None,
        cost_categories: Mapping[str, str] | None = None,
    ) -> OwnerMatch | None:
        considered = scopes.row_scopes(
            account_id=account_id, service=service, tags=tags, cost_categories=cost_categories
        )
        found = scopes.resolve(
            self._primary, account_id=account_id, service=service, tags=tags, cost_categories=cost_categories
        )
        if found is None:
            return None
        scope, ownership = found
        return OwnerMatch(ownership=ownership, scope=scope, considered=tuple(considered))  # type: ignore[arg-type]


def ownership_index() -> OwnershipIndex:
    # Services keep one primary per claimed scope; a claim made around them (raw admin rows) with no
    # primary falls back to the oldest claim rather than leaving the scope unowned.
    return OwnershipIndex(ownership_list().order_by("-is_primary", "created_at", "pk"))


def cost_owner_for(
    *,
    account_id: str,
    service: str = "",
    tags: Mapping[str, str] | None = None,
    cost_categories: Mapping[str, str] | None = None,
) -> OwnerMatch | None:
    """Who owns a cost row: the primary owner of its most specific claimed scope, or None.

    Precedence (see stakeholders/scopes.py): allocation tag > cost category > account > service; among
    several claimed tags (or categories) the key that sorts first; within a scope the primary claim.
    Routing many rows? Build `ownership_index()` once and call its `owner_for`.
    """
    return ownership_index().owner_for(
        account_id=account_id, service=service, tags=tags, cost_categories=cost_categories
    )


# --- engagements and ROI ------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodReturn:
    period_start: date
    period_end: date
    label: str
    savings: Decimal
    fee: Decimal
    roi: Decimal | None
    note: str = ""
    saving_id: int | None = None

    @property
    def roi_display(self) -> str:
        return roi_rules.percent(self.roi)


@dataclass(frozen=True)
class EngagementReturn:
    currency: str
    periods: list[PeriodReturn]
    savings: Decimal
    fee: Decimal
    roi: Decimal | None  # over every period with attributed savings; None: no stated ROI

    @property
    def roi_display(self) -> str:
        return roi_rules.percent(self.roi)

    @property
    def stated(self) -> bool:
        return self.roi is not None


def engagement_list() -> QuerySet[Engagement]:
    return Engagement.objects.select_related("party").prefetch_related("scopes", "savings")


def engagement_return(engagement: Engagement) -> EngagementReturn:
    """ROI per period = (savings - fee) / fee, for each period with savings attributed, and overall."""
    periods = []
    for saving in sorted(engagement.savings.all(), key=lambda s: s.period_start):
        fee = engagement.fee_for(saving.amount)
        periods.append(
            PeriodReturn(
                period_start=saving.period_start,
                period_end=roi_rules.period_end(saving.period_start, engagement.period),
                label=roi_rules.period_label(saving.period_start, engagement.period),
                savings=saving.amount,
                fee=fee,
                roi=roi_rules.roi(savings=saving.amount, fee=fee),
                note=saving.note,
                saving_id=saving.pk,
            )
        )
    savings = sum((p.savings for p in periods), Decimal("0"))
    fee = sum((p.fee for p in periods), Decimal("0"))
    overall = roi_rules.roi(savings=savings, fee=fee) if periods else None
    return EngagementReturn(
        currency=engagement.currency, periods=periods, savings=savings, fee=fee, roi=overall
    )


def saving_list() -> QuerySet[AttributedSaving]:
    return AttributedSaving.objects.select_related("engagement", "engagement__party")


# --- programme readiness ------------------------------------------------------------------------


@dataclass
class ReadinessCheck:
    code: str
    title: str
    ok: bool
    detail: str
    missing: list[str] = field(default_factory=list)
    fix_url_name: str = ""
    missing_accounts: list[KnownAccount] = field(default_factory=list)


@dataclass
class Readiness:
    checks: list[ReadinessCheck]

    @property
    def findings(self) -> list[ReadinessCheck]:
        return [check for check in self.checks if not check.ok]

    @property
    def ready(self) -> bool:
        return not self.findings


def _people_check(
    code: str, title: str, people: QuerySet[Stakeholder], missing: str, fix: str
) -> ReadinessCheck:
    names = [f"{p.name} ({p.get_role_display()})" for p in people.order_by("name")]
    if names:
        return ReadinessCheck(code, title, True, ", ".join(names))
    return ReadinessCheck(code, title, False, missing, fix_url_name=fix)


def programme_readiness(*, accounts: Iterable[KnownAccount]) -> Readiness:
    """What is missing against COST01-BP02's "define key members" step.

    1. a finance lead: an active member of the finance group;
    2. a technology lead: an active member of the technology group;
    3. a business-unit owner: an active stakeholder with that role;
    4. an engineering team: a team with at least one active engineer or engineering lead;
    5. every known account has an owner (an account claim; tags cannot stand in for the account);
    6. every active third party has a stated ROI: an engagement with savings attributed and a fee.
    """
    active = Stakeholder.objects.filter(active=True)
    return Readiness(
        checks=[
            *_lead_checks(active),
            _engineering_team_check(),
            _account_owner_check(list(accounts)),
            _third_party_roi_check(active),
        ]
    )


def _lead_checks(active: QuerySet[Stakeholder]) -> list[ReadinessCheck]:
    """Steps 1 to 3 of programme_readiness: the finance, technology and business-unit leads."""
    return [
        _people_check(
            "no_finance_lead",
            "Finance lead",
            active.filter(group=Group.FINANCE),
            "Nobody from finance is in the programme: add a CFO, controller or planner.",
            "stakeholder-create",
        ),
        _people_check(
            "no_technology_lead",
            "Technology lead",
            active.filter(group=Group.TECHNOLOGY),
            "Nobody from technology is in the programme: add a product owner or technical manager.",
            "stakeholder-create",
        ),
        _people_check(
            "no_business_unit_owner",
            "Business-unit owner",
            active.filter(role=Role.BUSINESS_UNIT_OWNER),
            "No business unit has an owner in the programme.",
            "stakeholder-create",
        ),
    ]


def _engineering_team_check() -> ReadinessCheck:
    """Step 4 of programme_readiness: a team with an active engineer."""
    engineering_teams = (
        Team.objects.filter(kind=Team.Kind.TEAM, members__active=True, members__group=Group.ENGINEERING)
        .distinct()
        .order_by("name")
    )
    names = [team.name for team in engineering_teams]
    if names:
        return ReadinessCheck("no_engineering_team", "Engineering team", True, ", ".join(names))
    return ReadinessCheck(
        "no_engineering_team",
        "Engineering team",
        False,
        "No team has an active engineer in it.",
        fix_url_name="team-list",
    )


def _account_owner_check(accounts: list[KnownAccount]) -> ReadinessCheck:
    """Step 5 of programme_readiness: every known account claimed by an owner."""
    owned = set(Ownership.objects.filter(scope_kind=scopes.ACCOUNT).values_list("scope_value", flat=True))
    unowned_accounts = [a for a in accounts if a.account_id not in owned]
    unowned = [str(a) for a in unowned_accounts]
    if not accounts:
        detail = "No cloud accounts are known yet: no cost source has reported any."
    elif unowned:
        detail = f"{len(unowned)} of {len(accounts)} accounts have no owner."
    else:
        detail = f"All {len(accounts)} accounts have an owner."
    return ReadinessCheck(
        "accounts_without_owner",
        "Account owners",
        not unowned,
        detail,
        unowned,
        fix_url_name="ownership-create" if unowned else "",
        missing_accounts=unowned_accounts,
    )


def _third_party_roi_check(active: QuerySet[Stakeholder]) -> ReadinessCheck:
    """Step 6 of programme_readiness: every active third party's engagements have a stated ROI."""
    without_roi = []
    parties = active.filter(group=Group.THIRD_PARTY).prefetch_related(
        Prefetch("engagements", queryset=engagement_list().filter(active=True))
    )
    for party in parties.order_by("name"):
        engagements = list(party.engagements.all())
        if not engagements:
            without_roi.append(f"{party.name}: no engagement recorded")
        for engagement in engagements:
            result = engagement_return(engagement)
            if not result.periods:
                without_roi.append(f"{party.name}, {engagement.name}: no savings attributed")
            elif not result.stated:
                without_roi.append(f"{party.name}, {engagement.name}: no fee to measure a return against")
    return ReadinessCheck(
        "third_parties_without_roi",
        "Third-party ROI",
        not without_roi,
        f"{len(without_roi)} third-party engagements have no stated ROI."
        if without_roi
        else "Every third party has a stated ROI.",
        without_roi,
        fix_url_name="engagement-list" if without_roi else "",
    )
