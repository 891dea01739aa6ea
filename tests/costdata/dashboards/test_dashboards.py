"""Dashboard selectors: exact sums that reconcile with DailyCost, ownership, projection, movers, hooks."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db.models import Q
from django.http import Http404

from costdata.dashboards.filters import FilterErrors, parse_filters
from costdata.dashboards.pages import commitments_chart, dashboard_view
from costdata.dashboards.programme_charts import variance_funnel_figure
from costdata.dashboards.registries import (
    Panel,
    PanelItem,
    register_budget_provider,
    register_panel_provider,
    unregister_budget_provider,
    unregister_panel_provider,
)
from costdata.dashboards.scopes import NO_BUSINESS_UNIT, UnknownScope, ownership_map, scope_for, scope_q
from costdata.dashboards.selectors import daily_frame, daily_frames_by_part
from costdata.facts.services import daily_rollup_rebuild, monthly_rollup_rebuild
from costdata.models import CloudAccount, CommitmentMetric, CostSource, DailyCost
from stakeholders.models import Ownership, Team

# These tests are about the dashboards themselves: no budget or panel provider plugged in.
pytestmark = pytest.mark.usefixtures("no_dashboard_providers")

DATA_THROUGH = date(2026, 11, 19)
FIRST_DAY = date(2026, 9, 1)
PAYMENTS_PROD = "111111111111"
DATA_LAKE = "222222222222"
SANDBOX = "333333333333"  # nobody claims the account
COMPUTE = "Amazon Elastic Compute Cloud - Compute"
CONFIG = "AWS Config"  # the Platform team claims the service


def amount_for(account: str, service: str, day: date) -> Decimal:
    """Ten-place amounts that differ by account, service and day (and grow in November for compute)."""
    base = {
        PAYMENTS_PROD: Decimal("100.1234567891"),
        DATA_LAKE: Decimal("40.0000000007"),
        SANDBOX: Decimal("7.5"),
    }[account]
    if service == CONFIG:
        base = base / 10
    growth = Decimal("1.5") if (service == COMPUTE and account == PAYMENTS_PROD and day.month == 11) else 1
    return (base * growth + Decimal(day.day) / 1000).quantize(Decimal("0.0000000001"))


def build_costs() -> CostSource:
    source = CostSource.objects.create(name="Test source", kind=CostSource.Kind.DEMO)
    rows = []
    day = FIRST_DAY
    while day <= DATA_THROUGH:
        for account in (PAYMENTS_PROD, DATA_LAKE, SANDBOX):
            for service in (COMPUTE, CONFIG):
                value = amount_for(account, service, day)
                rows.append(
                    DailyCost(
                        source=source,
                        day=day,
                        account_id=account,
                        service=service,
                        unblended=value,
                        amortized=value + Decimal("0.5"),
                        currency="USD",
                        estimated=day >= DATA_THROUGH - timedelta(days=1),
                    )
                )
        day += timedelta(days=1)
    DailyCost.objects.bulk_create(rows)
    monthly_rollup_rebuild(source=source, start=FIRST_DAY, end=DATA_THROUGH + timedelta(days=1))
    daily_rollup_rebuild(source=source, start=FIRST_DAY, end=DATA_THROUGH + timedelta(days=1))
    CloudAccount.objects.create(account_id=PAYMENTS_PROD, name="payments-prod")
    return source


def build_organisation() -> dict[str, Team]:
    digital = Team.objects.create(name="Digital products", kind=Team.Kind.BUSINESS_UNIT)
    platform_unit = Team.objects.create(name="Data and platform", kind=Team.Kind.BUSINESS_UNIT)
    payments = Team.objects.create(name="Payments", kind=Team.Kind.TEAM, parent=digital)
    data = Team.objects.create(name="Data", kind=Team.Kind.TEAM, parent=platform_unit)
    platform = Team.objects.create(name="Platform", kind=Team.Kind.TEAM, parent=platform_unit)
    for kind, value, team in (
        ("account", PAYMENTS_PROD, payments),
        ("account", DATA_LAKE, data),
        ("service", CONFIG, platform),
    ):
        Ownership.objects.create(scope_kind=kind, scope_value=value, owner_team=team, is_primary=True)
    # A secondary claim by the unit must not move the row away from its primary owner.
    Ownership.objects.create(scope_kind="account", scope_value=PAYMENTS_PROD, owner_team=platform_unit)
    return {
        "digital": digital,
        "platform_unit": platform_unit,
        "payments": payments,
        "data": data,
        "platform": platform,
    }


@pytest.fixture
def costs(db):
    return build_costs()


@pytest.fixture
def organisation(db):
    return build_organisation()


def expected_sum(
    *, start: date, end: date, accounts=None, services=None, field="unblended", exclude=None
) -> Decimal:
    total = Decimal(0)
    day = start
    while day < end and day <= DATA_THROUGH:
        for account in (PAYMENTS_PROD, DATA_LAKE, SANDBOX):
            for service in (COMPUTE, CONFIG):
                if accounts is not None and account not in accounts:
                    continue
                if services is not None and service not in services:
                    continue
                if exclude and (account, service) in exclude:
                    continue
                value = amount_for(account, service, day)
                total += value + (Decimal("0.5") if field == "amortized" else 0)
        day += timedelta(days=1)
    return total


NOVEMBER = date(2026, 11, 1)
DECEMBER = date(2026, 12, 1)


def test_the_month_to_date_actual_is_the_exact_sum_of_daily_cost(costs, organisation):
    view = dashboard_view(today=date(2026, 11, 20))
    total = view.summary[0]
    assert view.month == NOVEMBER
    assert total.actual == expected_sum(start=NOVEMBER, end=DECEMBER)
    assert isinstance(total.actual, Decimal)


def test_business_units_and_the_unowned_rest_add_up_to_the_organisation(costs, organisation):
    view = dashboard_view()
    rows = {row.scope.label: row.actual for row in view.summary}
    assert set(rows) == {"Organisation", "Data and platform", "Digital products", NO_BUSINESS_UNIT}
    assert (
        rows["Data and platform"] + rows["Digital products"] + rows[NO_BUSINESS_UNIT] == rows["Organisation"]
    )


def test_an_account_claim_beats_a_service_claim(costs, organisation):
    view = dashboard_view()
    rows = {row.scope.label: row.actual for row in view.summary}
    # Digital products = the payments account, AWS Config in it included (the account's owner answers).
    assert rows["Digital products"] == expected_sum(start=NOVEMBER, end=DECEMBER, accounts={PAYMENTS_PROD})
    # Data and platform = the data account, plus AWS Config everywhere the account is unclaimed.
    assert rows["Data and platform"] == expected_sum(
        start=NOVEMBER, end=DECEMBER, accounts={DATA_LAKE}
    ) + expected_sum(start=NOVEMBER, end=DECEMBER, accounts={SANDBOX}, services={CONFIG})
    assert rows[NO_BUSINESS_UNIT] == expected_sum(
        start=NOVEMBER, end=DECEMBER, accounts={SANDBOX}, services={COMPUTE}
    )


def test_the_amortised_basis_sums_the_amortised_column(costs, organisation):
    filters = parse_filters({"basis": "amortised"})
    view = dashboard_view(filters=filters)
    assert filters.basis == "amortized"
    assert view.summary[0].actual == expected_sum(start=NOVEMBER, end=DECEMBER, field="amortized")


def test_a_business_unit_filter_breaks_the_unit_down_by_team(costs, organisation):
    unit = organisation["platform_unit"]
    view = dashboard_view(filters=parse_filters({"business_unit": str(unit.pk)}))
    labels = [row.scope.label for row in view.summary]
    assert labels == ["Organisation (business unit Data and platform)", "Data", "Platform"]
    assert view.summary[1].actual + view.summary[2].actual == view.summary[0].actual


def test_a_past_month_shows_its_complete_actual_as_the_projection(costs, organisation):
    view = dashboard_view(filters=parse_filters({"period": "2026-10"}))
    total = view.summary[0]
    october = expected_sum(start=date(2026, 10, 1), end=NOVEMBER)
    assert total.actual == october
    assert total.projection.projected == october
    assert str(total.projection.basis) == "actual"


def test_the_open_month_is_projected_with_a_range_around_it(costs, organisation):
    total = dashboard_view().summary[0]
    assert total.projection.low <= total.projection.projected <= total.projection.high
    assert total.projection.projected > total.actual  # eleven days of November remain
    assert total.projection.days_remaining == 11


def test_the_daily_chart_marks_estimated_days_and_draws_the_forecast_band(costs, organisation):
    view = dashboard_view()
    chart = view.chart("daily")
    traces = {trace.name: trace for trace in chart.figure.data}
    assert list(traces) == ["Final", "Estimated", "Forecast high", "Forecast range", "Projected"]
    assert [str(d) for d in traces["Estimated"].x] == ["2026-11-18", "2026-11-19"]
    assert len(traces["Projected"].x) == 11
    nineteenth = expected_sum(start=DATA_THROUGH, end=DATA_THROUGH + timedelta(days=1))
    assert traces["Estimated"].y[-1] == pytest.approx(float(nineteenth))
    table = {row["day"]: row for row in chart.table}
    assert Decimal(table["2026-11-19"]["amount"]) == nineteenth
    assert table["2026-11-19"]["estimated"] == "true"
    assert table["2026-11-30"]["forecast"] != ""


def test_the_daily_chart_shows_the_last_days_asked_for(costs, organisation):
    view = dashboard_view(filters=parse_filters({"days": "30"}))
    days = [row["day"] for row in view.chart("daily").table if row["amount"]]
    assert days[0] == "2026-10-21" and days[-1] == "2026-11-19" and len(days) == 30


def test_movers_compare_like_for_like_days_while_the_month_is_open(costs, organisation):
    view = dashboard_view()
    movers = {row["name"]: row for row in view.chart("movers-service").table}
    current = expected_sum(start=NOVEMBER, end=DATA_THROUGH + timedelta(days=1), services={COMPUTE})
    previous = expected_sum(start=date(2026, 10, 1), end=date(2026, 10, 20), services={COMPUTE})
    assert Decimal(movers[COMPUTE]["current"]) == current
    assert Decimal(movers[COMPUTE]["previous"]) == previous
    assert Decimal(movers[COMPUTE]["change"]) == current - previous
    figure = view.chart("movers-service").figure
    assert figure.data[0].y[0] == COMPUTE  # the biggest mover first


def test_movers_of_a_complete_month_read_whole_months(costs, organisation):
    view = dashboard_view(filters=parse_filters({"period": "2026-10"}))
    movers = {row["name"]: row for row in view.chart("movers-account").table}
    name = f"payments-prod ({PAYMENTS_PROD})"
    assert Decimal(movers[name]["current"]) == (
        expected_sum(start=date(2026, 10, 1), end=NOVEMBER, accounts={PAYMENTS_PROD})
    )
    assert Decimal(movers[name]["previous"]) == (
        expected_sum(start=date(2026, 9, 1), end=date(2026, 10, 1), accounts={PAYMENTS_PROD})
    )


def test_a_scope_page_shows_only_its_scope(costs, organisation):
    scope = scope_for("service", CONFIG)
    view = dashboard_view(scope=scope)
    assert view.summary[0].actual == expected_sum(start=NOVEMBER, end=DECEMBER, services={CONFIG})
    team_scope = scope_for("team", str(organisation["platform"].pk))
    team_view = dashboard_view(scope=team_scope)
    assert team_view.summary[0].actual == expected_sum(
        start=NOVEMBER, end=DECEMBER, accounts={SANDBOX}, services={CONFIG}
    )


def test_an_unknown_scope_is_refused_with_a_message(organisation):
    with pytest.raises(UnknownScope, match="no team with id"):
        scope_for("team", "999999")
    with pytest.raises(UnknownScope, match="Unknown scope type"):
        scope_for("galaxy", "x")
    with pytest.raises(UnknownScope, match="no business unit"):
        scope_for("business_unit", str(organisation["payments"].pk))  # a team, not a unit


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "2026-13"}, "period"),
        ({"period": "last month"}, "period"),
        ({"basis": "blended"}, "basis"),
        ({"business_unit": "abc"}, "business_unit"),
        ({"team": "team-one"}, "team"),
        ({"currency": "usd"}, "currency"),
        ({"days": "3"}, "days"),
        ({"service": "x" * 300}, "service"),
    ],
)
def test_bad_filter_values_name_the_field(db, params, field):
    with pytest.raises(FilterErrors) as raised:
        parse_filters(params)
    assert list(raised.value.errors) == [field]


def test_a_team_filter_naming_no_team_is_a_404_as_for_a_team_one_may_not_see(db):
    with pytest.raises(Http404):
        parse_filters({"team": "424242"})


def test_filters_round_trip_through_the_url(organisation):
    params = {
        "period": "2026-10",
        "basis": "amortized",
        "business_unit": str(organisation["digital"].pk),
        "account": PAYMENTS_PROD,
        "days": "30",
    }
    assert parse_filters(params).query() == params


def test_an_organisation_without_data_gets_an_empty_view(db):
    view = dashboard_view()
    assert view.currency is None and view.charts == [] and view.summary == []


def test_other_currencies_are_reported_not_added(costs, organisation):
    DailyCost.objects.create(
        source=costs,
        day=DATA_THROUGH,
        account_id=SANDBOX,
        service=COMPUTE,
        unblended=Decimal("999"),
        amortized=Decimal("999"),
        currency="EUR",
    )
    monthly_rollup_rebuild(source=costs, start=DATA_THROUGH, end=DATA_THROUGH + timedelta(days=1))
    daily_rollup_rebuild(source=costs, start=DATA_THROUGH, end=DATA_THROUGH + timedelta(days=1))
    view = dashboard_view()
    assert view.currency == "USD" and view.other_currencies == ("EUR",)
    assert view.summary[0].actual == expected_sum(start=NOVEMBER, end=DECEMBER)


class FixedBudgets:
    def __init__(self, amounts):
        self.amounts = amounts

    def budget_for(self, *, scope, month, basis, currency):
        return self.amounts.get(scope.label)


def test_a_registered_budget_provider_fills_the_budget_column(costs, organisation):
    provider = FixedBudgets({"Organisation": Decimal("5000"), "Digital products": Decimal("1000")})
    register_budget_provider(provider)
    try:
        view = dashboard_view()
    finally:
        unregister_budget_provider(provider)
    budgets = {row.scope.label: row.budget for row in view.summary}
    assert budgets["Organisation"] == Decimal("5000")
    assert budgets["Digital products"] == Decimal("1000")
    assert budgets["Data and platform"] is None
    figure = view.chart("this-month").figure
    assert [t.name for t in figure.data] == ["Actual", "Projected", "Budget"]
    assert figure.data[2].y[0] == 5000.0


def test_without_a_budget_provider_there_is_no_budget(costs, organisation):
    view = dashboard_view()
    assert all(row.budget is None for row in view.summary)


class CountingPanels:
    key = "test-panels"
    order = 5

    def panels(self, *, view):
        import pandas as pd

        frame = pd.DataFrame([{"status": "open", "count": 3}, {"status": "accepted", "count": 1}])
        yield Panel(
            key="variance-funnel",
            title="Variances by status",
            figure=variance_funnel_figure(frame, term_urls=view.term_urls),
            frame=frame,
            items=[PanelItem("Payments compute spike", "/variances/1/", overdue=True)],
        )


def test_a_registered_panel_provider_adds_its_panel_and_nothing_appears_without_one(costs, organisation):
    assert dashboard_view().chart("variance-funnel") is None
    register_panel_provider(CountingPanels())
    try:
        view = dashboard_view()
    finally:
        unregister_panel_provider("test-panels")
    panel = view.chart("variance-funnel")
    assert panel is not None and panel.items[0].overdue
    assert list(panel.figure.data[0].x) == [3, 1]


def test_commitments_frame_reads_coverage_and_utilisation(costs):
    CommitmentMetric.objects.create(
        source=costs,
        month=date(2026, 10, 1),
        kind="savings_plans",
        coverage_percent=Decimal("61.2500000000"),
        utilisation_percent=Decimal("97.1000000000"),
    )
    chart = commitments_chart(today=date(2026, 11, 20))
    assert Decimal(chart.table[0]["coverage"]) == Decimal("61.25")
    assert chart.table[0]["kind"] == "Savings Plans"
    names = [t.name for t in chart.figure.data]
    assert names == ["Savings Plans coverage", "Savings Plans utilisation"]


def test_commitments_without_data_is_an_empty_frame(db):
    assert commitments_chart().frame.empty


def test_glossary_terms_link_from_axis_titles(costs, organisation):
    view = dashboard_view(filters=parse_filters({"basis": "amortized"}))
    title = view.chart("daily").figure.layout.yaxis.title.text
    assert 'href="/glossary/#term-amortised-cost"' in title


def test_the_scope_filter_condition_matches_daily_cost_rows(costs, organisation):
    owners = ownership_map()
    condition = scope_q(scope_for("business_unit", str(organisation["digital"].pk)), owners)
    assert set(DailyCost.objects.filter(condition).values_list("account_id", flat=True)) == {PAYMENTS_PROD}
    assert DailyCost.objects.filter(owners.unowned_by_units_q() & Q(account_id=PAYMENTS_PROD)).count() == 0


def test_one_pass_by_part_gives_the_same_days_as_separate_queries(costs, organisation):
    owners = ownership_map()
    parts = [
        owners.team_q(owners.unit_team_ids(organisation["digital"].pk)),
        owners.team_q(owners.unit_team_ids(organisation["platform_unit"].pk)),
    ]
    window = {"start": date(2026, 10, 15), "end": DATA_THROUGH + timedelta(days=1), "basis": "unblended"}
    total, frames = daily_frames_by_part(condition=Q(), parts=parts, currency="USD", **window)
    assert total.to_dict("records") == daily_frame(condition=Q(), currency="USD", **window).to_dict("records")
    for part, frame in zip(parts, frames, strict=True):
        separate = daily_frame(condition=part, currency="USD", **window)
        assert frame.to_dict("records") == separate.to_dict("records")
