"""The demo organisation the embedded default starts with: people in every role and a demo cost source.

Its 13 months of cost data arrive through the same pull the AWS source uses (costdata.ingestion.services.source_pull
against the demo Cost Explorer), never written straight into tables. Safe to run again: what exists is kept.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from costdata.ingestion.services import source_create, source_pull
from costdata.models import CostSource, DailyCost, IngestionRun
from costdata.planning.demo import demo_budgets_and_variances_seed
from meetings.demo import demo_programme_meetings_seed
from stakeholders.demo import demo_programme_people_seed
from stakeholders.models import Group, Role, Stakeholder, Team

DEMO_SOURCE_NAME = "Demo AWS organisation"
PASSWORD_FILE = "demo_password"


@dataclass(frozen=True)
class DemoPerson:
    username: str
    name: str
    title: str
    group: str
    role: str
    teams: tuple[str, ...] = ()


DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson(
        "finance", "Fiona Patel", "Financial controller, cloud", Group.FINANCE, Role.FINANCIAL_CONTROLLER
    ),
    DemoPerson(
        "techlead",
        "Tomás Okafor",
        "Head of payments engineering",
        Group.TECHNOLOGY,
        Role.TECHNICAL_MANAGER,
        ("Payments",),
    ),
    DemoPerson(
        "buowner",
        "Beatrice Lund",
        "Director, digital products",
        Group.BUSINESS_UNIT,
        Role.BUSINESS_UNIT_OWNER,
        ("Digital products",),
    ),
    DemoPerson(
        "engineer", "Erik Nakamura", "Senior engineer", Group.ENGINEERING, Role.ENGINEER, ("Payments",)
    ),
    DemoPerson(
        "consultant",
        "Chloé Martin",
        "FinOps consultant, Cloudwise Partners",
        Group.THIRD_PARTY,
        Role.CONSULTANT,
    ),
)
DEMO_UNITS = {"Digital products": ["Payments", "Search", "Web"], "Data and platform": ["Data", "Platform"]}


@dataclass
class DemoResult:
    password: str | None = None
    created_users: list[str] = field(default_factory=list)
    run: IngestionRun | None = None


def demo_password() -> tuple[str, bool]:
    """DEMO_PASSWORD, or a generated one kept in var/ (readable by the owner only). True when new."""
    if settings.DEMO_PASSWORD:
        return settings.DEMO_PASSWORD, False
    path = settings.VAR_DIR / PASSWORD_FILE
    if path.exists():
        return path.read_text().strip(), False
    password = secrets.token_urlsafe(12)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(password)
    path.chmod(0o600)
    return password, True


@transaction.atomic
def demo_people_create(*, password: str) -> list[str]:
    User = get_user_model()
    created: list[str] = []
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser(
            "admin", "admin@example.com", password, first_name="Ada", last_name="Admin"
        )
        created.append("admin")
    units = {}
    for unit_name, team_names in DEMO_UNITS.items():
        unit, _ = Team.objects.get_or_create(name=unit_name, defaults={"kind": Team.Kind.BUSINESS_UNIT})
        units[unit_name] = unit
        for team_name in team_names:
            Team.objects.get_or_create(name=team_name, defaults={"kind": Team.Kind.TEAM, "parent": unit})
    for person in DEMO_PEOPLE:
        user = User.objects.filter(username=person.username).first()
        if user is None:
            first, _, last = person.name.partition(" ")
            user = User.objects.create_user(
                person.username, f"{person.username}@example.com", password, first_name=first, last_name=last
            )
            created.append(person.username)
        stakeholder, _ = Stakeholder.objects.get_or_create(
            email=f"{person.username}@example.com",
            defaults={
                "name": person.name,
                "title": person.title,
                "group": person.group,
                "role": person.role,
                "user": user,
            },
        )
        for team_name in person.teams:
            Team.objects.get(name=team_name).members.add(stakeholder)
    return created


def demo_source_ensure() -> CostSource:
    source = CostSource.objects.filter(name=DEMO_SOURCE_NAME).first()
    if source is None:
        source = source_create(
            name=DEMO_SOURCE_NAME, kind=CostSource.Kind.DEMO, tag_keys=["team", "cost-centre"]
        )
    return source


def demo_organisation_seed() -> DemoResult:
    password, is_new = demo_password()
    result = DemoResult(password=password if is_new else None)
    result.created_users = demo_people_create(password=password)
    demo_programme_people_seed()
    demo_programme_meetings_seed()
    source = demo_source_ensure()
    if not DailyCost.objects.filter(source=source).exists():
        # The first pull of a source with no data reads the 13 months Cost Explorer keeps.
        result.run = source_pull(source_id=source.pk, trigger=IngestionRun.Trigger.BACKFILL)
    demo_budgets_and_variances_seed()
    return result
