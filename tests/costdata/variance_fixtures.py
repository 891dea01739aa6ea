"""People, teams, ownership and cost facts for the budget and variance tests (imported by them)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from costdata.facts.services import daily_rollup_rebuild, monthly_rollup_rebuild
from costdata.models import CostSource, DailyCost, MonthlyCost
from stakeholders import services as stakeholder_services
from stakeholders.models import Group, Role, Team

ACCOUNT = "111111111111"
OTHER_ACCOUNT = "222222222222"
SERVICE = "Amazon Elastic Compute Cloud - Compute"


def facts(
    source: CostSource,
    *,
    start: date,
    end: date,
    amount: Decimal | str = "100",
    account: str = ACCOUNT,
    service: str = SERVICE,
    overrides: dict[date, str] | None = None,
    estimated_from: date | None = None,
    currency: str = "USD",
) -> None:
    """One row a day in [start, end) for (account, service), then the monthly rollup, as a pull leaves it."""
    rows = []
    day = start
    while day < end:
        value = Decimal(str((overrides or {}).get(day, amount)))
        rows.append(
            DailyCost(
                source=source,
                day=day,
                account_id=account,
                service=service,
                unblended=value,
                amortized=value,
                currency=currency,
                estimated=bool(estimated_from and day >= estimated_from),
            )
        )
        day += timedelta(days=1)
    DailyCost.objects.filter(
        source=source, day__gte=start, day__lt=end, account_id=account, service=service
    ).delete()
    DailyCost.objects.bulk_create(rows)
    MonthlyCost.objects.filter(source=source).delete()
    first = DailyCost.objects.order_by("day").first().day
    last = DailyCost.objects.order_by("-day").first().day
    monthly_rollup_rebuild(source=source, start=first, end=last + timedelta(days=1))
    daily_rollup_rebuild(source=source, start=first, end=last + timedelta(days=1))


def person(name: str, group: str, role: str, *, teams: tuple[Team, ...] = (), staff: bool = False):
    user = get_user_model().objects.create_user(name, f"{name}@example.com", "pw-" + name, is_staff=staff)
    stakeholder_services.stakeholder_create(
        name=name.capitalize(), email=f"{name}@example.com", group=group, role=role, user=user, teams=teams
    )
    return user


@pytest.fixture
def cost_source(db) -> CostSource:
    return CostSource.objects.create(name="Test source", kind=CostSource.Kind.DEMO)


@pytest.fixture
def org(db):
    """A business unit with a team that owns ACCOUNT, its people, finance and an admin."""
    unit = Team.objects.create(name="Digital", kind=Team.Kind.BUSINESS_UNIT)
    team = Team.objects.create(name="Payments", kind=Team.Kind.TEAM, parent=unit)
    other = Team.objects.create(name="Search", kind=Team.Kind.TEAM, parent=unit)
    stakeholder_services.ownership_create(scope_kind="account", scope_value=ACCOUNT, owner_team=team)
    people = {
        "engineer": person("engineer", Group.ENGINEERING, Role.ENGINEER, teams=(team,)),
        "techlead": person("techlead", Group.TECHNOLOGY, Role.TECHNICAL_MANAGER, teams=(team,)),
        "outsider": person("outsider", Group.ENGINEERING, Role.ENGINEER, teams=(other,)),
        "searchlead": person("searchlead", Group.TECHNOLOGY, Role.TECHNICAL_MANAGER, teams=(other,)),
        "finance": person("finance", Group.FINANCE, Role.FINANCIAL_CONTROLLER),
        "finance2": person("finance2", Group.FINANCE, Role.FINANCIAL_PLANNER),
        "admin": get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-admin"),
    }
    return {"unit": unit, "team": team, "other": other, **people}
