"""The dashboards read the daily rollups whenever the condition allows, and get the facts' exact figures."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from costdata.dashboards.filters import DashboardFilters
from costdata.dashboards.movers import movers_frames
from costdata.dashboards.pages import dashboard_view
from costdata.dashboards.scopes import NO_BUSINESS_UNIT, ORGANISATION, breakdown_scopes, ownership_map
from costdata.dashboards.selectors import daily_frames_by_part, daily_rollup_for
from costdata.models import DailyAccountCost, DailyCost, DailyServiceCost
from costdata.money import as_decimal
from tests.costdata.dashboards.test_dashboards import (
    CONFIG,
    DATA_LAKE,
    DATA_THROUGH,
    NOVEMBER,
    PAYMENTS_PROD,
    SANDBOX,
    costs,  # noqa: F401  (fixture)
    expected_sum,
    organisation,  # noqa: F401  (fixture)
)

pytestmark = pytest.mark.usefixtures("no_dashboard_providers", "costs", "organisation")
WINDOW = {"start": date(2026, 10, 15), "end": DATA_THROUGH + timedelta(days=1)}


def facts_by_day(condition: Q, basis: str) -> list[dict]:
    """Per-day sums straight from the facts, in Python (no rollup, no database sum)."""
    days: dict[date, list] = defaultdict(lambda: [Decimal(0), False])
    rows = DailyCost.objects.filter(
        condition, currency="USD", day__gte=WINDOW["start"], day__lt=WINDOW["end"]
    )
    for row in rows.values("day", basis, "estimated"):
        days[row["day"]][0] += as_decimal(row[basis])
        days[row["day"]][1] = days[row["day"]][1] or row["estimated"]
    return [{"day": d, "amount": v[0], "estimated": v[1]} for d, v in sorted(days.items())]


@pytest.mark.parametrize("basis", ["unblended", "amortized"])
def test_the_overviews_breakdown_from_rollups_equals_the_facts_per_unit_and_no_unit(basis):
    owners = ownership_map()
    breakdown = breakdown_scopes(ORGANISATION, DashboardFilters(), owners)
    labels = [scope.label for scope, _ in breakdown]
    assert labels == ["Data and platform", "Digital products", NO_BUSINESS_UNIT]
    # The Platform team's claim on a service makes the "Data and platform" part need the facts too.
    assert breakdown[0][1].extra is not None and breakdown[2][1].remainder

    total, frames = daily_frames_by_part(
        condition=Q(), parts=[part for _, part in breakdown], basis=basis, currency="USD", **WINDOW
    )

    assert total.to_dict("records") == facts_by_day(Q(), basis)
    for (scope, part), frame in zip(breakdown, frames, strict=True):
        assert frame.to_dict("records") == facts_by_day(part.full, basis), scope.label


def test_rollups_are_chosen_by_the_fields_a_condition_looks_at():
    assert daily_rollup_for(Q()) is DailyAccountCost
    assert daily_rollup_for(Q(account_id=PAYMENTS_PROD) | ~Q(account_id__in=[DATA_LAKE])) is DailyAccountCost
    assert daily_rollup_for(Q(service=CONFIG)) is DailyServiceCost
    assert daily_rollup_for(Q(service=CONFIG, account_id=SANDBOX)) is None
    assert daily_rollup_for(Q(service=CONFIG), "account") is None
    assert daily_rollup_for(Q(account_id=SANDBOX), "service") is None
    from django.db.models import Exists, OuterRef

    from stakeholders.models import Ownership

    claimed = Exists(Ownership.objects.filter(scope_value=OuterRef("account_id")))
    assert daily_rollup_for(Q(claimed)) is None


def test_the_overview_reads_no_daily_fact_rows_but_the_last_day_and_the_service_claim_rows():
    with CaptureQueriesContext(connection) as queries:
        view = dashboard_view(today=date(2026, 11, 20))
    fact_reads = [q["sql"] for q in queries.captured_queries if '"costdata_dailycost"' in q["sql"]]
    # MAX(day) for freshness, and the rows a service claim adds on unclaimed accounts (one small pass).
    assert len(fact_reads) == 2, fact_reads
    assert any("MAX(" in sql for sql in fact_reads)
    assert view.summary[0].actual == expected_sum(start=NOVEMBER, end=date(2026, 12, 1))
    movers = view.chart("movers-service").frame
    assert not movers.empty


def test_a_visible_condition_on_accounts_narrows_every_figure_and_keeps_the_rollup():
    filters = DashboardFilters(visible=Q(account_id__in=[PAYMENTS_PROD]))
    with CaptureQueriesContext(connection) as queries:
        view = dashboard_view(filters=filters, today=date(2026, 11, 20))
    assert view.summary[0].actual == expected_sum(
        start=NOVEMBER, end=date(2026, 12, 1), accounts={PAYMENTS_PROD}
    )
    accounts = view.chart("movers-account").frame
    assert list(accounts["name"]) == ["payments-prod (111111111111)"]
    daily = view.chart("daily").frame
    last = daily[daily["day"] == DATA_THROUGH].iloc[0]
    assert last["amount"] == expected_sum(
        start=DATA_THROUGH, end=DATA_THROUGH + timedelta(days=1), accounts={PAYMENTS_PROD}
    )
    assert '"costdata_dailyaccountcost"' in " ".join(q["sql"] for q in queries.captured_queries)


def test_a_visible_condition_on_services_falls_back_to_the_facts_and_stays_exact():
    filters = DashboardFilters(visible=Q(service=CONFIG) & ~Q(account_id=SANDBOX))
    view = dashboard_view(filters=filters, today=date(2026, 11, 20))
    assert view.summary[0].actual == expected_sum(
        start=NOVEMBER, end=date(2026, 12, 1), services={CONFIG}, accounts={PAYMENTS_PROD, DATA_LAKE}
    )
    daily = view.chart("daily").frame
    last = daily[daily["day"] == DATA_THROUGH].iloc[0]
    assert last["amount"] == expected_sum(
        start=DATA_THROUGH,
        end=DATA_THROUGH + timedelta(days=1),
        services={CONFIG},
        accounts={PAYMENTS_PROD, DATA_LAKE},
    )


def test_part_month_movers_from_rollups_equal_the_facts():
    current, previous = (NOVEMBER, DATA_THROUGH + timedelta(days=1)), (date(2026, 10, 1), date(2026, 10, 20))
    frames = movers_frames(
        condition=Q(), current=current, previous=previous, basis="amortized", currency="USD"
    )
    for dimension, field in (("service", "service"), ("account", "account_id")):
        expected: dict[str, list] = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for row in DailyCost.objects.filter(day__gte=previous[0], day__lt=current[1]).values(
            field, "day", "amortized"
        ):
            if previous[1] <= row["day"] < current[0]:
                continue
            expected[row[field]][0 if row["day"] < current[0] else 1] += as_decimal(row["amortized"])
        got = {
            name.split("(")[-1].rstrip(")") if dimension == "account" else name: [p, c]
            for name, p, c in frames[dimension].itertuples(index=False)
        }
        assert got == {k: v for k, v in expected.items()}, dimension
