"""Dashboard pages: URL filters, CSV downloads, clear errors for bad values, sign-in required."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from costdata.models import CommitmentMetric
from tests.costdata.conftest import finance_reader
from tests.costdata.dashboards.test_dashboards import (
    COMPUTE,
    DATA_THROUGH,
    PAYMENTS_PROD,
    build_costs,
    build_organisation,
    expected_sum,
)

NOVEMBER = date(2026, 11, 1)


@pytest.fixture
def data(db):
    source = build_costs()
    teams = build_organisation()
    return source, teams


@pytest.fixture
def reader(client, db):
    client.force_login(finance_reader())
    return client


def test_the_overview_needs_a_signed_in_user(client, db):
    response = client.get(reverse("dashboard-overview"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_overview_shows_totals_charts_and_no_budget_yet(reader, data):
    response = reader.get(reverse("dashboard-overview"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "no budget yet" in body
    assert 'data-figure="chart-1-daily"' in body
    assert 'id="chart-1-daily" type="application/json"' in body
    assert "vendor/plotly.min.js" in body and "js/charts.js" in body
    assert "<script>" not in body  # the content security policy forbids inline scripts
    assert "Digital products" in body and "Data and platform" in body
    assert 'href="/glossary/#term-forecast"' in body


def test_the_figure_json_on_the_page_carries_the_exact_figures(reader, data):
    response = reader.get(reverse("dashboard-overview"))
    figure = next(c["figure"] for c in response.context["charts"] if c["key"] == "this-month")
    actual = next(t for t in figure["data"] if t["name"] == "Actual")
    assert actual["x"][0] == "Organisation"
    assert actual["y"][0] == pytest.approx(float(expected_sum(start=NOVEMBER, end=date(2026, 12, 1))))


def test_a_business_unit_filter_in_the_url_narrows_the_page(reader, data):
    _, teams = data
    response = reader.get(reverse("dashboard-overview"), {"business_unit": teams["digital"].pk})
    assert response.status_code == 200
    summary = response.context["view"].summary
    assert summary[0].actual == expected_sum(start=NOVEMBER, end=date(2026, 12, 1), accounts={PAYMENTS_PROD})
    assert "Filtered to business unit Digital products" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": "2026-13"}, "Give a month as YYYY-MM"),
        ({"basis": "blended"}, "Choose unblended or amortized"),
        ({"team": "nope"}, "Give the team"),
        ({"csv": "nothing"}, "no chart"),
        ({"period": "2027-01"}, "The cost data ends on 2026-11-19; choose 2026-11 or an earlier month."),
    ],
)
def test_bad_filter_values_get_a_clear_400(reader, data, params, message):
    response = reader.get(reverse("dashboard-overview"), params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_each_chart_downloads_as_csv_with_exact_decimals(reader, data):
    response = reader.get(reverse("dashboard-overview"), {"csv": "daily", "days": "30"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    by_day = {row["day"]: row for row in rows}
    nineteenth = expected_sum(start=DATA_THROUGH, end=DATA_THROUGH + timedelta(days=1))
    assert Decimal(by_day["2026-11-19"]["amount"]) == nineteenth
    assert by_day["2026-11-19"]["estimated"] == "true"


def test_the_csv_keeps_the_filters(reader, data):
    response = reader.get(reverse("dashboard-overview"), {"csv": "movers-service", "service": COMPUTE})
    names = [row["name"] for row in csv.DictReader(io.StringIO(response.content.decode()))]
    assert names == [COMPUTE]


def test_a_scope_page_for_a_team(reader, data):
    _, teams = data
    response = reader.get(reverse("dashboard-scope", args=["team", teams["payments"].pk]))
    assert response.status_code == 200
    assert response.context["view"].summary[0].actual == expected_sum(
        start=NOVEMBER, end=date(2026, 12, 1), accounts={PAYMENTS_PROD}
    )


def test_a_scope_page_for_a_service_with_spaces(reader, data):
    response = reader.get(reverse("dashboard-scope", args=["service", COMPUTE]))
    assert response.status_code == 200
    assert response.context["view"].summary[0].actual == expected_sum(
        start=NOVEMBER, end=date(2026, 12, 1), services={COMPUTE}
    )


def test_an_unknown_team_scope_is_a_404_and_a_bad_scope_type_a_400_with_a_message(reader, data):
    assert reader.get(reverse("dashboard-scope", args=["team", "99999"])).status_code == 404
    response = reader.get(reverse("dashboard-scope", args=["region", "eu"]))
    assert response.status_code == 400
    assert "Unknown scope type" in response.content.decode()


def test_the_overview_links_business_units_to_their_scope_pages(reader, data):
    _, teams = data
    body = reader.get(reverse("dashboard-overview")).content.decode()
    assert reverse("dashboard-scope", args=["business_unit", teams["digital"].pk]) in body


def test_an_empty_organisation_gets_an_honest_empty_state(reader):
    response = reader.get(reverse("dashboard-overview"))
    assert response.status_code == 200
    assert "No cost source has loaded data yet" in response.content.decode()


def test_commitments_page_without_data_says_so(reader):
    response = reader.get(reverse("dashboard-commitments"))
    assert response.status_code == 200
    assert "No commitment data" in response.content.decode()


def test_commitments_page_draws_coverage_and_utilisation(reader, data):
    source, _ = data
    for month, coverage in ((date(2026, 10, 1), "55.5"), (date(2026, 11, 1), "60.25")):
        CommitmentMetric.objects.create(
            source=source,
            month=month,
            kind="reservations",
            coverage_percent=Decimal(coverage),
            utilisation_percent=Decimal("88"),
        )
    response = reader.get(reverse("dashboard-commitments"))
    figure = response.context["chart"]["figure"]
    coverage = next(t for t in figure["data"] if t["name"] == "Reserved Instances coverage")
    assert coverage["y"] == [55.5, 60.25]
    csv_response = reader.get(reverse("dashboard-commitments"), {"csv": "commitments"})
    rows = list(csv.DictReader(io.StringIO(csv_response.content.decode())))
    assert [Decimal(r["coverage"]) for r in rows] == [Decimal("55.5"), Decimal("60.25")]


def test_figure_json_is_escaped_for_the_page(reader, data):
    """json_script escapes <, > and & so a service named like a tag cannot close the script element."""
    source, _ = data
    from costdata.models import DailyCost

    DailyCost.objects.create(
        source=source,
        day=DATA_THROUGH,
        account_id=PAYMENTS_PROD,
        service="</script><b>x",
        unblended=Decimal("5000"),
        amortized=Decimal("5000"),
        currency="USD",
    )
    from costdata.facts.services import daily_rollup_rebuild, monthly_rollup_rebuild

    monthly_rollup_rebuild(source=source, start=DATA_THROUGH, end=DATA_THROUGH + timedelta(days=1))
    daily_rollup_rebuild(source=source, start=DATA_THROUGH, end=DATA_THROUGH + timedelta(days=1))
    body = reader.get(reverse("dashboard-overview")).content.decode()
    assert "</script><b>x" not in body
    start = body.index('id="chart-2-movers-service" type="application/json">') + len(
        'id="chart-2-movers-service" type="application/json">'
    )
    payload = body[start : body.index("</script>", start)]
    assert "</script><b>x" in json.dumps(json.loads(payload))


def test_the_csv_links_on_the_page_keep_the_filters(reader, data):
    _, teams = data
    body = reader.get(
        reverse("dashboard-overview"), {"business_unit": teams["digital"].pk, "basis": "amortized"}
    ).content.decode()
    assert f'href="?basis=amortized&amp;business_unit={teams["digital"].pk}&amp;csv=daily"' in body


def test_headings_link_the_glossary_term_of_the_chosen_basis(reader, data):
    body = reader.get(reverse("dashboard-overview"), {"basis": "amortized"}).content.decode()
    summary = body[body.index('id="summary"') :]
    assert 'href="/glossary/#term-amortised-cost"' in summary[: summary.index("</h2>")]
