"""Aggregate views apply the role's scope filter (issue 6): dashboards, their CSV exports and panels.

The world (tests/security/conftest.py): North (unit) -- Payments owns account 111 (100.00), South --
Search owns 222 (200.00), nobody owns 333 (50.00; the third party's engagement covers it), all on
5 Oct 2026. Budget lines of 1000 for the organisation, each account, Payments, North and South.
Variances on 111 (Payments), 222 (Search), 333 (no team), the organisation and North.

What each restricted role should see on the overview:
  - business-unit owner (North): the organisation's totals (as finance sees them) with the
    organisation's budget, and North with its budget; not South, not "No business unit";
  - engineer (Payments): the sum of the costs they may see, labelled so, with no budget; no unit rows;
  - third party: the same, for account 333; no budgets anywhere.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from costdata.dashboards.content import DashboardView, SummaryRow
from costdata.dashboards.filters import DashboardFilters
from costdata.dashboards.pages import VISIBLE_TOTAL_LABEL, VISIBLE_TOTAL_NOTE
from costdata.dashboards.registries import budget_for
from costdata.dashboards.scopes import NO_BUSINESS_UNIT, ORGANISATION
from costdata.planning.forecasting import ForecastBasis
from tests.security.conftest import PAY, PLATFORM, SEARCH, World, build_world

pytestmark = pytest.mark.django_db

OVERVIEW = "/dashboards/?period=2026-10"
FORECAST = Decimal("99999.00")


@pytest.fixture
def world() -> World:
    w = build_world()
    budget = w.objects["budget"]
    # The open version (with a line per scope) is the one in force, not the locked one.
    budget.active_version = w.objects["version"]
    budget.save(update_fields=["active_version"])
    return w


@pytest.fixture
def forecast(world: World):
    """Cost Explorer's organisation-wide forecast for the rest of October, starting after the data."""
    from costdata.models import CostForecast

    return CostForecast.objects.create(
        source=world.objects["source"],
        month=date(2026, 10, 1),
        forecast_start=date(2026, 10, 6),
        forecast_end=date(2026, 11, 1),
        amount=FORECAST,
        currency="USD",
    )


def _view(client, world: World, role: str, url: str = OVERVIEW) -> DashboardView:
    client.force_login(world.users[role])
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return response.context["view"]


def _rows(view: DashboardView) -> dict[str, SummaryRow]:
    return {row.scope.label: row for row in view.summary}


def _csv(client, world: World, role: str, url: str) -> list[dict[str, str]]:
    client.force_login(world.users[role])
    response = client.get(url)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def _overdue_everything() -> None:
    from costdata.models import Variance

    Variance.objects.update(due_at=timezone.now() - timedelta(days=2))


# --- 1. Cost Explorer's forecast ----------------------------------------------------------------------


def test_finance_projects_the_organisation_with_cost_explorers_forecast(client, world, forecast):
    total = _view(client, world, "finance").summary[0]
    assert total.scope.label == "Organisation"
    assert total.projection.basis is ForecastBasis.COST_EXPLORER
    assert total.projection.projected == Decimal("350.00") + FORECAST


@pytest.mark.parametrize("role", ["engineer", "thirdparty"])
def test_a_restricted_viewers_projection_never_uses_the_organisations_forecast(client, world, forecast, role):
    view = _view(client, world, role)
    for row in view.summary:
        assert row.projection.basis is not ForecastBasis.COST_EXPLORER, row.scope.label
        assert row.projection.projected < FORECAST
    assert "Cost Explorer" not in view.chart("daily").note


def test_a_business_unit_owners_own_rows_are_projected_from_their_rows_not_the_forecast(
    client, world, forecast
):
    north = _rows(_view(client, world, "buowner"))["North"]
    assert north.actual == Decimal("100.00")
    assert north.projection.basis is not ForecastBasis.COST_EXPLORER
    assert north.projection.projected < FORECAST


def test_the_daily_chart_of_a_business_unit_owner_is_projected_from_their_rows(client, world, forecast):
    view = _view(client, world, "buowner")
    assert "Cost Explorer" not in view.chart("daily").note
    daily = view.chart("daily").frame
    assert set(daily["amount"].dropna()) == {Decimal("100.00")}


# --- 2. budgets and the organisation row ------------------------------------------------------------


def test_a_business_unit_owner_reads_the_organisations_totals_and_budget(client, world, forecast):
    finance_total = _view(client, world, "finance").summary[0]
    client.logout()
    total = _view(client, world, "buowner").summary[0]
    assert total.scope.label == "Organisation"
    assert total.actual == Decimal("350.00")
    assert total.projection == finance_total.projection
    assert total.budget == Decimal("1000")
    assert not total.budget_hidden


def test_a_business_unit_owner_sees_their_unit_and_its_budget_and_no_other_unit(client, world):
    rows = _rows(_view(client, world, "buowner"))
    assert list(rows) == ["Organisation", "North"]
    assert rows["North"].actual == Decimal("100.00")
    assert rows["North"].budget == Decimal("1000")


@pytest.mark.parametrize("role", ["engineer", "thirdparty"])
def test_an_engineer_or_third_party_gets_the_sum_they_see_labelled_so_with_no_budget(client, world, role):
    view = _view(client, world, role)
    assert [row.scope.label for row in view.summary] == [VISIBLE_TOTAL_LABEL]
    total = view.summary[0]
    assert total.actual == {"engineer": Decimal("100.00"), "thirdparty": Decimal("50.00")}[role]
    assert total.budget is None
    assert total.budget_hidden
    assert view.summary_note == VISIBLE_TOTAL_NOTE


def test_the_overview_page_says_what_the_first_row_is_and_hides_budgets(client, world):
    client.force_login(world.users["engineer"])
    html = client.get(OVERVIEW).content.decode()
    assert 'id="summary-note"' in html
    assert "not the organisation&#x27;s total" in html
    assert "not shown to your role" in html
    assert "1,000.00" not in html and "1000.00" not in html


def test_finance_still_sees_every_unit_and_the_remainder_with_their_budgets(client, world):
    rows = _rows(_view(client, world, "finance"))
    assert list(rows) == ["Organisation", "North", "South", NO_BUSINESS_UNIT]
    assert rows["South"].budget == Decimal("1000")
    assert rows["Organisation"].budget == Decimal("1000")


def test_an_engineer_reads_their_teams_budget_on_its_page(client, world):
    url = f"/dashboards/scope/team/{world.teams['payments'].pk}/?period=2026-10"
    total = _view(client, world, "engineer", url).summary[0]
    assert total.actual == Decimal("100.00")
    assert total.budget == Decimal("1000")


def test_an_engineer_gets_no_account_budget_outside_their_claims_and_no_unit_budget(client, world):
    from costdata.models import BudgetLine

    # Payments' account line is theirs (their team claims the account); delete it and nothing else
    # of theirs is left: the page must not fall back to another scope's line.
    url = f"/dashboards/scope/account/{PAY}/?period=2026-10"
    assert _view(client, world, "engineer", url).summary[0].budget == Decimal("1000")
    BudgetLine.objects.filter(scope_type="account", scope_value=PAY).delete()
    assert _view(client, world, "engineer", url).summary[0].budget is None


def test_a_third_party_reads_no_budget_even_of_its_engagements_account(client, world):
    url = f"/dashboards/scope/account/{PLATFORM}/?period=2026-10"
    total = _view(client, world, "thirdparty", url).summary[0]
    assert total.actual == Decimal("50.00")
    assert total.budget is None
    assert total.budget_hidden


def test_a_business_unit_owners_unit_page_shows_its_teams_with_their_budgets(client, world):
    url = f"/dashboards/scope/business_unit/{world.teams['north'].pk}/?period=2026-10"
    rows = _rows(_view(client, world, "buowner", url))
    assert list(rows) == ["North", "Payments"]
    assert rows["North"].budget == Decimal("1000")
    assert rows["Payments"].budget == Decimal("1000")


def test_budget_for_without_a_viewer_on_restricted_filters_shows_no_budget(world):
    from django.db.models import Q

    filters = DashboardFilters(visible=Q(account_id__in=[PAY]))
    kwargs = {"month": date(2026, 10, 1), "basis": "unblended", "currency": "USD"}
    assert budget_for(scope=ORGANISATION, **kwargs) == Decimal("1000")
    assert budget_for(scope=ORGANISATION, filters=filters, **kwargs) is None


# --- CSV exports ------------------------------------------------------------------------------------


def test_an_engineers_summary_csv_has_no_budget_and_no_other_scope(client, world):
    rows = _csv(client, world, "engineer", OVERVIEW + "&csv=this-month")
    assert [r["scope"] for r in rows] == [VISIBLE_TOTAL_LABEL]
    assert rows[0]["budget"] == ""
    assert Decimal(rows[0]["actual"]) == Decimal("100.00")


def test_a_business_unit_owners_summary_csv_has_the_organisation_and_their_unit_only(client, world):
    rows = _csv(client, world, "buowner", OVERVIEW + "&csv=this-month")
    assert [r["scope"] for r in rows] == ["Organisation", "North"]
    assert [Decimal(r["budget"]) for r in rows] == [Decimal("1000"), Decimal("1000")]


def test_the_movers_csv_of_an_engineer_names_only_their_account(client, world):
    rows = _csv(client, world, "engineer", OVERVIEW + "&csv=movers-account")
    text = " ".join(" ".join(r.values()) for r in rows)
    assert PAY in text and SEARCH not in text and PLATFORM not in text


# --- 3. variance panels -----------------------------------------------------------------------------


def _funnel(view: DashboardView) -> int:
    return int(view.chart("variance-funnel").frame["count"].sum())


@pytest.mark.parametrize(
    ("role", "expected"),
    [("finance", 5), ("buowner", 3), ("engineer", 1), ("thirdparty", 1)],
)
def test_the_variance_funnel_counts_only_the_variances_the_viewer_may_see(client, world, role, expected):
    assert _funnel(_view(client, world, role)) == expected


def test_the_variance_funnel_matches_the_variance_list_for_each_role(client, world):
    from costdata import permissions
    from costdata.models import Variance

    for role in ("buowner", "engineer", "thirdparty"):
        client.logout()
        visible = permissions.visible_variances(world.users[role], Variance.objects.all()).count()
        assert _funnel(_view(client, world, role)) == visible, role


def test_the_overdue_list_holds_only_the_viewers_variances(client, world):
    _overdue_everything()
    items = _view(client, world, "engineer").chart("variances-overdue").items
    assert [i.url for i in items] == [world.variances["pay"].get_absolute_url()]


def test_finance_overdue_list_holds_every_overdue_variance(client, world):
    _overdue_everything()
    assert len(_view(client, world, "finance").chart("variances-overdue").items) == 5


def test_overdue_by_team_counts_only_the_viewers_variances(client, world):
    _overdue_everything()
    finance = _view(client, world, "finance").chart("overdue-by-team").frame
    assert set(finance["team"]) >= {"Payments", "North"}
    client.logout()
    engineer = _view(client, world, "engineer").chart("overdue-by-team").frame
    assert list(engineer["team"]) == ["Payments"]
    assert list(engineer["overdue"]) == [1]


def test_a_third_party_sees_no_meeting_measures_in_programme_health(client, world):
    view = _view(client, world, "thirdparty")
    assert view.chart("meetings-by-cadence") is None
    assert view.chart("programme-health") is not None


def test_an_engineer_still_sees_the_programmes_meetings(client, world):
    assert _view(client, world, "engineer").chart("meetings-by-cadence") is not None


def test_the_variance_funnel_csv_of_a_third_party_counts_one_variance(client, world):
    rows = _csv(client, world, "thirdparty", OVERVIEW + "&csv=variance-funnel")
    assert sum(int(r["count"]) for r in rows) == 1


# --- review packs -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["buowner", "engineer", "thirdparty"])
def test_a_restricted_viewer_neither_generates_nor_reads_a_review_pack(client, world, role):
    client.force_login(world.users[role])
    meeting = world.objects["meeting"]
    assert client.post(f"/dashboards/meetings/{meeting.pk}/review-packs/").status_code == 403
    assert client.get(f"/dashboards/review-packs/{world.objects['pack'].pk}/").status_code == 403


# --- the filter form ----------------------------------------------------------------------------------


@pytest.fixture
def accounts(world: World) -> None:
    from costdata.models import CloudAccount

    for account_id, name in ((PAY, "payments-prod"), (SEARCH, "search-prod"), (PLATFORM, "platform")):
        CloudAccount.objects.create(account_id=account_id, name=name)


def test_the_filter_form_offers_an_engineer_only_their_team_account_and_service(client, world, accounts):
    client.force_login(world.users["engineer"])
    choices = client.get(OVERVIEW).context["choices"]
    assert [label for _, label in choices["team"]] == ["Payments"]
    assert choices["business_unit"] == []
    assert [value for value, _ in choices["account"]] == [PAY]
    assert [value for value, _ in choices["service"]] == ["Amazon EC2"]


def test_the_filter_form_offers_a_third_party_only_its_engagements_account(client, world, accounts):
    client.force_login(world.users["thirdparty"])
    choices = client.get(OVERVIEW).context["choices"]
    assert choices["team"] == [] and choices["business_unit"] == []
    assert [value for value, _ in choices["account"]] == [PLATFORM]
    assert [value for value, _ in choices["service"]] == ["Amazon S3"]


def test_the_filter_form_offers_finance_everything(client, world, accounts):
    client.force_login(world.users["finance"])
    choices = client.get(OVERVIEW).context["choices"]
    assert {value for value, _ in choices["account"]} == {PAY, SEARCH, PLATFORM}
    assert len(choices["business_unit"]) == 2
