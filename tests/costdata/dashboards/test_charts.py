"""Chart functions: the traces carry exactly the right numbers, in the right order, and nothing breaks."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import plotly.graph_objects as go
import pytest
from hypothesis import given
from hypothesis import strategies as st

from costdata.dashboards.charts import (
    budget_comparison_figure,
    commitments_figure,
    daily_cost_figure,
    forecast_frame,
    top_movers,
    top_movers_figure,
)
from costdata.dashboards.figures import empty_figure, linked
from costdata.dashboards.programme_charts import programme_health_figure, variance_funnel_figure
from costdata.dashboards.tables import figure_csv, figure_table
from costdata.planning.forecasting import DailyFigure, forecast_days, project_month_end

D = Decimal


def traces(fig: go.Figure) -> dict[str, go.BaseTraceType]:
    return {t.name: t for t in fig.data}


def is_empty_state(fig: go.Figure) -> bool:
    return len(fig.data) == 0 and len(fig.layout.annotations) == 1


def no_external_urls(fig: go.Figure) -> bool:
    return "http" not in fig.to_json()


# --- daily cost -------------------------------------------------------------------------------------


def daily_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"day": date(2026, 11, 24), "amount": D("100.125"), "estimated": False},
            {"day": date(2026, 11, 26), "amount": D("90.5"), "estimated": True},
            {"day": date(2026, 11, 25), "amount": D("110"), "estimated": False},
        ]
    )


def test_daily_cost_separates_final_and_estimated_days() -> None:
    fig = daily_cost_figure(daily_frame(), currency="USD")
    t = traces(fig)
    assert list(t) == ["Final", "Estimated"]
    assert list(t["Final"].x) == [date(2026, 11, 24), date(2026, 11, 25)]
    assert list(t["Final"].y) == [100.125, 110.0]
    assert list(t["Estimated"].x) == [date(2026, 11, 26)]
    assert list(t["Estimated"].y) == [90.5]
    assert t["Estimated"].marker.pattern.shape == "/"
    assert t["Final"].marker.color != t["Estimated"].marker.color
    assert "USD" in t["Final"].hovertemplate
    assert no_external_urls(fig)


def test_daily_cost_draws_the_forecast_band_and_the_projected_line() -> None:
    daily = [DailyFigure(date(2026, 11, 1) + timedelta(days=i), D(100 + 10 * (i % 2))) for i in range(28)]
    projection = project_month_end(daily, month=date(2026, 11, 1), data_through=date(2026, 11, 28))
    frame = pd.DataFrame([{"day": f.day, "amount": f.amount, "estimated": f.estimated} for f in daily])
    fig = daily_cost_figure(frame, forecast_frame(forecast_days(projection)), currency="EUR")
    t = traces(fig)
    assert list(t) == ["Final", "Estimated", "Forecast high", "Forecast range", "Projected"]
    assert list(t["Projected"].x) == [date(2026, 11, 29), date(2026, 11, 30)]
    assert list(t["Projected"].y) == [float(projection.run_rate)] * 2
    assert list(t["Forecast range"].y) == [float(projection.run_rate_low)] * 2
    assert list(t["Forecast high"].y) == [float(projection.run_rate_high)] * 2
    assert t["Forecast range"].fill == "tonexty"
    assert (
        fig.data.index(t["Forecast high"]) == fig.data.index(t["Forecast range"]) - 1
    )  # the band fills to it


def test_daily_cost_keeps_only_the_last_ninety_days() -> None:
    frame = pd.DataFrame(
        [
            {"day": date(2026, 1, 1) + timedelta(days=i), "amount": D(i), "estimated": False}
            for i in range(120)
        ]
    )
    final = traces(daily_cost_figure(frame, currency="USD"))["Final"]
    assert len(final.x) == 90
    assert final.x[0] == date(2026, 1, 31) and final.x[-1] == date(2026, 4, 30)
    assert final.y[0] == 30.0


def test_daily_cost_accepts_pandas_timestamps() -> None:
    frame = pd.DataFrame({"day": pd.to_datetime(["2026-11-01"]), "amount": [D(5)], "estimated": [False]})
    assert list(traces(daily_cost_figure(frame, currency="USD"))["Final"].x) == [date(2026, 11, 1)]


def test_daily_cost_of_nothing_is_an_empty_state() -> None:
    fig = daily_cost_figure(pd.DataFrame(columns=["day", "amount", "estimated"]), currency="USD")
    assert is_empty_state(fig)
    assert "No data" in fig.layout.annotations[0].text


def test_a_frame_missing_a_column_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="missing estimated"):
        daily_cost_figure(pd.DataFrame({"day": [], "amount": []}), currency="USD")


def test_a_currency_that_is_not_a_code_is_refused() -> None:
    with pytest.raises(ValueError, match="ISO 4217"):
        daily_cost_figure(daily_frame(), currency="%{x}")


# --- budget comparison ------------------------------------------------------------------------------


def test_budget_comparison_groups_actual_projected_and_budget_per_scope() -> None:
    frame = pd.DataFrame(
        [
            {
                "scope": "Acme (organisation)",
                "actual": D("5000.50"),
                "projected": D(10000),
                "budget": D(9000),
            },
            {"scope": "Retail", "actual": D(3000), "projected": D(6000), "budget": None},
            {"scope": "Platform", "actual": D(2000.5), "projected": D(4000), "budget": D(5000)},
        ]
    )
    fig = budget_comparison_figure(frame, currency="GBP")
    t = traces(fig)
    assert list(t) == ["Actual", "Projected", "Budget"]
    assert fig.layout.barmode == "group"
    for trace in fig.data:
        assert list(trace.x) == ["Acme (organisation)", "Retail", "Platform"]
    assert list(t["Actual"].y) == [5000.5, 3000.0, 2000.5]
    assert list(t["Budget"].y) == [9000.0, None, 5000.0]
    assert "GBP" in t["Budget"].hovertemplate


def test_budget_comparison_of_nothing_is_an_empty_state() -> None:
    frame = pd.DataFrame(columns=["scope", "actual", "projected", "budget"])
    assert is_empty_state(budget_comparison_figure(frame, currency="USD"))


# --- top movers -------------------------------------------------------------------------------------


def movers_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"name": "Amazon S3", "previous": D("100.00"), "current": D("150.25")},
            {"name": "Amazon EC2", "previous": D(1000), "current": D(700)},
            {"name": "AWS Lambda", "previous": D(0), "current": D(80)},
            {"name": "Amazon RDS", "previous": D(500), "current": D(500)},
            {"name": "Amazon CloudFront", "previous": D(40), "current": None},
        ]
    )


def test_top_movers_sorts_by_the_size_of_the_change() -> None:
    movers = top_movers(movers_frame())
    assert list(movers["name"]) == ["Amazon EC2", "AWS Lambda", "Amazon S3", "Amazon CloudFront"]
    assert list(movers["change"]) == [D(-300), D(80), D("50.25"), D(-40)]
    assert list(movers["change_percent"]) == [D("-30.0"), None, D("50.2"), D("-100.0")]


def test_top_movers_keeps_the_limit() -> None:
    assert list(top_movers(movers_frame(), limit=2)["name"]) == ["Amazon EC2", "AWS Lambda"]


def test_top_movers_figure_draws_the_changes_biggest_on_top_and_colours_the_direction() -> None:
    fig = top_movers_figure(movers_frame(), dimension="service", currency="USD")
    (bar,) = fig.data
    assert bar.orientation == "h"
    assert list(bar.y) == ["Amazon EC2", "AWS Lambda", "Amazon S3", "Amazon CloudFront"]
    assert list(bar.x) == [-300.0, 80.0, 50.25, -40.0]
    assert fig.layout.yaxis.autorange == "reversed"
    assert list(bar.marker.color) == ["#1e8449", "#c0392b", "#c0392b", "#1e8449"]
    assert "by service" in fig.layout.title.text


def test_top_movers_without_changes_is_an_empty_state() -> None:
    frame = pd.DataFrame([{"name": "x", "previous": D(1), "current": D(1)}])
    assert is_empty_state(top_movers_figure(frame, dimension="account", currency="USD"))


@given(
    st.lists(
        st.tuples(
            st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False),
            st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False),
        ),
        max_size=30,
    )
)
def test_top_movers_changes_are_exact_and_ordered(pairs: list[tuple[Decimal, Decimal]]) -> None:
    frame = pd.DataFrame(
        [{"name": f"s{i}", "previous": p, "current": c} for i, (p, c) in enumerate(pairs)],
        columns=["name", "previous", "current"],
    )
    movers = top_movers(frame, limit=100)
    sizes = [abs(c) for c in movers["change"]]
    assert sizes == sorted(sizes, reverse=True)
    assert sum(movers["change"], D(0)) == sum((c - p for p, c in pairs), D(0))


# --- variance funnel --------------------------------------------------------------------------------

SOP = ["open", "assigned", "explained", "sent_back", "accepted", "closed"]


def test_the_funnel_follows_the_procedure_order_and_shows_empty_stages() -> None:
    frame = pd.DataFrame(
        [
            {"status": "accepted", "count": 3},
            {"status": "open", "count": 7},
            {"status": "assigned", "count": 5},
        ]
    )
    fig = variance_funnel_figure(frame, status_order=SOP, labels={"sent_back": "Sent back"})
    (funnel,) = fig.data
    assert list(funnel.y) == ["Open", "Assigned", "Explained", "Sent back", "Accepted", "Closed"]
    assert list(funnel.x) == [7, 5, 0, 0, 3, 0]


def test_the_funnel_keeps_unknown_statuses_at_the_end() -> None:
    frame = pd.DataFrame([{"status": "archived", "count": 1}, {"status": "open", "count": 2}])
    (funnel,) = variance_funnel_figure(frame, status_order=["open"]).data
    assert list(funnel.y) == ["Open", "Archived"] and list(funnel.x) == [2, 1]


def test_no_variances_is_an_empty_state() -> None:
    assert is_empty_state(variance_funnel_figure(pd.DataFrame(columns=["status", "count"])))
    assert is_empty_state(variance_funnel_figure(pd.DataFrame([{"status": "open", "count": 0}])))


# --- commitments ------------------------------------------------------------------------------------


def test_commitments_draw_coverage_and_utilisation_per_kind_on_a_percent_axis() -> None:
    frame = pd.DataFrame(
        [
            {
                "month": date(2026, 10, 1),
                "kind": "Savings Plans",
                "coverage": D("61.5"),
                "utilisation": D("98.2"),
            },
            {"month": date(2026, 9, 1), "kind": "Savings Plans", "coverage": D("58"), "utilisation": D("99")},
            {
                "month": date(2026, 9, 1),
                "kind": "Reserved Instances",
                "coverage": D("20"),
                "utilisation": None,
            },
        ]
    )
    fig = commitments_figure(frame)
    t = traces(fig)
    assert list(t) == [
        "Reserved Instances coverage",
        "Reserved Instances utilisation",
        "Savings Plans coverage",
        "Savings Plans utilisation",
    ]
    assert list(t["Savings Plans coverage"].x) == [date(2026, 9, 1), date(2026, 10, 1)]
    assert list(t["Savings Plans coverage"].y) == [58.0, 61.5]
    assert list(t["Reserved Instances utilisation"].y) == [None]
    assert t["Savings Plans utilisation"].line.dash == "dot"
    assert fig.layout.yaxis.ticksuffix == "%"


def test_no_commitment_data_is_an_empty_state() -> None:
    assert is_empty_state(
        commitments_figure(pd.DataFrame(columns=["month", "kind", "coverage", "utilisation"]))
    )


# --- programme health -------------------------------------------------------------------------------


def test_programme_health_draws_each_measure_in_its_panel() -> None:
    frame = pd.DataFrame(
        [
            {
                "month": date(2026, 11, 1),
                "explained_on_time": D("75.0"),
                "median_days_to_explain": D("2.5"),
                "median_days_to_accept": None,
                "meetings_held": 3,
                "meetings_planned": 4,
            },
            {
                "month": date(2026, 10, 1),
                "explained_on_time": D("50"),
                "median_days_to_explain": D(4),
                "median_days_to_accept": D(1),
                "meetings_held": 4,
                "meetings_planned": 4,
            },
        ]
    )
    fig = programme_health_figure(frame)
    t = traces(fig)
    assert list(t) == [
        "Explained on time",
        "Median days to explain",
        "Median days to accept",
        "Meetings held",
        "Meetings planned",
    ]
    months = [date(2026, 10, 1), date(2026, 11, 1)]
    assert all(list(trace.x) == months for trace in fig.data)
    assert list(t["Explained on time"].y) == [50.0, 75.0]
    assert list(t["Median days to accept"].y) == [1.0, None]
    assert list(t["Meetings held"].y) == [4, 3] and list(t["Meetings planned"].y) == [4, 4]
    assert t["Explained on time"].yaxis == "y" and t["Median days to explain"].yaxis == "y2"
    assert t["Meetings held"].yaxis == "y3"


def test_no_programme_history_is_an_empty_state() -> None:
    columns = ["month", "explained_on_time", "median_days_to_explain", "median_days_to_accept"]
    assert is_empty_state(
        programme_health_figure(pd.DataFrame(columns=[*columns, "meetings_held", "meetings_planned"]))
    )


# --- glossary links, tables -------------------------------------------------------------------------


def test_glossary_terms_link_from_titles_and_axes() -> None:
    urls = {
        "daily_cost": "/glossary/#daily-cost",
        "cost": "/glossary/#cost",
        "forecast": "javascript:alert(1)",
    }
    fig = daily_cost_figure(daily_frame(), currency="USD", term_urls=urls)
    assert '<a href="/glossary/#daily-cost">Daily cost</a>' in fig.layout.title.text
    assert '<a href="/glossary/#cost">Cost</a> (USD)' == fig.layout.yaxis.title.text
    assert "javascript" not in fig.to_json()  # only relative and http(s) links


def test_title_text_is_escaped() -> None:
    assert linked("R&D <team>") == "R&amp;D &lt;team&gt;"
    assert linked([("Budget", "budget")], {"budget": '/g?a="x"'}) == '<a href="/g?a=&quot;x&quot;">Budget</a>'


def test_figure_table_gives_exact_decimals_as_text() -> None:
    table = figure_table(top_movers(movers_frame()))
    assert table[2] == {
        "name": "Amazon S3",
        "previous": "100.00",
        "current": "150.25",
        "change": "50.25",
        "change_percent": "50.2",
    }
    assert table[1]["change_percent"] == ""


def test_figure_table_writes_dates_and_flags() -> None:
    assert figure_table(daily_frame())[0] == {"day": "2026-11-24", "amount": "100.125", "estimated": "false"}


def test_figure_csv_keeps_negative_numbers_and_neutralises_formula_text() -> None:
    frame = pd.DataFrame([{"name": "=cmd|' /C calc'!A0", "change": D("-300.10")}])
    rows = list(csv.reader(io.StringIO(figure_csv(frame))))
    assert rows == [["name", "change"], ["'=cmd|' /C calc'!A0", "-300.10"]]


def test_empty_figure_serialises_without_external_resources() -> None:
    fig = empty_figure("Nothing", "Nothing to see")
    assert json.loads(fig.to_json())["layout"]["annotations"][0]["text"] == "Nothing to see"
    assert no_external_urls(fig)


def test_money_columns_refuse_floats() -> None:
    frame = pd.DataFrame([{"name": "x", "previous": 0.1, "current": D(1)}])
    with pytest.raises(TypeError, match="money columns hold Decimal"):
        top_movers(frame)


# --- built once -------------------------------------------------------------------------------------


def test_the_same_data_reuses_its_figure_and_new_data_builds_a_new_one() -> None:
    from costdata.dashboards.figures import cached_figure, figure_json

    first = cached_figure(daily_cost_figure, daily_frame(), currency="USD")
    again = cached_figure(daily_cost_figure, daily_frame(), currency="USD")
    changed = daily_frame()
    changed.loc[0, "amount"] = changed.loc[0, "amount"] + Decimal("0.0000000001")
    other = cached_figure(daily_cost_figure, changed, currency="USD")

    assert again is first
    assert other is not first
    assert cached_figure(daily_cost_figure, daily_frame(), currency="EUR") is not first
    assert figure_json(first)["layout"]["template"]["layout"]["plot_bgcolor"] == "white"
    assert figure_json(first) is figure_json(first)
