"""The dashboards keep their aggregates per data version (costdata.facts.data_cache): exact until new data,
never shared between conditions that select differently, and warmed after a pull."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.test.utils import CaptureQueriesContext

from costdata.dashboards.charts import top_movers
from costdata.dashboards.filters import BASES, DashboardFilters
from costdata.dashboards.movers import _largest_changes
from costdata.dashboards.pages import dashboard_view
from costdata.dashboards.scopes import ORGANISATION, scope_for
from costdata.dashboards.warming import dashboards_warm
from costdata.facts import data_cache
from costdata.models import CloudAccount
from costdata.tasks import warm_dashboards
from stakeholders.models import Ownership, Team
from tests.costdata.conftest import TODAY, day_result, group, page, request
from tests.costdata.dashboards.test_dashboards import organisation  # noqa: F401  (fixture)
from tests.costdata.ingestion.test_pull import D1, D2, D3, END, pull, three_days

FACT_TABLES = (
    "costdata_dailycost",
    "costdata_dailyaccountcost",
    "costdata_dailyservicecost",
    "costdata_monthlycost",
)


def fact_queries(queries) -> list[str]:
    """The queries that read a fact or rollup table (the version check reads only their index ends)."""
    return [
        q["sql"]
        for q in queries
        if any(table in q["sql"] for table in FACT_TABLES) and "max(id)" not in q["sql"]
    ]


def month_actual(**filters) -> Decimal:
    view = dashboard_view(filters=DashboardFilters(**filters), today=TODAY)
    return view.summary[0].actual


# --- keys -------------------------------------------------------------------------------------------


def test_a_condition_keys_by_what_it_selects_not_by_how_its_lists_were_ordered():
    assert data_cache.key_part(Q(account_id__in={"2", "1"})) == data_cache.key_part(
        Q(account_id__in={"1", "2"})
    )
    assert data_cache.key_part(Q(account_id="1")) != data_cache.key_part(~Q(account_id="1"))
    assert data_cache.key_part(Q(account_id="1") | Q(service="S")) != data_cache.key_part(
        Q(account_id="1") & Q(service="S")
    )
    assert data_cache.key_part(Q(account_id__in=["1"])) != data_cache.key_part(Q(service__in=["1"]))


@pytest.mark.django_db
def test_a_condition_holding_a_subquery_is_computed_every_time_not_cached():
    claimed = Q(Exists(Ownership.objects.filter(scope_value=OuterRef("account_id"))))
    with pytest.raises(data_cache.Unkeyable):
        data_cache.key_part(claimed)
    calls = []
    for _ in range(2):
        data_cache.facts_cached("test", {"condition": claimed}, lambda: calls.append(1), version="v1")
    assert len(calls) == 2


@pytest.mark.django_db
def test_the_same_arguments_and_version_compute_once_and_a_new_version_computes_again():
    calls = []

    def compute():
        calls.append(1)
        return {"amount": Decimal("1.0000000001")}

    first = data_cache.facts_cached("test", {"x": 1}, compute, version="v1")
    first["amount"] = Decimal(0)  # a caller changing its copy does not change what is kept
    assert data_cache.facts_cached("test", {"x": 1}, compute, version="v1") == {
        "amount": Decimal("1.0000000001")
    }
    data_cache.clear_local()  # another process: the shared cache answers
    assert data_cache.facts_cached("test", {"x": 1}, compute, version="v1") == {
        "amount": Decimal("1.0000000001")
    }
    assert len(calls) == 1
    data_cache.facts_cached("test", {"x": 1}, compute, version="v2")
    data_cache.facts_cached("test", {"x": 2}, compute, version="v2")
    assert len(calls) == 3


# --- the dashboards ---------------------------------------------------------------------------------


def test_a_second_view_of_the_same_data_reads_no_fact_or_rollup_table(aws_source, stubbed):
    client, stubber = stubbed
    three_days(stubber)
    pull(aws_source, client)

    first = dashboard_view(today=TODAY)
    with CaptureQueriesContext(connection) as queries:
        second = dashboard_view(today=TODAY)

    assert fact_queries(queries.captured_queries) == []
    assert second.summary[0].actual == first.summary[0].actual == Decimal("8.7500000001")
    assert [c.table for c in second.charts] == [c.table for c in first.charts]


def test_a_restated_pull_shows_its_figures_at_once_even_when_the_rows_are_updated_in_place(
    aws_source, stubbed
):
    # On Postgres a re-pull of a held window updates changed rows in place (same ids): the run it
    # records is what makes the data version change.
    client, stubber = stubbed
    three_days(stubber, d3_amount="4.1", d3_estimated=True)
    three_days(stubber, d3_amount="5.0000000001")
    pull(aws_source, client)
    assert month_actual() == Decimal("1.25") + Decimal("2.5") + Decimal("4.1")

    pull(aws_source, client)

    view = dashboard_view(today=TODAY)
    assert view.summary[0].actual == Decimal("1.25") + Decimal("2.5") + Decimal("5.0000000001")
    assert view.freshness.estimated_days == 0


def test_viewers_who_see_different_rows_never_share_figures(aws_source, stubbed):
    client, stubber = stubbed
    stubber.add_response(
        "get_cost_and_usage",
        page(
            [
                day_result(
                    D1,
                    [
                        group(["111111111111", "AWS Lambda"], "1.25"),
                        group(["222222222222", "AWS Lambda"], "3"),
                    ],
                ),
                day_result(D2, [group(["111111111111", "AWS Lambda"], "2.5")]),
                day_result(D3, [group(["222222222222", "AWS Lambda"], "0.0000000001")]),
            ]
        ),
        request(D1, END),
    )
    pull(aws_source, client)

    assert month_actual() == Decimal("6.7500000001")
    assert month_actual(visible=Q(account_id__in=["111111111111"])) == Decimal("3.75")
    assert month_actual(visible=Q(account_id__in=["222222222222"])) == Decimal("3.0000000001")
    assert month_actual() == Decimal("6.7500000001")


def test_an_ownership_change_moves_rows_between_units_at_once(aws_source, stubbed):
    client, stubber = stubbed
    three_days(stubber)
    pull(aws_source, client)
    unit = Team.objects.create(name="Digital", kind=Team.Kind.BUSINESS_UNIT)
    team = Team.objects.create(name="Payments", kind=Team.Kind.TEAM, parent=unit)

    def unit_actual() -> Decimal:
        view = dashboard_view(today=TODAY)
        return next(row.actual for row in view.summary if row.scope.label == "Digital")

    assert unit_actual() == 0
    Ownership.objects.create(
        scope_kind="account", scope_value="111111111111", owner_team=team, is_primary=True
    )
    assert unit_actual() == Decimal("8.7500000001")


def test_an_account_renamed_between_pulls_shows_its_new_name(aws_source, stubbed):
    client, stubber = stubbed
    three_days(stubber)
    pull(aws_source, client)
    movers = dashboard_view(today=TODAY).chart("movers-account")
    assert movers.frame["name"].tolist() == ["prod (111111111111)"]

    CloudAccount.objects.filter(account_id="111111111111").update(name="payments-prod")

    movers = dashboard_view(today=TODAY).chart("movers-account")
    assert movers.frame["name"].tolist() == ["payments-prod (111111111111)"]


def test_warming_after_a_pull_fills_the_views_people_open_first(aws_source, stubbed):
    client, stubber = stubbed
    three_days(stubber)
    pull(aws_source, client)
    unit = Team.objects.create(name="Digital", kind=Team.Kind.BUSINESS_UNIT)
    Team.objects.create(name="Payments", kind=Team.Kind.TEAM, parent=unit)
    data_cache.clear_local()

    # The organisation and the unit in both bases, the team in the default one.
    assert warm_dashboards.apply().get() == 2 * len(BASES) + 1

    data_cache.clear_local()  # a web process: the shared cache answers
    team = Team.objects.get(name="Payments")
    warmed = [(ORGANISATION, basis) for basis in BASES]
    warmed += [(scope_for("business_unit", str(unit.pk)), basis) for basis in BASES]
    warmed += [(scope_for("team", str(team.pk)), "unblended")]
    for scope, basis in warmed:
        with CaptureQueriesContext(connection) as queries:
            dashboard_view(scope=scope, filters=DashboardFilters(basis=basis))
        assert fact_queries(queries.captured_queries) == [], (scope.label, basis)


def test_a_successful_pull_queues_the_warming_when_it_commits(
    aws_source, stubbed, django_capture_on_commit_callbacks, monkeypatch
):
    from costdata.tasks import detect_variances

    queued = []
    monkeypatch.setattr(warm_dashboards, "delay", lambda: queued.append("warm"))
    monkeypatch.setattr(detect_variances, "delay", lambda **kwargs: queued.append("detect"))
    client, stubber = stubbed
    three_days(stubber)

    with django_capture_on_commit_callbacks(execute=True):
        pull(aws_source, client)

    assert queued == ["detect", "warm"]


def test_warming_an_organisation_without_data_builds_its_empty_views(db):
    assert dashboards_warm() == len(BASES)


# --- the markup built in Python (costdata/templatetags/dashboard_html.py) ----------------------------


def test_table_cells_are_escaped_as_autoescaping_would_and_numbers_right_aligned():
    from costdata.templatetags.dashboard_html import table_body

    html = table_body([[("<b>prod</b> & 'x'", False), ("-1.0000000001", True)]], 2)

    assert html == (
        '<tr><td>&lt;b&gt;prod&lt;/b&gt; &amp; &#x27;x&#x27;</td><td class="num">-1.0000000001</td></tr>'
    )
    assert table_body([], 3) == '<tr><td colspan="3" class="muted">No rows.</td></tr>'


def test_select_options_escape_values_and_labels_and_mark_the_chosen_one(organisation):  # noqa: F811
    from costdata.templatetags.dashboard_html import select_options

    unit = organisation["digital"]
    choices = [(str(unit.pk), "Digital <products>"), ('"x"', "quoted")]

    assert select_options(choices, unit) == (
        f'<option value="{unit.pk}" selected>Digital &lt;products&gt;</option>'
        '<option value="&quot;x&quot;">quoted</option>'
    )
    assert 'value="&quot;x&quot;" selected' in select_options(choices, '"x"')
    assert " selected" not in select_options(choices, None)


# --- top movers: only the rows that can be shown are named and charted -------------------------------


def test_keeping_the_largest_changes_with_ties_gives_the_same_top_movers_as_every_row():
    import pandas as pd

    # Twelve changes of 5 tie for places 9 to 20; names decide among them, after naming.
    rows = [(f"acct-{n:02d}", Decimal(0), Decimal(5)) for n in range(12)]
    rows += [(f"big-{n}", Decimal(10), Decimal(100 + n)) for n in range(8)]
    rows += [("same", Decimal(3), Decimal(3)), ("tiny", Decimal(1), Decimal("1.0000000001"))]

    kept = _largest_changes(rows, 10)

    assert {name for name, _, _ in kept} == {name for name, _, _ in rows} - {"same", "tiny"}

    def frame(rows):
        return pd.DataFrame(rows, columns=["name", "previous", "current"])

    for names in (lambda n: n, lambda n: n[::-1]):  # whatever the names turn out to be
        renamed = [(names(name), p, c) for name, p, c in rows]
        kept_renamed = [(names(name), p, c) for name, p, c in kept]
        assert top_movers(frame(kept_renamed)).equals(top_movers(frame(renamed)))
    assert _largest_changes(rows[:5], 10) == rows[:5]


def test_warming_covers_each_restricted_viewers_overview_too(aws_source, stubbed, org, client):
    from tests.costdata.variance_fixtures import ACCOUNT

    client_ce, stubber = stubbed
    stubber.add_response(
        "get_cost_and_usage",
        page(
            [
                day_result(
                    D1, [group([ACCOUNT, "AWS Lambda"], "1.25"), group(["999999999999", "AWS Lambda"], "7")]
                ),
                day_result(D2, [group([ACCOUNT, "AWS Lambda"], "2.5")]),
                day_result(D3, [group([ACCOUNT, "AWS Lambda"], "0.0000000001")]),
            ]
        ),
        request(D1, END),
    )
    pull(aws_source, client_ce)
    data_cache.clear_local()

    # Finance's views (organisation and unit in both bases, two teams) and the overviews of the
    # engineers of Payments and of Search (their technology leads read everything).
    assert dashboards_warm() == 2 * len(BASES) + 2 + 2

    data_cache.clear_local()
    client.force_login(org["engineer"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/dashboards/")
    assert response.status_code == 200
    assert fact_queries(queries.captured_queries) == []
    assert response.context["view"].summary[0].actual == Decimal("3.7500000001")
