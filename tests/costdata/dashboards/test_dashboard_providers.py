"""Budgets and variances reach the dashboards through their hooks."""

from __future__ import annotations

import re

import pytest

from costdata.dashboards.registries import budget_for, budgets_for
from costdata.dashboards.scopes import NO_BUSINESS_UNIT, ORGANISATION, CostScope
from costdata.models import Budget, BudgetLine, Variance

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-staple-42"


def _active_version_line(scope_type: str, scope_value: str):
    budget = Budget.objects.select_related("active_version").first()
    version = budget.active_version or budget.versions.order_by("-number").first()
    return BudgetLine.objects.filter(version=version, scope_type=scope_type, scope_value=scope_value).first()


def test_the_organisation_budget_comes_from_the_effective_version(demo_organisation):
    line = _active_version_line("organisation", "")
    assert line is not None, "the demo budgets the organisation"
    amount = budget_for(scope=ORGANISATION, month=line.month, basis="unblended", currency=line.currency)
    assert amount == line.amount


def test_a_team_budget_is_found_by_the_teams_name(demo_organisation):
    from stakeholders.models import Team

    line = BudgetLine.objects.filter(scope_type="team").first()
    team = Team.objects.get(name=line.scope_value)
    scope = CostScope("team", str(team.pk), team.name, team)
    expected = _active_version_line("team", team.name)
    month_line = BudgetLine.objects.filter(
        version=expected.version, scope_type="team", scope_value=team.name, month=line.month
    ).first()
    amount = budget_for(scope=scope, month=line.month, basis="unblended", currency=line.currency)
    assert amount == (month_line.amount if month_line else None)


def test_no_budget_in_another_currency_or_for_the_unowned_row(demo_organisation):
    line = _active_version_line("organisation", "")
    assert budget_for(scope=ORGANISATION, month=line.month, basis="unblended", currency="JPY") is None
    unowned = CostScope("organisation", "", NO_BUSINESS_UNIT)
    assert budget_for(scope=unowned, month=line.month, basis="unblended", currency=line.currency) is None


def test_the_overview_shows_the_budget_the_funnel_and_the_overdue_list(client, demo_organisation):
    client.login(username="finance", password=PASSWORD)
    html = client.get("/dashboards/").content.decode()
    organisation_row = re.search(r'<tr class="total">(.*?)</tr>', html, re.S).group(1)
    assert "no budget yet" not in organisation_row, "the organisation's budget fills its row"
    assert "Variances by status" in html
    assert "Overdue variances" in html
    counts = {status: Variance.objects.filter(status=status).count() for status in Variance.Status.values}
    assert sum(counts.values()) > 0


def test_every_rows_budget_comes_from_one_batch_equal_to_asking_each_scope(demo_organisation):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from stakeholders.models import Team

    line = _active_version_line("organisation", "")
    scopes = [ORGANISATION, CostScope("organisation", "", NO_BUSINESS_UNIT)]
    scopes += [CostScope(t.kind, str(t.pk), t.name, t) for t in Team.objects.order_by("pk")]
    scopes.append(CostScope("account", "000000000000", "nobody's account"))
    one_by_one = [
        budget_for(scope=s, month=line.month, basis="unblended", currency=line.currency) for s in scopes
    ]

    with CaptureQueriesContext(connection) as queries:
        batch = budgets_for(scopes=scopes, month=line.month, basis="unblended", currency=line.currency)

    assert batch == one_by_one
    assert batch[0] == line.amount and batch[1] is None and batch[-1] is None
    assert sum(1 for amount in batch if amount is not None) >= 3  # the organisation and some units and teams
    assert len(queries.captured_queries) <= 3  # the budget, its version, every scope's lines
