"""A small organisation for the role matrix: two business units, a team in each, accounts owned by each,
an unowned account a third party manages, variances, budgets, a meeting with its records, action items,
calendar feeds and a review pack. One user per role.

    North (unit) -- Payments (team) owns account 111111111111   100.00 in Oct 2026
    South (unit) -- Search   (team) owns account 222222222222   200.00
    nobody owns                         account 333333333333    50.00  (the engagement covers it)
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

PAY, SEARCH, PLATFORM = "111111111111", "222222222222", "333333333333"
MONTH = date(2026, 10, 1)
DAY = date(2026, 10, 5)
AMOUNTS = {PAY: Decimal("100.00"), SEARCH: Decimal("200.00"), PLATFORM: Decimal("50.00")}
ROLES = ("admin", "finance", "techlead", "buowner", "engineer", "thirdparty", "nobody")


@dataclass
class World:
    users: dict[str, Any] = field(default_factory=dict)
    people: dict[str, Any] = field(default_factory=dict)
    teams: dict[str, Any] = field(default_factory=dict)
    claims: dict[str, Any] = field(default_factory=dict)
    variances: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, Any] = field(default_factory=dict)
    items: dict[str, Any] = field(default_factory=dict)
    feeds: dict[str, Any] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)
    feed_tokens: dict[str, str] = field(default_factory=dict)


def _person(name: str, group: str, role: str, user: Any = None) -> Any:
    from stakeholders.models import Stakeholder

    slug = name.lower().replace(" ", ".")
    return Stakeholder.objects.create(
        name=name, email=f"{slug}@example.com", group=group, role=role, user=user
    )


def build_world() -> World:
    from costdata.facts.services import daily_rollup_rebuild
    from costdata.models import (
        Budget,
        BudgetLine,
        BudgetVersion,
        CostSource,
        DailyCost,
        Explanation,
        MonthlyCost,
        Variance,
    )
    from meetings import services as meeting_services
    from meetings.models import (
        ActionItem,
        AgendaItem,
        Attendance,
        Cadence,
        Decision,
        GlossaryTerm,
        Meeting,
        ReviewPack,
        Topic,
    )
    from stakeholders.models import (
        AttributedSaving,
        Engagement,
        EngagementScope,
        Group,
        Ownership,
        Role,
        Team,
    )

    w = World()
    User = get_user_model()
    for kind in ROLES:
        w.users[kind] = User.objects.create_user(
            f"matrix-{kind}", f"matrix-{kind}@example.com", "a-long-test-password-1", is_staff=kind == "admin"
        )
    u = w.users
    w.people["finance"] = _person("Fiona Finance", Group.FINANCE, Role.FINANCIAL_CONTROLLER, u["finance"])
    w.people["techlead"] = _person("Tess Lead", Group.TECHNOLOGY, Role.TECHNICAL_MANAGER, u["techlead"])
    w.people["buowner"] = _person("Bea Owner", Group.BUSINESS_UNIT, Role.BUSINESS_UNIT_OWNER, u["buowner"])
    w.people["engineer"] = _person("Eli Engineer", Group.ENGINEERING, Role.ENGINEER, u["engineer"])
    w.people["thirdparty"] = _person("Cora Consultant", Group.THIRD_PARTY, Role.CONSULTANT, u["thirdparty"])
    w.people["search_engineer"] = _person("Sam Search", Group.ENGINEERING, Role.ENGINEER)

    north = Team.objects.create(name="North", kind=Team.Kind.BUSINESS_UNIT)
    south = Team.objects.create(name="South", kind=Team.Kind.BUSINESS_UNIT)
    payments = Team.objects.create(name="Payments", kind=Team.Kind.TEAM, parent=north)
    search = Team.objects.create(name="Search", kind=Team.Kind.TEAM, parent=south)
    w.teams.update(north=north, south=south, payments=payments, search=search)
    payments.members.add(w.people["techlead"], w.people["engineer"])
    north.members.add(w.people["buowner"])
    search.members.add(w.people["search_engineer"])
    w.claims["payments"] = Ownership.objects.create(
        scope_kind="account", scope_value=PAY, owner_team=payments, is_primary=True
    )
    w.claims["search"] = Ownership.objects.create(
        scope_kind="account", scope_value=SEARCH, owner_team=search, is_primary=True
    )
    engagement = Engagement.objects.create(
        party=w.people["thirdparty"],
        name="Rightsizing",
        model=Engagement.Model.FIXED_FEE,
        fee=Decimal("1000.00"),
        starts_on=date(2026, 1, 1),
    )
    EngagementScope.objects.create(engagement=engagement, scope_kind="account", scope_value=PLATFORM)
    w.objects["engagement"] = engagement
    w.objects["saving"] = AttributedSaving.objects.create(
        engagement=engagement, period_start=date(2026, 9, 1), amount=Decimal("300.00")
    )

    source = CostSource.objects.create(name="Demo", kind=CostSource.Kind.DEMO)
    w.objects["source"] = source
    w.objects["focus_source"] = CostSource.objects.create(name="FOCUS", kind=CostSource.Kind.FOCUS_FILE)
    for account, amount in AMOUNTS.items():
        service = "Amazon S3" if account == PLATFORM else "Amazon EC2"
        common = {"source": source, "account_id": account, "service": service, "currency": "USD"}
        DailyCost.objects.create(day=DAY, unblended=amount, amortized=amount, **common)
        MonthlyCost.objects.create(month=MONTH, unblended=amount, amortized=amount, **common)
    # The dashboards read the daily rollups the pull keeps beside the facts.
    daily_rollup_rebuild(source=source, start=DAY, end=DAY + timedelta(days=1))

    def variance(key: str, scope_type: str, scope_value: str, team: Any) -> Any:
        return Variance.objects.create(
            natural_key=f"matrix:{key}",
            scope_type=scope_type,
            scope_value=scope_value,
            month=MONTH,
            kind=Variance.Kind.ACTUAL_OVER_BUDGET,
            currency="USD",
            observed=Decimal("10"),
            reference=Decimal("5"),
            difference=Decimal("5"),
            actual_to_date=Decimal("10"),
            status=Variance.Status.ASSIGNED,
            owner_team=team,
            due_at=timezone.now() + timedelta(days=3),
        )

    w.variances["pay"] = variance("pay", "account", PAY, payments)
    w.variances["search"] = variance("search", "account", SEARCH, search)
    w.variances["platform"] = variance("platform", "account", PLATFORM, None)
    w.variances["org"] = variance("org", "organisation", "", None)
    w.variances["north"] = variance("north", "business_unit", "North", north)
    w.objects["explanation"] = Explanation.objects.create(
        variance=w.variances["search"],
        author=u["admin"],
        category=Explanation.Category.USAGE_GROWTH,
        narrative="More searches.",
        expected_duration=Explanation.Duration.ONGOING,
    )

    budget = Budget.objects.create(name="FY2027", fiscal_year=2027, currency="USD")
    open_version = BudgetVersion.objects.create(budget=budget, number=1, name="Original")
    locked = BudgetVersion.objects.create(budget=budget, number=2, name="Locked", locked_at=timezone.now())
    w.objects.update(budget=budget, version=open_version, locked_version=locked)
    for key, scope_type, value in [
        ("org", "organisation", ""),
        ("pay", "account", PAY),
        ("search", "account", SEARCH),
        ("platform", "account", PLATFORM),
        ("payments", "team", "Payments"),
        ("north", "business_unit", "North"),
        ("south", "business_unit", "South"),
    ]:
        w.lines[key] = BudgetLine.objects.create(
            version=open_version,
            scope_type=scope_type,
            scope_value=value,
            month=MONTH,
            amount=Decimal("1000"),
            currency="USD",
        )
    w.lines["locked_org"] = BudgetLine.objects.create(
        version=locked,
        scope_type="organisation",
        scope_value="",
        month=MONTH,
        amount=Decimal("9"),
        currency="USD",
    )

    w.objects["term"] = GlossaryTerm.objects.create(term="Matrix term", slug="matrix-term", definition="x")
    w.objects["topic"] = Topic.objects.create(name="Matrix topic", owning_group=Group.FINANCE)
    cadence = Cadence.objects.create(
        name="Monthly review",
        rrule="FREQ=MONTHLY;BYMONTHDAY=1",
        starts_on=date(2026, 1, 1),
        start_time=time(10),
    )
    w.objects["cadence"] = cadence
    meeting = Meeting.objects.create(
        title="October review", starts_at=timezone.make_aware(datetime(2026, 12, 1, 10, 0)), cadence=None
    )
    w.objects["meeting"] = meeting
    w.objects["attendance"] = Attendance.objects.create(meeting=meeting, stakeholder=w.people["engineer"])
    w.objects["agenda_item"] = AgendaItem.objects.create(
        meeting=meeting, position=1, key="manual:1", source="manual", title="Budgets"
    )
    w.objects["decision"] = Decision.objects.create(meeting=meeting, text="Keep going.")
    w.items["engineer"] = ActionItem.objects.create(title="Tag the buckets", owner=w.people["engineer"])
    w.items["other"] = ActionItem.objects.create(title="Rightsize search", owner=w.people["search_engineer"])
    w.feeds["engineer"], w.feed_tokens["engineer"] = meeting_services.calendar_feed_create(
        stakeholder=w.people["engineer"]
    )
    w.feeds["cadence"], w.feed_tokens["cadence"] = meeting_services.calendar_feed_create(cadence=cadence)
    w.objects["pack"] = ReviewPack.objects.create(
        meeting=meeting,
        version=1,
        period=MONTH,
        content={
            "charts": {
                "summary": {
                    "columns": ["Scope", "Cost"],
                    "rows": [["All", "350"]],
                    "kinds": ["text", "number"],
                }
            }
        },
    )
    return w


@pytest.fixture(scope="module")
def _module_world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """The organisation, built once per module inside a transaction that is rolled back at its end.

    Each test runs in its own savepoint inside that transaction (pytest-django's `db`), so whatever a
    test writes is undone before the next one and every test sees the organisation as built. Building
    it per test cost more than the tests themselves.
    """
    from django.db import transaction
    from django.test import override_settings

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            # Production hashing is deliberately slow; the function-scoped override is not active yet.
            with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
                built = build_world()
        except BaseException:
            outer.__exit__(*sys.exc_info())
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def world(_module_world: World, db) -> World:
    return _module_world
