"""Variance detection on the fact tables: each kind, thresholds, idempotent reruns, closing months, routing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from costdata.models import DetectionMonth, Variance, VarianceThreshold, VarianceTransition
from costdata.planning import services as budgets
from costdata.variances.rules import ScopeKey, ScopeType
from costdata.variances.services import route_scope, variances_detect
from stakeholders import services as stakeholder_services
from stakeholders.models import Stakeholder
from tests.costdata.variance_fixtures import ACCOUNT, OTHER_ACCOUNT, SERVICE, facts

NOV = date(2026, 11, 1)
OCT = date(2026, 10, 1)
SPIKE_DAY = date(2026, 11, 10)
NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def _account_variances(kind: str | None = None):
    variances = Variance.objects.filter(scope_type="account", scope_value=ACCOUNT)
    return variances.filter(kind=kind) if kind else variances


def _budget(amount: str, *, month: date = NOV, scope_type: str = "account", scope_value: str = ACCOUNT):
    budget = budgets.budget_create(name="FY2026", fiscal_year=2026)
    version = budgets.budget_version_create(budget=budget, name="Original")
    budgets.budget_line_set(
        version=version, scope_type=scope_type, scope_value=scope_value, month=month, amount=Decimal(amount)
    )
    return version


def test_a_spike_day_opens_a_spike_variance_assigned_to_the_owning_team(cost_source, org):
    facts(cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16), overrides={SPIKE_DAY: "400"})
    variances_detect(months=[NOV], now=NOW)
    spike = _account_variances("spike").get()
    assert spike.day == SPIKE_DAY
    assert spike.observed == Decimal("400")
    assert spike.reference == Decimal("100")
    assert spike.status == Variance.Status.ASSIGNED
    assert spike.owner_team == org["team"]
    assert spike.due_at is not None
    assert list(spike.transitions.values_list("action", flat=True)) == ["detect", "assign"]


def test_the_owning_team_and_its_business_unit_are_judged_as_scopes_too(cost_source, org):
    facts(cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16), overrides={SPIKE_DAY: "400"})
    variances_detect(months=[NOV], now=NOW)
    scopes = set(Variance.objects.filter(kind="spike").values_list("scope_type", "scope_value"))
    assert scopes == {("account", ACCOUNT), ("team", "Payments"), ("business_unit", "Digital")}


def test_actual_over_budget_and_forecast_over_budget(cost_source, org):
    facts(cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16))
    _budget("1000")  # 15 days at 100 = 1500 already; the month heads for 3000
    variances_detect(months=[NOV], now=NOW)
    actual = _account_variances("actual_over_budget").get()
    assert (actual.observed, actual.reference, actual.difference) == (
        Decimal(1500),
        Decimal(1000),
        Decimal(500),
    )
    assert actual.percent == Decimal("50.0000")
    forecast = _account_variances("forecast_over_budget").get()
    assert forecast.observed == Decimal(3000)
    assert forecast.budget == Decimal(1000)


def test_under_spend_against_budget(cost_source, org):
    facts(cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16))
    _budget("10000")
    variances_detect(months=[NOV], now=NOW)
    under = _account_variances("under_spend").get()
    assert under.observed == Decimal(3000)
    assert under.difference == Decimal(-7000)
    assert not _account_variances("forecast_over_budget").exists()


def test_month_over_month_increase(cost_source, org):
    facts(cost_source, start=date(2026, 9, 1), end=NOV, amount="50")
    facts(cost_source, start=NOV, end=date(2026, 11, 16), amount="100")
    variances_detect(months=[NOV], now=NOW)
    increase = _account_variances("month_over_month").get()
    assert increase.reference == Decimal(1550)  # October: 31 x 50
    assert increase.observed == Decimal(3000)


def test_a_scope_threshold_silences_what_the_organisation_default_reports(cost_source, org):
    facts(cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16), overrides={SPIKE_DAY: "400"})
    facts(
        cost_source,
        start=date(2026, 9, 1),
        end=date(2026, 11, 16),
        account=OTHER_ACCOUNT,
        overrides={SPIKE_DAY: "400"},
    )
    stakeholder_services.ownership_create(
        scope_kind="account", scope_value=OTHER_ACCOUNT, owner_team=org["other"]
    )
    VarianceThreshold.objects.create(scope_type="account", scope_value=ACCOUNT, spike_absolute=Decimal(1000))
    variances_detect(months=[NOV], now=NOW)
    assert not _account_variances("spike").exists()
    assert Variance.objects.filter(scope_value=OTHER_ACCOUNT, kind="spike").exists()


def test_the_organisation_default_threshold_applies_where_a_scope_sets_none(cost_source, org):
    facts(cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16), overrides={SPIKE_DAY: "400"})
    VarianceThreshold.objects.create(scope_type="organisation", scope_value="", spike_percent=Decimal(500))
    variances_detect(months=[NOV], now=NOW)
    assert not Variance.objects.filter(kind="spike").exists()


def test_running_detection_again_updates_figures_without_duplicates(cost_source, org):
    facts(cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16), overrides={SPIKE_DAY: "400"})
    first = variances_detect(months=[NOV], now=NOW)
    count = Variance.objects.count()
    facts(
        cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16), overrides={SPIKE_DAY: "450"}
    )  # restated
    second = variances_detect(months=[NOV], now=NOW)
    assert first.created == count and second.created == 0
    assert Variance.objects.count() == count
    assert _account_variances("spike").get().observed == Decimal("450")
    assert VarianceTransition.objects.filter(action="detect").count() == count


def test_a_complete_final_month_closes_and_stops_updating(cost_source, org):
    facts(cost_source, start=date(2026, 8, 1), end=NOV, overrides={date(2026, 10, 20): "400"})
    result = variances_detect(months=[OCT], now=NOW)
    assert result.closed_months == [OCT]
    assert DetectionMonth.objects.filter(month=OCT).exists()
    spike = _account_variances("spike").get()
    assert spike.figures_final
    facts(cost_source, start=date(2026, 8, 1), end=NOV, overrides={date(2026, 10, 20): "900"})
    again = variances_detect(months=[OCT], now=NOW)
    assert again.skipped_months == [OCT]
    spike.refresh_from_db()
    assert spike.observed == Decimal("400")


def test_a_month_with_estimated_days_stays_open(cost_source, org):
    facts(cost_source, start=date(2026, 8, 1), end=NOV, estimated_from=date(2026, 10, 29))
    result = variances_detect(months=[OCT], now=NOW)
    assert result.closed_months == []
    assert not DetectionMonth.objects.exists()


def test_an_owned_account_routes_to_its_team(org):
    route = route_scope(ScopeKey(ScopeType.ACCOUNT, ACCOUNT))
    assert route.team == org["team"]


def test_a_scope_owned_by_a_person_routes_to_them(org):
    owner = Stakeholder.objects.get(email="engineer@example.com")
    stakeholder_services.ownership_create(
        scope_kind="service", scope_value="AWS Lambda", owner_stakeholder=owner
    )
    route = route_scope(ScopeKey(ScopeType.SERVICE, "AWS Lambda"))
    assert route.team is None and route.assignee == owner


def test_a_scope_nobody_owns_falls_back_to_the_organisations_technology_leads(org):
    route = route_scope(ScopeKey(ScopeType.SERVICE, SERVICE))
    assert route.team is None
    assert route.assignee.group == "technology"
    assert "technology leads" in route.reason


def test_an_unowned_budgeted_scope_is_detected_and_routed_to_a_technology_lead(cost_source, org):
    facts(cost_source, start=date(2026, 9, 1), end=date(2026, 11, 16))
    _budget("500", scope_type="service", scope_value=SERVICE)
    variances_detect(months=[NOV], now=NOW)
    variance = Variance.objects.get(scope_type="service", kind="actual_over_budget")
    assert variance.assignee.group == "technology"
    assert variance.owner_team is None
