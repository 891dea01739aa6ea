"""The demo programme's people, ownership and third-party engagements.

`demo_programme_people_seed()` staffs every group beside the demo users partnership/demo.py creates
(these extra people have no login), gives the demo teams the demo accounts and `team` tag values, and
records the consultant's and a tool vendor's engagements with savings so their ROI shows. Safe to run
again: it only adds what is missing and never changes what someone has edited since.

The account ids and tag values mirror costdata/ingestion/demo_source.py's DEMO_ACCOUNTS; they are written out here
because stakeholders does not depend on costdata.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from stakeholders import roi as roi_rules
from stakeholders import scopes, services
from stakeholders.models import Engagement, Group, Ownership, Role, Stakeholder, Team

UNITS = {"Digital products": ("Payments", "Search", "Web"), "Data and platform": ("Data", "Platform")}


@dataclass(frozen=True)
class ProgrammePerson:
    email: str
    name: str
    title: str
    group: str
    role: str
    teams: tuple[str, ...] = ()


PEOPLE: tuple[ProgrammePerson, ...] = (
    ProgrammePerson("cfo@example.com", "Margaret Osei", "Chief financial officer", Group.FINANCE, Role.CFO),
    ProgrammePerson(
        "planner@example.com",
        "Daniel Weiss",
        "Financial planner, technology",
        Group.FINANCE,
        Role.FINANCIAL_PLANNER,
    ),
    ProgrammePerson(
        "analyst@example.com",
        "Priya Raman",
        "Business analyst, cloud costs",
        Group.FINANCE,
        Role.BUSINESS_ANALYST,
    ),
    ProgrammePerson(
        "procurement@example.com", "Lars Eriksen", "Procurement manager", Group.FINANCE, Role.PROCUREMENT
    ),
    ProgrammePerson(
        "sourcing@example.com", "Aiko Tanaka", "Strategic sourcing lead", Group.FINANCE, Role.SOURCING
    ),
    ProgrammePerson(
        "payables@example.com", "Grace Mwangi", "Accounts payable lead", Group.FINANCE, Role.ACCOUNTS_PAYABLE
    ),
    ProgrammePerson(
        "search-po@example.com",
        "Jonas Becker",
        "Product owner, search",
        Group.TECHNOLOGY,
        Role.PRODUCT_OWNER,
        ("Search",),
    ),
    ProgrammePerson(
        "data-owner@example.com",
        "Sofia Alvarez",
        "Application owner, data platform",
        Group.TECHNOLOGY,
        Role.APPLICATION_OWNER,
        ("Data",),
    ),
    ProgrammePerson(
        "web-rep@example.com",
        "Noah Fischer",
        "Team representative, web",
        Group.TECHNOLOGY,
        Role.TEAM_REPRESENTATIVE,
        ("Web",),
    ),
    ProgrammePerson(
        "dp-owner@example.com",
        "Hannah Kowalski",
        "Director, data and platform",
        Group.BUSINESS_UNIT,
        Role.BUSINESS_UNIT_OWNER,
        ("Data and platform",),
    ),
    ProgrammePerson(
        "platform-lead@example.com",
        "Omar Haddad",
        "Engineering lead, platform",
        Group.ENGINEERING,
        Role.ENGINEERING_LEAD,
        ("Platform",),
    ),
    ProgrammePerson(
        "search-eng@example.com", "Mei Lin", "Engineer, search", Group.ENGINEERING, Role.ENGINEER, ("Search",)
    ),
    ProgrammePerson(
        "data-eng@example.com", "Kwame Asante", "Data engineer", Group.ENGINEERING, Role.ENGINEER, ("Data",)
    ),
    ProgrammePerson(
        "web-eng@example.com", "Isla Murray", "Front-end engineer", Group.ENGINEERING, Role.ENGINEER, ("Web",)
    ),
    ProgrammePerson(
        "vendor@example.com",
        "Spendlens Ltd",
        "Cost-visibility tool vendor",
        Group.THIRD_PARTY,
        Role.TOOL_VENDOR,
    ),
)

# (scope kind, key, value, owning team); mirrors costdata/ingestion/demo_source.py DEMO_ACCOUNTS.
TEAM_CLAIMS: tuple[tuple[str, str, str, str], ...] = (
    (scopes.ACCOUNT, "", "210987654321", "Payments"),  # payments-prod
    (scopes.ACCOUNT, "", "210987654322", "Payments"),  # payments-staging
    (scopes.ACCOUNT, "", "310987654321", "Search"),  # search-prod
    (scopes.ACCOUNT, "", "410987654321", "Data"),  # data-platform
    (scopes.ACCOUNT, "", "510987654321", "Web"),  # marketing-web
    (scopes.ACCOUNT, "", "610987654321", "Platform"),  # shared-services
    (scopes.TAG, "team", "payments", "Payments"),
    (scopes.TAG, "team", "search", "Search"),
    (scopes.TAG, "team", "data", "Data"),
    (scopes.TAG, "team", "web", "Web"),
    (scopes.TAG, "team", "platform", "Platform"),
    (scopes.SERVICE, "", "AWS Config", "Platform"),
    # The business unit also claims its teams' production accounts (secondary: the team answers).
    (scopes.ACCOUNT, "", "210987654321", "Digital products"),
    (scopes.ACCOUNT, "", "310987654321", "Digital products"),
)

CONSULTANT_EMAIL = "consultant@example.com"  # created with a login by partnership/demo.py
CONSULTANT_SAVINGS = (
    Decimal("5200.00"),
    Decimal("6100.00"),
    Decimal("4800.00"),
    Decimal("7300.00"),
    Decimal("6900.00"),
)


@dataclass
class ProgrammeSeedResult:
    people: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    ownerships: list[str] = field(default_factory=list)
    engagements: list[str] = field(default_factory=list)
    savings: int = 0


def _teams(result: ProgrammeSeedResult) -> dict[str, Team]:
    teams: dict[str, Team] = {}
    for unit_name, team_names in UNITS.items():
        unit = Team.objects.filter(name=unit_name).first()
        if unit is None:
            unit = services.team_create(name=unit_name, kind=Team.Kind.BUSINESS_UNIT)
            result.teams.append(unit_name)
        teams[unit_name] = unit
        for team_name in team_names:
            team = Team.objects.filter(name=team_name).first()
            if team is None:
                team = services.team_create(name=team_name, kind=Team.Kind.TEAM, parent=unit)
                result.teams.append(team_name)
            teams[team_name] = team
    return teams


def _people(teams: dict[str, Team], result: ProgrammeSeedResult) -> None:
    for person in PEOPLE:
        stakeholder = Stakeholder.objects.filter(email=person.email).first()
        if stakeholder is None:
            stakeholder = services.stakeholder_create(
                name=person.name, email=person.email, title=person.title, group=person.group, role=person.role
            )
            stakeholder.teams.add(*(teams[name] for name in person.teams))
            result.people.append(person.name)


def _claims(teams: dict[str, Team], result: ProgrammeSeedResult) -> None:
    for kind, key, value, team_name in TEAM_CLAIMS:
        team = teams[team_name]
        if Ownership.objects.filter(
            scope_kind=kind, scope_key=key, scope_value=value, owner_team=team
        ).exists():
            continue
        ownership = services.ownership_create(
            scope_kind=kind, scope_key=key, scope_value=value, owner_team=team
        )
        result.ownerships.append(str(ownership))


def _engagement(
    *, party: Stakeholder, name: str, result: ProgrammeSeedResult, savings: dict[date, Decimal], **terms
) -> None:
    engagement = Engagement.objects.filter(party=party, name=name).first()
    if engagement is None:
        engagement = services.engagement_create(party=party, name=name, **terms)
        result.engagements.append(name)
    recorded = set(engagement.savings.values_list("period_start", flat=True))
    for period_start, amount in savings.items():
        if period_start not in recorded:
            services.saving_record(engagement=engagement, period_start=period_start, amount=amount)
            result.savings += 1


def _engagements(today: date, result: ProgrammeSeedResult) -> None:
    this_month = today.replace(day=1)
    consultant = Stakeholder.objects.filter(email=CONSULTANT_EMAIL, group=Group.THIRD_PARTY).first()
    if consultant is not None:
        start = roi_rules.add_months(this_month, -6)
        _engagement(
            party=consultant,
            name="Cloudwise rightsizing retainer",
            result=result,
            model=Engagement.Model.RETAINER,
            fee=Decimal("4000.00"),
            currency="USD",
            period=Engagement.Period.MONTHLY,
            starts_on=start,
            description="Rightsizing and commitment advice for the payments and search workloads.",
            scopes=[
                {"scope_kind": scopes.ACCOUNT, "scope_key": "", "scope_value": "210987654321"},
                {"scope_kind": scopes.ACCOUNT, "scope_key": "", "scope_value": "310987654321"},
            ],
            savings={roi_rules.add_months(start, n): amount for n, amount in enumerate(CONSULTANT_SAVINGS)},
        )
    vendor = Stakeholder.objects.filter(email="vendor@example.com").first()
    if vendor is not None:
        last_year = date(today.year - 1, 1, 1)
        _engagement(
            party=vendor,
            name="Spendlens anomaly detection",
            result=result,
            model=Engagement.Model.TOOL_SUBSCRIPTION,
            fee=Decimal("12000.00"),
            currency="USD",
            period=Engagement.Period.YEARLY,
            starts_on=last_year,
            description="Cost anomaly alerts for every account.",
            scopes=[{"scope_kind": scopes.TAG, "scope_key": "team", "scope_value": "platform"}],
            savings={last_year: Decimal("15500.00")},
        )


@transaction.atomic
def demo_programme_people_seed(*, today: date | None = None) -> ProgrammeSeedResult:
    """Staff every group, give the demo teams the demo accounts and tags, and record engagements."""
    today = today or timezone.localdate()
    result = ProgrammeSeedResult()
    teams = _teams(result)
    _people(teams, result)
    _claims(teams, result)
    _engagements(today, result)
    return result
